"""Bearer keys, scopes, revocation across replicas, and the shared per-key rate limit."""

from __future__ import annotations

import asyncio
import time

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
            assert 1 <= int(response.headers["x-ratelimit-reset"]) <= 60
            remaining.append(int(response.headers["x-ratelimit-remaining"]))
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
