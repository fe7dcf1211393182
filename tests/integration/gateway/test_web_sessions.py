"""A gateway replica remembers a checked web session for a few seconds (web/session_cache.py);
signing out, a password change and a disable still end it on every replica. Here each replica
would remember for an hour, so only the announcement can end it there: the test fails without it."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from uuid import UUID

import httpx
from litestar import Litestar

from billwire_gateway.app import GatewaySettings, create_app
from billwire_shared import subjects
from billwire_shared.contracts.common import Caller
from billwire_shared.contracts.users import ChangePassword, CreateUser, DisableUser, NewUser, UserInput
from tests.stack import Stack, serve_in_process, unique

PASSWORD = "a long enough password"


@contextlib.asynccontextmanager
async def replica(stack: Stack) -> AsyncIterator[tuple[Litestar, httpx.AsyncClient]]:
    app = create_app(stack.settings(GatewaySettings, auth_failures_per_minute=100_000))
    async with serve_in_process(app) as client:
        app.state.web.checked.seconds = 3600.0  # only an announcement ends a remembered session here
        yield app, client


async def sign_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> str:
    form = await client.get("/login")
    token = re.search(r'name="_csrf" value="([^"]+)"', form.text)
    assert token is not None
    answer = await client.post("/login", data={"email": email, "password": password, "_csrf": token.group(1)})
    assert answer.status_code == 303, answer.text
    return client.cookies["bw_session"]


async def signed_in_at(client: httpx.AsyncClient, session: str) -> bool:
    """Is this session cookie someone's on this replica? (its page, or the sign-in page)."""
    answer = await client.get("/documents", headers={"Cookie": f"bw_session={session}"})
    assert answer.status_code in (200, 303), answer.text
    return answer.status_code == 200


async def ended_at(client: httpx.AsyncClient, session: str) -> None:
    """The announcement is core NATS, heard a moment later: asked until ended (a test run's timeout bounds it)."""
    async with asyncio.timeout(30):
        while await signed_in_at(client, session):
            await asyncio.sleep(0.05)


async def test_signing_out_a_password_change_and_a_disable_end_a_session_on_every_replica(stack: Stack) -> None:
    account_id, _ = await stack.new_account(unique("Sessions GmbH"))
    owner = Caller(account_id=UUID(account_id))
    bus = stack.gateways[0].state.bus
    email = f"{unique('ada').lower().replace(' ', '')}@sessions.example"
    user = (await bus.call_typed(
        subjects.USER_CREATE, CreateUser(ctx=owner, user=UserInput(email=email, role="member", password=PASSWORD)), NewUser,
    )).user
    async with replica(stack) as (_, first), replica(stack) as (_, second):
        session = await sign_in(first, email)
        assert await signed_in_at(first, session) and await signed_in_at(second, session)  # both remember it now

        # Signed out on the first replica: the second forgets it too.
        csrf = re.search(r'name="_csrf" value="([^"]+)"', (await first.get("/documents")).text)
        assert csrf is not None
        assert (await first.post("/logout", data={"_csrf": csrf.group(1)})).status_code == 303
        assert not await signed_in_at(first, session)
        await ended_at(second, session)

        # A password change made elsewhere (here the bus, as the CLI would): both replicas forget.
        session = await sign_in(first, email)
        assert await signed_in_at(first, session) and await signed_in_at(second, session)
        person = Caller(account_id=user.account_id, user_id=user.id)
        await bus.call(subjects.USER_CHANGE_PASSWORD, ChangePassword(ctx=person, current_password=PASSWORD, new_password=PASSWORD + "!"))
        await ended_at(first, session)
        await ended_at(second, session)

        # Disabled by an owner: every session of the user ends, on every replica.
        session = await sign_in(second, email, PASSWORD + "!")
        assert await signed_in_at(first, session) and await signed_in_at(second, session)
        await bus.call(subjects.USER_DISABLE, DisableUser(ctx=owner, id=user.id))
        await ended_at(first, session)
        await ended_at(second, session)
        assert (await second.get("/documents", headers={"Cookie": f"bw_session={session}"})).headers["location"].startswith("/login")
