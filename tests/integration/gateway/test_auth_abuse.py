"""Guessing keys is throttled per client address, and garbage keys cost no lookups once the
address is over its limit nor push real keys out of the cache.

A plain NATS subscriber on the key-verification subject counts the lookups the gateway makes
(each one a bus round trip and a database query in the invoices service).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator

import httpx
import nats

from billwire_shared import subjects
from billwire_shared.subjects import Names
from tests.stack import Api, Stack


def garbage() -> dict[str, str]:
    return {"Authorization": f"Bearer bw_{secrets.token_urlsafe(32)}"}


def loopback_address() -> str:
    """A peer address of this test alone: all of 127.0.0.0/8 reaches the local server."""
    return f"127.{secrets.randbelow(250) + 1}.{secrets.randbelow(250) + 1}.{secrets.randbelow(250) + 1}"


@contextlib.asynccontextmanager
async def key_lookups(stack: Stack) -> AsyncIterator[list[bytes]]:
    """Every key verification sent on the bus while the block runs."""
    seen: list[bytes] = []
    connection = await nats.connect(stack.nats_url)

    async def count(msg) -> None:
        seen.append(msg.data)

    await connection.subscribe(Names(stack.prefix).subject(subjects.AUTH_VERIFY), cb=count)
    await connection.flush()
    try:
        yield seen
    finally:
        await connection.flush()
        await asyncio.sleep(0.1)
        await connection.close()


async def test_failed_authentication_is_limited_per_client_address(stack: Stack) -> None:
    async with stack.gateway(auth_failures_per_minute=5, client_address_header="X-Forwarded-For") as gateway:
        attacker = {"X-Forwarded-For": "203.0.113.7"}
        for _ in range(5):
            response = await gateway.client.get("/api/v1/clients", headers=garbage() | attacker)
            assert response.status_code == 401, response.text
        async with key_lookups(stack) as lookups:
            for headers in (garbage(), {}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer short"}):
                limited = await gateway.client.get("/api/v1/clients", headers=headers | attacker)
                assert limited.status_code == 429, limited.text
                assert limited.json()["error"]["code"] == "RATE_LIMITED"
                assert int(limited.headers["retry-after"]) > 0
        assert lookups == [], "an address over its limit still made key lookups"

        # Another address (the proxy's header names the client) is not affected.
        neighbour = await gateway.client.get("/api/v1/clients", headers=garbage() | {"X-Forwarded-For": "198.51.100.2"})
        assert neighbour.status_code == 401
        # Only the right-most address counts: what the client itself prepends is ignored.
        spoofed = await gateway.client.get("/api/v1/clients", headers=garbage() | {"X-Forwarded-For": "192.0.2.1, 203.0.113.7"})
        assert spoofed.status_code == 429


async def test_without_a_trusted_header_the_peer_address_counts_and_forwarded_ones_are_ignored(stack: Stack) -> None:
    peer, neighbour = loopback_address(), loopback_address()
    transport = httpx.AsyncHTTPTransport(local_address=peer)
    async with stack.served(auth_failures_per_minute=3) as base, httpx.AsyncClient(base_url=base, transport=transport) as http:
        for number in range(3):
            spoofing = {"X-Forwarded-For": f"192.0.2.{number}", "X-Real-IP": f"192.0.2.{number}"}
            assert (await http.get("/api/v1/clients", headers=garbage() | spoofing)).status_code == 401
        assert (await http.get("/api/v1/clients", headers=garbage() | {"X-Forwarded-For": "192.0.2.99"})).status_code == 429
        async with httpx.AsyncClient(base_url=base, transport=httpx.AsyncHTTPTransport(local_address=neighbour)) as other_peer:
            assert (await other_peer.get("/api/v1/clients", headers=garbage())).status_code == 401


async def test_a_valid_key_is_served_from_the_cache_after_a_flood_of_garbage(stack: Stack) -> None:
    _, key = await stack.new_account()
    async with stack.gateway(key_cache_seconds=120, key_cache_entries=100, auth_failures_per_minute=10_000) as gateway:
        api = Api(gateway.client, key)
        assert (await api.get("/clients")).status_code == 200
        async with key_lookups(stack) as lookups:
            answers = await asyncio.gather(*(gateway.client.get("/api/v1/clients", headers=garbage()) for _ in range(300)))
            assert {response.status_code for response in answers} == {401}
            looked_up = len(lookups)
            assert (await api.get("/clients")).status_code == 200
        assert looked_up >= 1 and len(lookups) == looked_up, "the valid key was looked up again: garbage displaced it"
