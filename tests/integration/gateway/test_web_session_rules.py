"""The web session's rules that a browser test cannot wait for: the cookie is HttpOnly, SameSite=Lax
and Secure when set so; a session ends when idle too long and when older than the absolute limit,
used or not; sign-ins are throttled per client address too (many e-mails from one address)."""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import httpx
from litestar import Litestar

from billwire_gateway.app import GatewaySettings, create_app
from billwire_shared import subjects
from billwire_shared.contracts.common import Caller
from billwire_shared.contracts.users import CreateUser, UserInput
from tests.integration.gateway.test_web_sessions import PASSWORD, signed_in_at
from tests.stack import Stack, serve_in_process, unique


@contextlib.asynccontextmanager
async def gateway(stack: Stack, **settings: Any) -> AsyncIterator[tuple[Litestar, httpx.AsyncClient]]:
    """A gateway of its own, reached from an address no other test uses (the throttle counts per address)."""
    app = create_app(stack.settings(GatewaySettings, auth_failures_per_minute=100_000, **settings))
    address = f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"
    async with serve_in_process(app, client_address=address) as client:
        app.state.web.checked.seconds = 0.0  # no replica-side memory: each request asks the session store
        yield app, client


async def new_member(stack: Stack) -> str:
    account_id, _ = await stack.new_account(unique("Session Rules GmbH"))
    email = f"{secrets.token_hex(5)}@session-rules.example"
    command = CreateUser(ctx=Caller(account_id=UUID(account_id)), user=UserInput(email=email, role="member", password=PASSWORD))
    await stack.gateways[0].state.bus.call(subjects.USER_CREATE, command)
    return email


async def attempt(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    form = await client.get("/login")
    token = re.search(r'name="_csrf" value="([^"]+)"', form.text)
    assert token is not None
    return await client.post("/login", data={"email": email, "password": password, "_csrf": token.group(1)})


async def test_the_session_cookie_is_httponly_lax_and_secure_when_set(stack: Stack) -> None:
    email = await new_member(stack)
    for secure in (False, True):
        async with gateway(stack, web_cookie_secure=secure) as (_, client):
            client.base_url = httpx.URL("https://gateway.local")  # as behind HTTPS: the client sends Secure cookies back
            answer = await attempt(client, email)
            assert answer.status_code == 303, answer.text
            cookie = next(value for value in answer.headers.get_list("set-cookie") if value.startswith("bw_session="))
            flags = {part.strip().lower() for part in cookie.split(";")[1:]}
            assert "httponly" in flags and "samesite=lax" in flags, cookie
            assert ("secure" in flags) is secure, cookie


async def test_a_session_ends_when_idle_too_long_and_when_too_old(stack: Stack) -> None:
    email = await new_member(stack)
    async with gateway(stack) as (app, client):
        sessions = app.state.web.sessions
        sessions.idle = 1.0  # seconds, instead of the setting's minutes
        await attempt(client, email)
        session = client.cookies["bw_session"]
        assert await signed_in_at(client, session)
        await asyncio.sleep(1.5)
        assert not await signed_in_at(client, session)

        sessions.idle, sessions.absolute = 3600.0, 2.0  # used all the time, yet older than the absolute limit
        await attempt(client, email)
        session = client.cookies["bw_session"]
        async with asyncio.timeout(10):
            while await signed_in_at(client, session):
                await asyncio.sleep(0.25)
        assert not await signed_in_at(client, session)


async def test_sign_ins_are_throttled_per_client_address(stack: Stack) -> None:
    email = await new_member(stack)
    async with gateway(stack, web_login_per_address=3, web_login_per_email=100) as (_, client):
        for _ in range(3):  # three different e-mails guessed from one address
            assert (await attempt(client, f"{secrets.token_hex(5)}@nobody.example", "a guess")).status_code == 401
        refused = await attempt(client, email)  # even the right password of a real user, from this address
        assert refused.status_code == 429 and "Too many sign-in attempts" in refused.text
        assert "bw_session" not in refused.headers.get("set-cookie", "")
