"""Signing in and out, choosing one's own password, and one's language."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from litestar import Controller, Request, Response, get, post

from billwire_gateway.bus import ApiError
from billwire_gateway.web.context import PersonDep, bus_of, page, redirect, store_of
from billwire_gateway.web.forms import field_errors, text
from billwire_gateway.web.sessions import COOKIE, LOGIN_CSRF_COOKIE
from billwire_shared import subjects
from billwire_shared.contracts.users import Authenticate, Authenticated, ChangePassword, UpdateMe

WRONG = "E-mail or password is not right."
THROTTLED = "Too many sign-in attempts. Wait a few minutes, then try again."


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never another host (an open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
        return "/"
    return target


class AccountController(Controller):
    path = "/"

    @get("/login", opt={"public": True})
    async def login_form(self, request: Request) -> Response:
        return self._login_page(request, None, "", 200)

    @post("/login", opt={"public": True})
    async def login(self, request: Request) -> Response:
        form = await request.form()
        email, password = text(form, "email") or "", form.get("password") or ""
        web = request.app.state.web
        address = request.client.host if request.client else "unknown"
        if not await web.throttle.allows(email, address):
            return self._login_page(request, THROTTLED, email, 429)
        found = await bus_of(request).call_typed(subjects.USER_AUTHENTICATE, Authenticate(email=email, password=str(password)), Authenticated)
        if not found.found or found.user is None:
            return self._login_page(request, WRONG, email, 401)
        user = found.user
        session_id, _ = await web.sessions.create(user.account_id, user.id, user.session_generation)
        target = "/password" if user.must_change_password else _safe_next(request.query_params.get("next"))
        response = redirect(target)
        response.set_cookie(
            COOKIE, session_id, path="/", httponly=True, samesite="lax", secure=web.cookie_secure,
            max_age=int(web.sessions.absolute),
        )
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
        return response

    @post("/logout", opt={"scope": "read"})
    async def logout(self, request: Request, person: PersonDep) -> Response:
        await store_of(request).end(person.session_id)
        response = redirect("/login", "Signed out.", person)
        response.delete_cookie(COOKIE, path="/")
        return response

    @get("/password", opt={"scope": "read"})
    async def password_form(self, request: Request, person: PersonDep) -> Response:
        return page(request, "password.html", person, errors={})

    @post("/password", opt={"scope": "read"})
    async def change_password(self, request: Request, person: PersonDep) -> Response:
        form = await request.form()
        current, new, repeated = (str(form.get(name) or "") for name in ("current_password", "new_password", "repeat_password"))
        if new != repeated:
            return page(request, "password.html", person, 422, errors={"repeat_password": person.texts("The two new passwords differ.")})
        try:
            user = await bus_of(request).call_typed(
                subjects.USER_CHANGE_PASSWORD, ChangePassword(ctx=person.caller, current_password=current, new_password=new), type(person.user)
            )
        except ApiError as exc:
            return page(request, "password.html", person, 422, errors=field_errors(exc))
        # Every session ended with the old generation, this one too: it starts again at once.
        web = request.app.state.web
        web.checked.forget_user(str(user.id))  # here at once; other replicas hear it from the users wing
        await web.sessions.end(person.session_id)
        session_id, _ = await web.sessions.create(user.account_id, user.id, user.session_generation)
        response = redirect("/", "Password changed. Every other session has been signed out.", person)
        response.set_cookie(
            COOKIE, session_id, path="/", httponly=True, samesite="lax", secure=web.cookie_secure, max_age=int(web.sessions.absolute),
        )
        return response

    @post("/language", opt={"scope": "read"})
    async def language(self, request: Request, person: PersonDep) -> Response:
        form = await request.form()
        language = "de" if form.get("language") == "de" else "en"
        await bus_of(request).call(subjects.USER_UPDATE_ME, UpdateMe(ctx=person.caller, language=language))
        request.app.state.web.checked.forget_user(str(person.user.id))  # the next page in the new language
        return redirect(_safe_next(text(form, "back")))

    @staticmethod
    def _login_page(request: Request, error: str | None, email: str, status: int) -> Response:
        token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
        response = page(
            request, "login.html", None, status, error=error, email=email, login_csrf=token,
            next=_safe_next(request.query_params.get("next")),
        )
        response.set_cookie(LOGIN_CSRF_COOKIE, token, path="/login", httponly=True, samesite="strict", secure=request.app.state.web.cookie_secure)
        return response
