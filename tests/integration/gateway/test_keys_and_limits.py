"""Bearer keys, scopes, revocation across replicas, and the shared per-key rate limit."""

from __future__ import annotations

import asyncio
import re
import time
from uuid import UUID

from billwire_invoices.accounts.handlers import issue_api_key
from tests.stack import BUYER, Stack


async def test_requests_without_a_valid_key_are_refused(stack: Stack) -> None:
    for headers in ({}, {"Authorization": "Bearer bw_not-a-real-key-000000000000"}, {"Authorization": "Basic abc"}):
        response = await stack.http.get("/api/v1/clients", headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "UNAUTHORIZED"
        assert response.headers["x-request-id"]
        assert response.headers["www-authenticate"].startswith("Bearer")


async def test_every_response_has_a_request_id_and_echoes_the_callers(stack: Stack) -> None:
    _, key = await stack.new_account()
    api = stack.api(key)
    assert (await api.get("/clients", headers={"X-Request-Id": "trace-me-42"})).headers["x-request-id"] == "trace-me-42"
    for response in (await api.get("/clients"), await stack.http.get("/health"), await api.get("/nowhere")):
        assert len(response.headers["x-request-id"]) >= 16


async def test_scopes_limit_what_a_key_may_do(stack: Stack) -> None:
    _, admin_key = await stack.new_account()
    admin = stack.api(admin_key)
    created = await admin.post("/settings/api-keys", json={"name": "read only", "scopes": ["read"]})
    assert created.status_code == 201
    reader = stack.api(created.json()["key"])

    assert (await reader.get("/clients")).status_code == 200
    assert (await reader.get("/settings/profile")).status_code == 200
    refused = await reader.post("/clients", json={"name": "Nope"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "FORBIDDEN"
    assert "write" in refused.json()["error"]["message"]
    assert (await reader.get("/settings/api-keys")).status_code == 403
    assert (await reader.patch("/settings/profile", json={"company_name": "x"})).status_code == 403
    assert (await admin.get("/clients", params={"q": "Nope"})).json()["total"] == 0

    writer_key = (await admin.post("/settings/api-keys", json={"scopes": ["read", "write"]})).json()["key"]
    writer = stack.api(writer_key)
    assert (await writer.post("/clients", json={"name": "Yes"})).status_code == 201
    assert (await writer.post("/settings/api-keys", json={"scopes": ["admin"]})).status_code == 403

    # E-mail leaves the house only with `email:send`: a writer may draft, not send.
    draft = await writer.post("/invoices", json={"client": BUYER, "lines": [{"description": "x", "unit_price": "1"}]})
    assert draft.status_code == 201, draft.text
    unsent = await writer.post(f"/invoices/{draft.json()['id']}/send", json={})
    assert unsent.status_code == 403 and "email:send" in unsent.json()["error"]["message"], unsent.text
    assert (await writer.get(f"/invoices/{draft.json()['id']}")).json()["status"] == "draft"  # not even finalized


async def test_a_revoked_key_stops_working_on_every_gateway_replica_within_seconds(stack: Stack) -> None:
    _, admin_key = await stack.new_account()
    admin = stack.api(admin_key)
    victim = (await admin.post("/settings/api-keys", json={"name": "leaked", "scopes": ["read"]})).json()

    async with stack.gateway(key_cache_seconds=30.0) as other_replica:
        other = type(other_replica)(other_replica.client, victim["key"])
        assert (await other.get("/clients")).status_code == 200  # now cached there for 30 s
        assert (await stack.api(victim["key"]).get("/clients")).status_code == 200

        assert (await admin.delete(f"/settings/api-keys/{victim['id']}")).status_code == 204
        started = time.monotonic()
        while (await other.get("/clients")).status_code != 401:
            assert time.monotonic() - started < 5, "the other replica still accepts the revoked key"
            await asyncio.sleep(0.05)
        assert (await stack.api(victim["key"]).get("/clients")).status_code == 401

    listed = (await admin.get("/settings/api-keys")).json()
    assert [k["revoked_at"] is not None for k in listed if k["id"] == victim["id"]] == [True]
    assert all("key" not in k for k in listed)


async def test_rate_limit_headers_429_and_one_count_shared_by_replicas(stack: Stack) -> None:
    _, key = await stack.new_account()
    if time.time() % 60 > 50:  # keep the whole test inside one one-minute window
        await asyncio.sleep(61 - time.time() % 60)
    async with stack.gateway(rate_limit_per_minute=6) as first, stack.gateway(rate_limit_per_minute=6) as second:
        first, second = type(first)(first.client, key), type(second)(second.client, key)
        remaining = []
        for replica in (first, second, first, second, first, second):
            response = await replica.get("/clients")
            assert response.status_code == 200, response.text
            assert response.headers["x-ratelimit-limit"] == "6"
            reset_at = int(response.headers["x-ratelimit-reset"])  # a Unix time: the window's end
            assert reset_at % 60 == 0 and 0 < reset_at - time.time() <= 60
            assert response.headers["ratelimit-policy"] == '"key";q=6;w=60, "account";q=1000;w=60'
            remaining.append(int(response.headers["x-ratelimit-remaining"]))
            assert re.fullmatch(rf'"key";r={remaining[-1]};t=(\d+), "account";r=(\d+);t=(\d+)', response.headers["ratelimit"])
        assert remaining == [5, 4, 3, 2, 1, 0]

        for replica in (second, first):
            limited = await replica.get("/clients")
            assert limited.status_code == 429
            assert limited.json()["error"]["code"] == "RATE_LIMITED"
            assert limited.headers["x-ratelimit-remaining"] == "0"
            assert 1 <= int(limited.headers["retry-after"]) <= 60
            assert limited.headers["x-request-id"]

        # Another key of the same gateways has its own count.
        _, other_key = await stack.new_account()
        assert (await type(first)(first.client, other_key).get("/clients")).status_code == 200


async def test_concurrent_requests_are_each_counted_once(stack: Stack) -> None:
    _, key = await stack.new_account()
    if time.time() % 60 > 50:
        await asyncio.sleep(61 - time.time() % 60)
    async with stack.gateway(rate_limit_per_minute=10) as first, stack.gateway(rate_limit_per_minute=10) as second:
        replicas = [type(first)(first.client, key), type(second)(second.client, key)]
        responses = await asyncio.gather(*(replicas[i % 2].get("/clients") for i in range(30)))
    statuses = [r.status_code for r in responses]
    assert statuses.count(200) == 10 and statuses.count(429) == 20


async def test_the_account_limit_counts_all_its_keys_together(stack: Stack) -> None:
    account_id, admin_key = await stack.new_account()
    # Straight to the database: a request through the stack's own gateway (no limits) would lease
    # a share of this minute's counts first.
    async with stack.invoices.pool.acquire() as conn:
        second_key = (await issue_api_key(conn, UUID(account_id), "second", ["read"])).key
    if time.time() % 60 > 50:
        await asyncio.sleep(61 - time.time() % 60)
    async with stack.gateway(rate_limit_per_minute=4, rate_limit_per_account_per_minute=6) as replica:
        keys = [type(replica)(replica.client, admin_key), type(replica)(replica.client, second_key)]
        answers = [await keys[i % 2].get("/clients") for i in range(6)]
        assert [r.status_code for r in answers] == [200] * 6, answers[0].text  # 3 each: under 4 per key, 6 for the account
        assert [r.headers["x-ratelimit-remaining"] for r in answers] == ["3", "3", "2", "2", "1", "0"]
        assert answers[-1].headers["x-ratelimit-limit"] == "6"  # the account's count is the tighter one now
        limited = await keys[0].get("/clients")  # the key has one left; its account has none
        assert limited.status_code == 429, limited.text
        assert "account" in limited.json()["error"]["message"] and "6" in limited.json()["error"]["message"]
        assert limited.headers["x-ratelimit-limit"] == "6" and limited.headers["x-ratelimit-remaining"] == "0"
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        assert re.fullmatch(r'"key";r=0;t=\d+, "account";r=0;t=\d+', limited.headers["ratelimit"]), limited.headers["ratelimit"]

        # Another account's keys on the same gateway have their own count.
        _, other_key = await stack.new_account()
        assert (await type(replica)(replica.client, other_key).get("/clients")).status_code == 200


async def test_an_account_has_at_most_the_configured_number_of_active_keys(stack: Stack) -> None:
    _, admin_key = await stack.new_account()
    admin = stack.api(admin_key)
    made = [(await admin.post("/settings/api-keys", json={"name": f"k{n}", "scopes": ["read"]})) for n in range(99)]
    assert all(response.status_code == 201 for response in made)  # with the first admin key: 100
    refused = await admin.post("/settings/api-keys", json={"name": "one too many", "scopes": ["read"]})
    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert error["code"] == "API_KEY_LIMIT_REACHED" and "100" in error["message"]
    assert len((await admin.get("/settings/api-keys")).json()) == 100

    # A revoked key frees its place.
    assert (await admin.delete(f"/settings/api-keys/{made[0].json()['id']}")).status_code == 204
    assert (await admin.post("/settings/api-keys", json={"name": "replacement", "scopes": ["read"]})).status_code == 201
    assert (await admin.post("/settings/api-keys", json={"name": "again too many", "scopes": ["read"]})).status_code == 409
