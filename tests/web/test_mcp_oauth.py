"""An assistant that connects only through OAuth: the SDK's own OAuth client provider drives
discovery, registration, PKCE and the token exchange against the served gateway, and its
redirect handler is a real Chromium page where a person signs in and consents."""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import httpx
from mcp.client.auth import OAuthClientProvider
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthClientMetadata, OAuthToken
from playwright.async_api import Page, Route, expect

from billwire_cli.embedded import free_port
from tests.e2e.test_mcp_oauth import challenge_of
from tests.stack import BUYER, created
from tests.web.conftest import SCREENSHOTS, Web

PASSWORD = "a password of one's own"


@dataclass
class MemoryStorage:
    """The SDK's TokenStorage, kept in memory: what a client remembers between connections."""

    tokens: OAuthToken | None = None
    client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


@dataclass
class Browser:
    """One person's browser: the redirect URI's host is never contacted, the page stops there."""

    page: Page
    base: str
    callback: str
    landed: asyncio.Queue = field(default_factory=asyncio.Queue)
    csp_errors: list[str] = field(default_factory=list)
    elsewhere: list[str] = field(default_factory=list)

    async def start(self) -> None:
        async def arrive(route: Route) -> None:
            await self.landed.put(route.request.url)
            await route.fulfill(status=200, content_type="text/plain", body="You may close this window.")

        await self.page.route(re.compile(re.escape(self.callback) + r".*"), arrive)
        self.page.on("console", lambda m: self.csp_errors.append(m.text) if "Content Security Policy" in m.text else None)
        # Every asset is Billwire's own: the only other address is the redirect URI, answered above.
        self.page.on("request", lambda r: self.elsewhere.append(r.url) if not r.url.startswith((self.base, self.callback)) else None)

    async def consent(self, url: str, email: str, untick: tuple[str, ...] = (), shot: str = "") -> dict[str, str]:
        """Open the authorization URL, sign in when asked, allow (unticking some scopes): the callback's query."""
        await self.page.goto(url)
        if "/login" in self.page.url:
            await self.page.get_by_label("E-mail").fill(email)
            await self.page.get_by_label("Password").fill(PASSWORD)
            await self.page.get_by_role("button", name="Sign in").click()
        await expect(self.page.get_by_role("heading", name="Connect an assistant")).to_be_visible()
        for scope in untick:
            await self.page.get_by_role("checkbox", name=re.compile(re.escape(f"({scope})"))).uncheck()
        if shot:
            SCREENSHOTS.mkdir(exist_ok=True)
            await self.page.screenshot(path=str(SCREENSHOTS / f"{shot}.png"), full_page=True)
        await self.page.get_by_role("button", name="Allow").click()
        return {name: values[0] for name, values in parse_qs(urlsplit(await self.arrival()).query).items()}

    async def arrival(self) -> str:
        """The URL the browser was sent to at the redirect URI, once that page has loaded."""
        landed = await asyncio.wait_for(self.landed.get(), 60)
        await self.page.wait_for_url(re.compile(re.escape(self.callback)))
        return landed


@contextlib.asynccontextmanager
async def browser(web: Web) -> AsyncIterator[Browser]:
    context = await web.browser.new_context(base_url=web.base)
    context.set_default_timeout(30_000)
    try:
        person = Browser(await context.new_page(), web.base, f"http://127.0.0.1:{free_port()}/callback")
        await person.start()
        yield person
        assert not person.csp_errors, person.csp_errors
        assert not person.elsewhere, person.elsewhere
    finally:
        await context.close()


def oauth_client(web: Web, person: Browser, email: str, storage: MemoryStorage) -> OAuthClientProvider:
    query: dict[str, str] = {}

    async def redirect_handler(url: str) -> None:
        query.update(await person.consent(url, email, untick=("email:send",), shot="oauth-consent"))

    async def callback_handler() -> AuthorizationCodeResult:
        return AuthorizationCodeResult(code=query["code"], state=query.get("state"))

    metadata = OAuthClientMetadata(
        client_name="Scripted assistant", redirect_uris=[person.callback], token_endpoint_auth_method="client_secret_post",  # type: ignore[list-item]
    )
    return OAuthClientProvider(f"{web.base}/api/mcp", metadata, storage, redirect_handler, callback_handler)


@contextlib.asynccontextmanager
async def mcp_session(base: str, **client: object) -> AsyncIterator[ClientSession]:
    http = create_mcp_http_client(**client)  # type: ignore[arg-type]
    async with http, streamable_http_client(f"{base}/api/mcp", http_client=http) as (read, write, *_), ClientSession(read, write) as session:
        await session.initialize()
        yield session


async def test_an_assistant_connects_through_oauth_and_its_key_is_revoked_in_the_keys_list(web: Web) -> None:
    account_id, email, _ = await web.new_user("Oauth GmbH", password=PASSWORD)
    other_key = (await web.stack.new_account("Someone Else GmbH"))[1]
    theirs = await created(web.stack.api(other_key), "/clients", BUYER | {"name": "Not yours"})
    storage = MemoryStorage()
    async with browser(web) as person:
        async with mcp_session(web.base, auth=oauth_client(web, person, email, storage)) as session:
            tools = {tool.name for tool in (await session.list_tools()).tools}
            assert {"list_clients", "create_client"} <= tools
            made = await session.call_tool("create_client", {"client": BUYER | {"name": "Made through OAuth"}})
            assert not made.is_error, made.content
            listed = await session.call_tool("list_clients", {})
            assert [c["name"] for c in listed.structured_content["result"]["items"]] == ["Made through OAuth"]
            foreign = await session.call_tool("get_client", {"client_id": theirs["id"]})
            assert foreign.is_error  # another account's data is not there for this token

        assert storage.tokens is not None and storage.tokens.refresh_token is None
        token = storage.tokens.access_token
        assert token.startswith("bw_") and storage.tokens.scope == "read write"  # email:send was unticked

        page = person.page
        await page.goto("/settings/keys")
        row = page.get_by_role("row").filter(has_text="OAuth: Scripted assistant")
        await expect(row).to_contain_text("read, write")
        await expect(row).to_contain_text("Active")
        await row.get_by_text("Revoke").first.click()
        await row.get_by_role("button", name="Revoke").click()
        await expect(page.get_by_role("row").filter(has_text="OAuth: Scripted assistant")).to_contain_text("Revoked")

    async with httpx.AsyncClient(timeout=30) as http:
        refused = await http.post(f"{web.base}/api/mcp", headers={"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream"},
                                  json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
        assert refused.status_code == 401 and "resource_metadata=" in refused.headers["www-authenticate"]


def authorize_url(base: str, client_id: str, redirect_uri: str, verifier: str, scope: str | None = "read write email:send admin") -> str:
    query = {
        "response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri, "state": secrets.token_urlsafe(16),
        "code_challenge": challenge_of(verifier), "code_challenge_method": "S256",
    } | ({"scope": scope} if scope else {})
    return f"{base}/authorize?{httpx.QueryParams(query)}"


async def test_a_code_needs_its_pkce_verifier_works_once_and_only_owners_consent(web: Web) -> None:
    _, email, _ = await web.new_user("Pkce GmbH", password=PASSWORD)
    async with browser(web) as person, httpx.AsyncClient(timeout=30) as http:
        registered = await http.post(f"{web.base}/register", json={
            "client_name": "Hand-driven client", "redirect_uris": [person.callback], "token_endpoint_auth_method": "none",
        })
        client_id = registered.json()["client_id"]
        verifier = secrets.token_urlsafe(48)
        granted = await person.consent(authorize_url(web.base, client_id, person.callback, verifier), email, untick=("admin",))
        exchange = {"grant_type": "authorization_code", "code": granted["code"], "redirect_uri": person.callback, "client_id": client_id}

        wrong = await http.post(f"{web.base}/token", data=exchange | {"code_verifier": secrets.token_urlsafe(48)})
        assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
        right = await http.post(f"{web.base}/token", data=exchange | {"code_verifier": verifier})
        assert right.status_code == 200, right.text
        assert right.json()["scope"] == "read write email:send" and right.json()["access_token"].startswith("bw_")
        again = await http.post(f"{web.base}/token", data=exchange | {"code_verifier": verifier})
        assert again.status_code == 400 and again.json()["error"] == "invalid_grant"  # a code is exchanged once
        rest = await http.get(f"{web.base}/api/v1/clients", headers={"Authorization": f"Bearer {right.json()['access_token']}"})
        assert rest.status_code == 200  # the token is a key: the REST API takes it too, with its scopes

        # Deny: the client hears access_denied, and no key is made. (Asked for no scope: a new key's defaults, no admin.)
        # The page in German too, as the person's other pages.
        await person.page.goto(authorize_url(web.base, client_id, person.callback, verifier, scope=None))
        await expect(person.page.get_by_role("checkbox")).to_have_count(3)
        await expect(person.page.get_by_role("checkbox", name="(admin)")).to_have_count(0)
        await person.page.get_by_role("button", name="Deutsch").click()
        await expect(person.page.get_by_role("heading", name="Assistenten verbinden")).to_be_visible()
        await expect(person.page.get_by_role("checkbox", name="Dokumente per E-Mail senden")).to_be_checked()
        await person.page.get_by_role("button", name="Ablehnen").click()
        denied = parse_qs(urlsplit(await person.arrival()).query)
        assert denied["error"] == ["access_denied"] and "code" not in denied
        await person.page.goto("/settings/keys")
        await expect(person.page.get_by_role("row").filter(has_text="OAuth: Hand-driven client")).to_have_count(1)

    _, member_email, _ = await web.new_user("Member GmbH", role="member", password=PASSWORD)
    async with browser(web) as member:
        await member.page.goto(authorize_url(web.base, client_id, person.callback, verifier))
        await member.page.get_by_label("E-mail").fill(member_email)
        await member.page.get_by_label("Password").fill(PASSWORD)
        await member.page.get_by_role("button", name="Sign in").click()
        await expect(member.page.get_by_text("Your role may not do this.")).to_be_visible()
        await expect(member.page.get_by_role("button", name="Allow")).to_have_count(0)
