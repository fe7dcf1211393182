"""Pages a person reaches from an e-mailed one-time link, signed out: "Forgot password?", choosing
a new password from a reset link, and joining an account from an invitation. The paths live under
/login so the sign-in form's CSRF cookie covers their forms too; each request is one bus call."""

from __future__ import annotations

import secrets

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath

from billwire_gateway.bus import ApiError
from billwire_gateway.web.context import bus_of, page, redirect
from billwire_gateway.web.forms import field_errors, text
from billwire_gateway.web.i18n import Texts
from billwire_gateway.web.sessions import COOKIE, LOGIN_CSRF_COOKIE
from billwire_shared import subjects
from billwire_shared.contracts.user_links import (
    AcceptInvitation,
    CheckLink,
    CompletePasswordReset,
    LinkState,
    LinkUsed,
    RequestPasswordReset,
    ResetRequested,
)
from billwire_shared.contracts.users import User

TOO_MANY = "Too many attempts. Wait a few minutes, then try again."
SENT = "If this e-mail belongs to a user, a link to choose a new password is on its way. It works once, for a limited time."
DIFFER = "The two new passwords differ."


def public_page(request: Request, template: str, status: int = 200, **context: object) -> Response:
    """A signed-out page whose form carries the sign-in form's CSRF token (its cookie)."""
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = page(request, template, None, status, login_csrf=token, **context)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, path="/login", httponly=True, samesite="strict", secure=request.app.state.web.cookie_secure)
    return response


def link_gone(request: Request, problem: str | None) -> Response:
    """The styled page of a link that cannot be used: unknown (404) or used, expired, revoked (410)."""
    return public_page(request, "link_invalid.html", 404 if problem in (None, "unknown") else 410, problem=problem or "unknown")


async def signed_in(request: Request, user: User, flash: str) -> Response:
    """A new session for the user a link made or changed, and on to the overview."""
    web = request.app.state.web
    session_id, _ = await web.sessions.create(user.account_id, user.id, user.session_generation)
    response = redirect("/", Texts(user.language)(flash))
    response.set_cookie(COOKIE, session_id, path="/", httponly=True, samesite="lax", secure=web.cookie_secure, max_age=int(web.sessions.absolute))
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


class LinksController(Controller):
    path = "/login"
    opt = {"public": True}

    @get("/forgot", opt={"public": True})
    async def forgot_form(self, request: Request) -> Response:
        return public_page(request, "forgot.html", email="", sent=False, error=None)

    @post("/forgot", opt={"public": True})
    async def forgot(self, request: Request) -> Response:
        form = await request.form()
        email = text(form, "email") or ""
        address = request.client.host if request.client else "unknown"
        if not await request.app.state.web.throttle.allows(email, address):
            return public_page(request, "forgot.html", 429, email=email, sent=False, error=TOO_MANY)
        body = RequestPasswordReset(email=email[:254], web_url=request.app.state.web.public_url)
        await bus_of(request).call_typed(subjects.USER_RESET_REQUEST, body, ResetRequested)
        return public_page(request, "forgot.html", email=email, sent=True, error=None, message=SENT)

    @get("/reset/{token:str}", opt={"public": True})
    async def reset_form(self, request: Request, token: FromPath[str]) -> Response:
        state = await bus_of(request).call_typed(subjects.USER_LINK_CHECK, CheckLink(token=token[:200], purpose="reset"), LinkState)
        if state.problem is not None:
            return link_gone(request, state.problem)
        return public_page(request, "reset.html", token=token, email=state.email, errors={})

    @post("/reset/{token:str}", opt={"public": True})
    async def reset(self, request: Request, token: FromPath[str]) -> Response:
        form = await request.form()
        password, repeated = str(form.get("new_password") or ""), str(form.get("repeat_password") or "")
        texts = Texts("de" if request.headers.get("accept-language", "").lower().startswith("de") else "en")
        if password != repeated:
            return public_page(request, "reset.html", 422, token=token, email=None, errors={"repeat_password": texts(DIFFER)})
        try:
            used = await bus_of(request).call_typed(
                subjects.USER_RESET_COMPLETE, CompletePasswordReset(token=token[:200], password=password[:1000] or " "), LinkUsed
            )
        except ApiError as exc:
            errors = {("new_password" if name == "password" else name): message for name, message in field_errors(exc).items()}
            return public_page(request, "reset.html", 422, token=token, email=None, errors=errors)
        if used.user is None:
            return link_gone(request, used.problem)
        request.app.state.web.checked.forget_user(str(used.user.id))  # here at once; other replicas hear it from the users wing
        return await signed_in(request, used.user, "Password set. Every other session has been signed out.")

    @get("/invite/{token:str}", opt={"public": True})
    async def invite_form(self, request: Request, token: FromPath[str]) -> Response:
        state = await bus_of(request).call_typed(subjects.USER_LINK_CHECK, CheckLink(token=token[:200], purpose="invite"), LinkState)
        if state.problem is not None:
            return link_gone(request, state.problem)
        return public_page(request, "invite.html", token=token, invitation=state, values={}, errors={})

    @post("/invite/{token:str}", opt={"public": True})
    async def accept(self, request: Request, token: FromPath[str]) -> Response:
        form = await request.form()
        password, repeated = str(form.get("new_password") or ""), str(form.get("repeat_password") or "")
        name, language = text(form, "name"), "de" if form.get("language") == "de" else "en"
        values = {"name": name or "", "language": language}
        if password != repeated:
            errors = {"repeat_password": Texts(language)(DIFFER)}
            return public_page(request, "invite.html", 422, token=token, invitation=None, values=values, errors=errors)
        try:
            accept = AcceptInvitation(token=token[:200], password=password[:1000] or " ", name=(name or "")[:200] or None, language=language)
            used = await bus_of(request).call_typed(subjects.USER_INVITATION_ACCEPT, accept, LinkUsed)
        except ApiError as exc:
            errors = {("new_password" if key == "password" else key): message for key, message in field_errors(exc).items()}
            return public_page(request, "invite.html", 422, token=token, invitation=None, values=values, errors=errors)
        if used.user is None:
            return link_gone(request, used.problem)
        return await signed_in(request, used.user, "Welcome! You have joined the account.")
