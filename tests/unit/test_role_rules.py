"""One rule for people, on every surface: `owner` everything, `member` everything but users, API
keys and webhooks, `accountant` reads only. The web app checks a person's role by the scope words
a REST key and an MCP tool are checked by (ROLE_SCOPES); this reads every route's and every tool's
scope from the built app, so a route that asks more (or less) than the rule fails here."""

from __future__ import annotations

import re

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute

from billwire_gateway.app import GatewaySettings, create_app
from billwire_gateway.controllers.agents import operation_scopes
from billwire_gateway.web.app import API_PATHS
from billwire_shared.contracts.users import ROLE_SCOPES

OWNERS_ONLY_REST = ("/api/v1/settings/api-keys", "/api/v1/webhooks", "/api/v1/users")
# An MCP client's OAuth consent hands it an API key of the account: keys are an owner's.
OWNERS_ONLY_WEB = ("/settings/keys", "/settings/webhooks", "/settings/users", "/oauth/consent")


@pytest.fixture(scope="module")
def app() -> Litestar:
    """Built, never started: the routes and tools are all there before any connection."""
    return create_app(GatewaySettings(database_url="postgresql://127.0.0.1:1/none", nats_url="nats://127.0.0.1:1", prefix="roles"))


def rest_scopes(app: Litestar) -> dict[tuple[str, str], tuple[str, ...]]:
    return {operation: needed for operation, needed in operation_scopes(app).items() if operation[0] != "OPTIONS"}


def allows(role: str, needed: tuple[str, ...]) -> bool:
    scopes = ROLE_SCOPES[role]
    return "admin" in scopes or all(scope in scopes for scope in needed)


def web_scopes(app: Litestar) -> dict[tuple[str, str], tuple[str, ...]]:
    """What each web page and form needs, as `require_role` reads it (public pages left out)."""
    found: dict[tuple[str, str], tuple[str, ...]] = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith(API_PATHS) or route.path.startswith("/static"):
            continue
        path = re.sub(r"\{(\w+):[^}]*\}", r"{\1}", route.path)
        for handler in route.route_handlers:
            if handler.opt.get("public"):
                continue
            for method in handler.http_methods - {"OPTIONS"}:
                found[(method, path)] = (handler.opt.get("scope") or ("read" if method in ("GET", "HEAD") else "write"),)
    return found


def test_a_member_may_do_everything_but_users_keys_and_webhooks_over_rest_and_on_the_web(app: Litestar) -> None:
    for surface, scopes, owners_only in (("REST", rest_scopes(app), OWNERS_ONLY_REST), ("web", web_scopes(app), OWNERS_ONLY_WEB)):
        assert len(scopes) > 20, surface
        refused = {operation for operation, needed in scopes.items() if not allows("member", needed)}
        expected = {operation for operation in scopes if operation[1].startswith(owners_only)}
        assert refused == expected, f"{surface}: a member is refused {sorted(refused - expected)}, allowed {sorted(expected - refused)}"
        # The company profile, its logo, e-mail templates and reminders are a member's to change too.
        assert any(path.endswith("profile") and method != "GET" and allows("member", needed) for (method, path), needed in scopes.items())


def test_an_accountant_only_reads_and_an_owner_does_everything(app: Litestar) -> None:
    for surface, scopes in (("REST", rest_scopes(app)), ("web", web_scopes(app))):
        for (method, path), needed in scopes.items():
            assert allows("owner", needed), (surface, method, path)
            if allows("accountant", needed) and method not in ("GET", "HEAD"):
                assert needed == ("read",), (surface, method, path)  # a read by POST: a preview, the draft's totals, sign-out
            if path.startswith(OWNERS_ONLY_REST + OWNERS_ONLY_WEB):
                assert not allows("accountant", needed), (surface, method, path)


async def test_mcp_tools_need_what_their_rest_calls_need_for_people(app: Litestar) -> None:
    """No tool is an owner's alone: none reads or changes users, keys or webhooks, so a member's
    scopes list every tool (send_invoice needs `write` and `email:send`, both a member's)."""
    tool_scopes = (await app.state.gateway.mcp()).tool_scopes
    assert tool_scopes
    for name, needed in tool_scopes.items():
        assert allows("member", (needed,) if isinstance(needed, str) else tuple(needed)), name
