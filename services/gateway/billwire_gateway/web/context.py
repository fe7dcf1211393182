"""Who is signed in, for each web request: the session, the user behind it, the Caller the bus
calls carry, and the page helpers (texts, CSRF token, flash) every template gets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote

import msgspec
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers import BaseRouteHandler
from litestar.response import Redirect, Template

from billwire_gateway.bus import ApiError, Bus
from billwire_gateway.middleware import request_id_of
from billwire_gateway.web.i18n import Texts
from billwire_gateway.web.session_cache import SessionCache
from billwire_gateway.web.sessions import COOKIE, Session, SessionStore, session_key
from billwire_shared import subjects
from billwire_shared.contracts.common import Caller
from billwire_shared.contracts.users import ROLE_SCOPES, Authenticated, SessionCheck, User
from billwire_shared.errors import ErrorCode, ErrorReply

FLASH_COOKIE = "bw_flash"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; frame-src 'self'; object-src 'self'; form-action 'self'; frame-ancestors 'self'; base-uri 'none'"
)


class SignInRequired(Exception):
    """No live session: the person is sent to the sign-in page, then back."""

    def __init__(self, next_path: str = "/") -> None:
        super().__init__(next_path)
        self.next_path = next_path


class PasswordChangeRequired(Exception):
    """The user signs in with a generated password and must choose their own first."""


@dataclass
class Person:
    session_id: str
    session: Session
    user: User
    request_id: str
    texts: Texts = field(init=False)

    def __post_init__(self) -> None:
        self.texts = Texts(self.user.language)

    @property
    def caller(self) -> Caller:
        return Caller(account_id=self.user.account_id, user_id=self.user.id, request_id=self.request_id)

    def may(self, scope: str) -> bool:
        return scope in ROLE_SCOPES.get(self.user.role, ())


def store_of(connection: ASGIConnection) -> SessionStore:
    return connection.app.state.web.sessions


def checked_of(connection: ASGIConnection) -> SessionCache:
    return connection.app.state.web.checked


def bus_of(connection: ASGIConnection) -> Bus:
    return connection.app.state.bus


async def provide_person(request: Request) -> Person:
    """The signed-in person, checked against the users wing (generation, disabled), or taken from
    this replica's few-seconds cache of checked sessions (session_cache.py says why that is safe)."""
    cached = request.scope.setdefault("state", {}).get("web_person")
    if cached is not None:
        return cached
    session_id = request.cookies.get(COOKIE)
    next_path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    checked = checked_of(request)
    known = checked.get(session_key(session_id)) if session_id and len(session_id) <= 100 else None
    if known is not None:
        session, user = known.session, known.user
    else:
        session = await store_of(request).load(session_id)
        if session is None or session_id is None:
            raise SignInRequired(next_path)
        check = SessionCheck(account_id=session.account_id, user_id=session.user_id, session_generation=session.session_generation)
        found = await bus_of(request).call_typed(subjects.USER_SESSION_CHECK, check, Authenticated)
        if not found.found or found.user is None:
            await store_of(request).end(session_id)
            raise SignInRequired(next_path)
        user = found.user
        checked.put(session_key(session_id), session, user)
    person = Person(session_id, session, user, request_id_of(request.scope))
    request.scope["state"]["web_person"] = person
    if person.user.must_change_password and request.url.path not in ("/password", "/logout"):
        raise PasswordChangeRequired()
    return person


async def require_role(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """Pages that only read need `read`; forms that change need `write`, unless the route names
    another scope (API keys and users: `admin`): the same words REST uses for keys."""
    if handler.opt.get("public"):
        return
    person = await provide_person(connection)  # type: ignore[arg-type]
    needed = handler.opt.get("scope") or ("read" if connection.scope["method"] in ("GET", "HEAD") else "write")
    if not person.may(needed):
        raise ApiError(ErrorReply(code=ErrorCode.FORBIDDEN, message="Your role may not do this."))


FLASH_LENGTH = 400  # characters: quoted, even a German message stays within a cookie's 4 KB


def flash_of(request: Request) -> str | None:
    value = request.cookies.get(FLASH_COOKIE)
    return unquote(value)[:FLASH_LENGTH + 2] if value else None


def shortened(text: str, limit: int = FLASH_LENGTH) -> str:
    """A message cut to `limit` at a word, marked by an ellipsis (never ending mid-word)."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(" ;,:") + " …"


def page(request: Request, template: str, person: Person | None, status_code: int = 200, **context: Any) -> Template:
    """A page: the template with the person, their texts, the CSRF token and a flash message."""
    texts = person.texts if person else Texts(_browser_language(request))
    response = Template(
        template_name=f"web/{template}", status_code=status_code,
        context={
            "person": person, "t": texts, "csrf": person.session.csrf if person else "", "flash": flash_of(request),
            "path": request.url.path, "request_id": request_id_of(request.scope),
            # Where the language switch comes back to: the page with its query (filters, the consent page's grant).
            "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""), **context,
        },
        headers={"Cache-Control": "no-store"},
    )
    if flash_of(request):
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def redirect(path: str, flash: str | None = None, person: Person | None = None) -> Redirect:
    """303 See Other after a form: the browser GETs the next page (a reload never posts twice)."""
    response = Redirect(path, status_code=303)
    if flash:
        text = shortened(person.texts(flash) if person else flash)
        response.set_cookie(FLASH_COOKIE, quote(text), path="/", httponly=True, samesite="lax", max_age=60)
    return response


def _browser_language(request: Request) -> str:
    accepted = request.headers.get("accept-language", "")
    return "de" if accepted.lower().startswith("de") else "en"


PersonDep = NamedDependency[Person]


async def attempt(request: Request, subject: str, build: Callable[[], msgspec.Struct]) -> bytes | ApiError:
    """One bus call for a form: its reply, or the refusal (bad input, a rule) the page shows instead.
    The command is built in here, so a form that does not convert is refused the same way; a 404
    is no refusal but the not-found page, so it is raised."""
    try:
        return await bus_of(request).call(subject, build())
    except ApiError as exc:
        if exc.reply.http_status == 404:
            raise
        return exc


def decode(raw: bytes, type_: type) -> Any:
    return msgspec.json.decode(raw, type=type_)
