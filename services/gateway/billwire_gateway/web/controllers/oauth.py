"""The consent page of MCP's OAuth flow: a person signed in to the web app (sent to sign in
first, and back) sees which client asks for which scopes, ticks what it may do, and allows or
denies; the browser then goes to the client's registered redirect URI with a code or an error.

Only owners consent: what the client gets is an API key of the account, and API keys are the
owners' (the keys page is theirs too). The scopes granted never exceed the person's own.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Redirect

from billwire_gateway.oauth.grants import CODE_SECONDS, GrantedCode, GrantStore, PendingRequest
from billwire_gateway.web.context import CSP, PersonDep, page
from billwire_shared.contracts.common import SCOPES
from billwire_shared.contracts.users import ROLE_SCOPES

EXPIRED = "This sign-in request for an assistant has expired or was used already. Start connecting again from the assistant."
SCOPE_TEXTS = {
    "read": "See clients, products, documents and reports",
    "write": "Create and change clients, products and documents, finalize documents",
    "email:send": "Send documents by e-mail",
    "admin": "Change settings, webhooks and users",
}


def _grants(request: Request) -> GrantStore:
    return request.app.state.oauth.grants


def with_query(uri: str, **params: str | None) -> str:
    from mcp.server.auth.provider import construct_redirect_uri

    return construct_redirect_uri(uri, **params)


class ConsentController(Controller):
    path = "/oauth/consent"

    @get("/", opt={"scope": "admin"})
    async def consent_form(self, request: Request, person: PersonDep, grant: str = Parameter(default="", max_length=100)) -> Response:
        pending = await _grants(request).request(grant)
        if pending is None:
            return page(request, "error.html", person, 400, message=person.texts(EXPIRED), status=400)
        return self._page(request, person, grant, pending, set(pending.scopes), None)

    @post("/", opt={"scope": "admin"})
    async def decide(self, request: Request, person: PersonDep) -> Response:
        form = await request.form()
        grant = str(form.get("grant") or "")[:100]
        grants = _grants(request)
        pending = await grants.request(grant)
        if pending is None:
            return page(request, "error.html", person, 400, message=person.texts(EXPIRED), status=400)
        allowed = set(pending.scopes) & set(ROLE_SCOPES.get(person.user.role, ()))
        chosen = [scope for scope in SCOPES if scope in form.getall("scopes") and scope in allowed] if "scopes" in form else []
        allow = form.get("decision") == "allow"
        if allow and not chosen:
            return self._page(request, person, grant, pending, set(), person.texts("Tick at least one thing the assistant may do."), 422)
        if await grants.take_request(grant) is None:  # another tab decided first
            return page(request, "error.html", person, 400, message=person.texts(EXPIRED), status=400)
        if not allow:
            return Redirect(with_query(pending.redirect_uri, error="access_denied", state=pending.state), status_code=303)
        code = await grants.add_code(GrantedCode(
            **{name: getattr(pending, name) for name in PendingRequest.__struct_fields__} | {"scopes": chosen, "expires_at": time.time() + CODE_SECONDS},
            account_id=person.user.account_id, user_id=person.user.id,
        ))
        return Redirect(with_query(pending.redirect_uri, code=code, state=pending.state), status_code=303)

    @staticmethod
    def _page(
        request: Request, person: PersonDep, grant: str, pending: PendingRequest, checked: set[str], error: str | None, status_code: int = 200,
    ) -> Response:
        allowed = set(ROLE_SCOPES.get(person.user.role, ()))
        scopes = [(scope, person.texts(SCOPE_TEXTS[scope])) for scope in pending.scopes if scope in allowed]
        target = urlsplit(pending.redirect_uri)
        response = page(
            request, "consent.html", person, status_code, grant=grant, client_name=pending.client_name or pending.client_id,
            redirect_host=target.netloc, scopes=scopes, checked=checked, error=error,
        )
        # The form's answer redirects to the client; a browser applies form-action to that redirect too.
        response.headers["Content-Security-Policy"] = CSP.replace("form-action 'self'", f"form-action 'self' {target.scheme}://{target.netloc}")
        return response

