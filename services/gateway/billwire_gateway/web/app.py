"""The web app's router: its pages, its static files, CSRF on every form, security headers,
and error pages for people (a styled 404, "something went wrong" with the request id)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from litestar import Litestar, Request, Response, Router
from litestar.datastructures import ResponseHeader
from litestar.di import Provide
from litestar.exceptions import HTTPException, NotFoundException
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from billwire_gateway.bus import ApiError, Bus
from billwire_gateway.web.context import (
    CSP,
    PasswordChangeRequired,
    Person,
    SignInRequired,
    page,
    provide_person,
    require_role,
)
from billwire_gateway.web.controllers import CONTROLLERS
from billwire_gateway.web.i18n import Texts
from billwire_gateway.web.session_cache import SessionCache
from billwire_gateway.web.sessions import COOKIE, LOGIN_CSRF_COOKIE, SessionStore, tokens_match
from billwire_gateway.web.throttle import LoginThrottle

log = logging.getLogger("billwire.gateway.web")
HERE = Path(__file__).parent
API_PATHS = ("/api/", "/schema", "/health", "/ready", "/metrics")
SECURITY_HEADERS = [
    ResponseHeader(name="Content-Security-Policy", value=CSP),
    ResponseHeader(name="X-Content-Type-Options", value="nosniff"),
    ResponseHeader(name="Referrer-Policy", value="same-origin"),
    ResponseHeader(name="X-Frame-Options", value="SAMEORIGIN"),
]
NOT_FOUND_CODES = {"NOT_FOUND", "DOCUMENT_NOT_FOUND", "CLIENT_NOT_FOUND", "PRODUCT_NOT_FOUND", "API_KEY_NOT_FOUND"}


class WebApp:
    """The long-lived parts of the web app in one gateway process: sessions and the sign-in throttle."""

    def __init__(self, bus: Bus, settings: Any) -> None:
        self.settings = settings
        self.sessions = SessionStore(
            bus, settings.web_session_idle_minutes * 60.0, settings.web_session_max_hours * 3600.0, settings.kv_replicas
        )
        self.checked = SessionCache(bus)  # checked sessions, a few seconds per replica
        self.sessions.on_end = self.checked.announce_end
        self.throttle = LoginThrottle(
            bus, settings.web_login_per_email, settings.web_login_per_address, settings.web_login_window_seconds, settings.kv_replicas
        )

    @property
    def cookie_secure(self) -> bool:
        return bool(self.settings.web_cookie_secure)

    @property
    def public_url(self) -> str:
        """Where e-mailed links point: the setting, else this gateway's own address (never a request's Host)."""
        return (self.settings.web_public_url or f"http://{self.settings.host}:{self.settings.port}").rstrip("/")

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Litestar) -> AsyncIterator[None]:
        await self.sessions.start()
        await self.checked.start()
        await self.throttle.start()
        yield

    def router(self) -> Router:
        static = create_static_files_router(
            path="/static", directories=[HERE / "static"], name="web_static", include_in_schema=False,
            cache_control=None, opt={"public": True},
        )
        return Router(
            path="/", route_handlers=[*CONTROLLERS, static], dependencies={"person": Provide(provide_person)},
            guards=[require_role], before_request=check_csrf, response_headers=SECURITY_HEADERS,
            exception_handlers=WEB_EXCEPTION_HANDLERS, include_in_schema=False,  # type: ignore[arg-type]
        )


def template_config() -> TemplateConfig:
    def configure(engine: JinjaTemplateEngine) -> None:
        engine.engine.autoescape = True
        engine.engine.trim_blocks = engine.engine.lstrip_blocks = True
        # The templates ship with the code (a new version is a new process): no stat of each
        # template file, its base and its macros on every page to see whether it changed.
        engine.engine.auto_reload = False

    return TemplateConfig(directory=HERE / "templates", engine=JinjaTemplateEngine, engine_callback=configure)


async def check_csrf(request: Request) -> Response | None:
    """Every state-changing web request carries the session's token (the login form: its cookie's)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    form = await request.form()
    given = form.get("_csrf") or request.headers.get("x-csrf-token")
    if request.route_handler.opt.get("public"):
        expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        person = None
    else:
        person = await provide_person(request)
        expected = person.session.csrf
    if tokens_match(expected, given if isinstance(given, str) else None):
        return None
    log.info("web form refused: CSRF token missing or wrong on %s %s", request.method, request.url.path)
    return error_page(request, person, 403, "This form has expired. Please try again.")


def error_page(request: Request, person: Person | None, status: int, message: str) -> Response:
    texts = person.texts if person else Texts("en")
    return page(request, "error.html", person, status_code=status, message=texts(message), status=status)  # type: ignore[return-value]


def _person_of(request: Request) -> Person | None:
    return request.scope.get("state", {}).get("web_person")


def on_sign_in_required(request: Request, exc: SignInRequired) -> Response:
    target = "/login" if exc.next_path in ("/", "") else f"/login?next={exc.next_path}"
    redirect = Redirect(target, status_code=303)
    if request.cookies.get(COOKIE):
        redirect.delete_cookie(COOKIE, path="/")
    return redirect


def on_password_change(_: Request, __: PasswordChangeRequired) -> Response:
    return Redirect("/password", status_code=303)


def on_api_error(request: Request, exc: ApiError) -> Response:
    reply = exc.reply
    if reply.code in NOT_FOUND_CODES or reply.http_status == 404:
        return _page_response(request, 404, "There is nothing at this address, or it is not yours to see.")
    if reply.http_status == 401:
        return on_sign_in_required(request, SignInRequired(request.url.path))
    return _page_response(request, reply.http_status, reply.message)


def on_http_error(request: Request, exc: HTTPException) -> Response:
    if exc.status_code == 404:
        return _page_response(request, 404, "There is nothing at this address, or it is not yours to see.")
    return _page_response(request, exc.status_code, str(exc.detail))


def on_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on web %s %s", request.method, request.url.path)
    return _page_response(request, 500, "We could not finish this. It has been logged; please try again.")


def _page_response(request: Request, status: int, message: str) -> Response:
    person = _person_of(request)
    template = "404.html" if status == 404 else "error.html"
    texts = person.texts if person else Texts("en")
    return page(request, template, person, status_code=status, message=texts(message), status=status)  # type: ignore[return-value]


WEB_EXCEPTION_HANDLERS: dict[Any, Callable[..., Response]] = {
    SignInRequired: on_sign_in_required,
    PasswordChangeRequired: on_password_change,
    ApiError: on_api_error,
    NotFoundException: on_http_error,
    HTTPException: on_http_error,
    Exception: on_unexpected,
}


def with_web_pages(handlers: dict[Any, Callable[..., Response]]) -> dict[Any, Callable[..., Response]]:
    """The app's own handlers, except that a person's unknown page is the styled 404, not JSON."""
    api_not_found = handlers[NotFoundException]

    def not_found(request: Request, exc: NotFoundException) -> Response:
        if request.url.path.startswith(API_PATHS):
            return api_not_found(request, exc)
        return _page_response(request, 404, "There is nothing at this address, or it is not yours to see.")

    return handlers | {NotFoundException: not_found}
