"""Webhooks end to end: a real HTTP receiver on loopback verifies every signature, answers 500
once and sees the retry, gets exactly one successful delivery per event (also with two
workers racing); the secret is stored encrypted, never in clear; another account never reaches
a webhook; private targets are refused without the setting."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from uuid import UUID

import asyncpg
import pytest_asyncio
import uvicorn
from cryptography.fernet import Fernet

from billwire_cli.embedded import free_port
from billwire_invoices.webhooks import rules as wh
from billwire_invoices.webhooks.worker import DeliveryWorker
from tests.stack import BUYER, Stack, own_stack, ready_account

LINES = [{"description": "Work", "quantity": "2", "unit_price": "100"}]
SECRETS_KEY = Fernet.generate_key().decode()


@dataclass
class Receiver:
    """An HTTP endpoint on loopback that records what it gets; `fail` answers 500 that often first."""

    fail: int = 0
    requests: list[dict] = field(default_factory=list)
    url: str = ""

    async def __call__(self, scope, receive, send) -> None:
        assert scope["type"] == "http"
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        status = 500 if self.fail > 0 else 200
        self.fail -= 1
        self.requests.append({"path": scope["path"], "headers": headers, "body": body, "status": status})
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok" if status == 200 else b"boom"})

    def of(self, event_type: str) -> list[dict]:
        return [r for r in self.requests if r["headers"].get("billwire-event") == event_type]


@contextlib.asynccontextmanager
async def receiving(receiver: Receiver) -> AsyncIterator[Receiver]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(receiver, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    receiver.url = f"http://127.0.0.1:{port}/hooks/billwire"
    try:
        yield receiver
    finally:
        server.should_exit = True
        await task


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def hooks_stack(pg_admin_url: str, nats_url: str, bus_prefix: str) -> AsyncIterator[Stack]:
    """A stack of its own whose webhooks may target loopback and retry within a second."""
    invoices = {
        "outbox_poll_interval": 0.1, "webhooks_allow_private": True, "webhooks_retry_scale": 0.01, "webhooks_poll_interval": 0.1,
        "webhooks_timeout": 5, "secrets_keys": SECRETS_KEY,
    }
    async with own_stack(pg_admin_url, nats_url, f"{bus_prefix}_wh", invoices, {"rate_limit_per_minute": 100_000}) as stack:
        yield stack


async def paid_invoice(api) -> dict:
    draft = (await api.post("/invoices", json={"client": BUYER, "lines": LINES})).json()
    assert (await api.post(f"/invoices/{draft['id']}/finalize")).status_code == 200
    paid = await api.post(f"/invoices/{draft['id']}/mark-paid")
    assert paid.status_code == 200, paid.text
    return paid.json()


async def wait_for(condition, timeout: float = 15.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.05)


async def test_signed_deliveries_retry_after_a_500_and_succeed_once(hooks_stack: Stack) -> None:
    api = await ready_account(hooks_stack, "Hooks GmbH")
    async with receiving(Receiver(fail=1)) as receiver:
        created = await api.post("/webhooks", json={"url": receiver.url, "events": ["invoice.paid"], "description": "ERP"})
        assert created.status_code == 201, created.text
        hook = created.json()
        secret = hook["secret"]
        assert secret.startswith("whsec_") and hook["events"] == ["invoice.paid"] and hook["secret_prefix"] == secret[:10]
        listed = (await api.get("/webhooks")).json()
        assert [h["id"] for h in listed] == [hook["id"]] and "secret" not in listed[0]
        assert "secret" not in (await api.get(f"/webhooks/{hook['id']}")).json()
        conn = await asyncpg.connect(hooks_stack.database_url, server_settings={"search_path": "invoices"})
        try:
            stored = await conn.fetchrow("SELECT secret, secret_prefix FROM webhooks WHERE id = $1", UUID(hook["id"]))
        finally:
            await conn.close()
        assert stored["secret"].startswith("enc:") and secret not in stored["secret"] and secret[6:] not in stored["secret"]
        assert Fernet(SECRETS_KEY).decrypt(stored["secret"][4:].encode()).decode() == secret
        assert stored["secret_prefix"] == secret[:10]

        invoice = await paid_invoice(api)
        await wait_for(lambda: any(r["status"] == 200 for r in receiver.of("invoice.paid")))
        await asyncio.sleep(1.0)  # time for any extra (wrong) delivery to show up

    attempts = receiver.requests
    assert [r["status"] for r in attempts] == [500, 200]  # only invoice.paid was asked for; one retry
    for request in attempts:
        headers, body = request["headers"], request["body"]
        assert request["path"] == "/hooks/billwire" and headers["content-type"] == "application/json"
        assert wh.verify(secret, headers["billwire-signature"], body)
        assert not wh.verify(secret, headers["billwire-signature"], body.replace(b"paid", b"PAID"))
        event = json.loads(body)
        assert set(event) == {"id", "type", "occurred_at", "account_id", "data"}
        assert event["type"] == "invoice.paid" and event["data"]["id"] == invoice["id"] and event["data"]["status"] == "paid"
    assert attempts[0]["headers"]["billwire-delivery"] == attempts[1]["headers"]["billwire-delivery"]
    assert json.loads(attempts[0]["body"]) == json.loads(attempts[1]["body"])

    deliveries = (await api.get(f"/webhooks/{hook['id']}/deliveries")).json()
    assert deliveries["total"] == 1
    (delivery,) = deliveries["items"]
    assert delivery["id"] == attempts[0]["headers"]["billwire-delivery"] and delivery["event_id"] == event["id"]
    assert (delivery["state"], delivery["attempts"], delivery["last_status"]) == ("delivered", 2, 200)
    assert [(a["attempt"], a["status"]) for a in delivery["history"]] == [(1, 500), (2, 200)]
    assert delivery["history"][0]["error"] == "HTTP 500" and delivery["delivered_at"]
    assert (await api.get(f"/webhooks/{hook['id']}/deliveries", params={"state": "failed"})).json()["total"] == 0

    assert (await api.delete(f"/webhooks/{hook['id']}")).status_code == 204
    assert (await api.get(f"/webhooks/{hook['id']}")).status_code == 404
    assert (await api.get("/webhooks")).json() == []


async def test_another_account_never_reaches_a_webhook_or_its_events(hooks_stack: Stack) -> None:
    """B aims every webhook route at A's webhook and finds nothing; A's webhook and its
    deliveries are as before, and B's own events never reach A's receiver."""
    async with receiving(Receiver()) as receiver, receiving(Receiver()) as b_receiver:
        a = await ready_account(hooks_stack, "Alpha Hooks GmbH")
        b = await ready_account(hooks_stack, "Bravo Hooks GmbH")
        hook = (await a.post("/webhooks", json={"url": receiver.url, "events": ["*"], "description": "Alpha ERP"})).json()
        await paid_invoice(a)
        await wait_for(lambda: receiver.of("invoice.paid"))
        await asyncio.sleep(1.0)  # any later event of A's is in by now
        deliveries = f"/webhooks/{hook['id']}/deliveries"
        async with asyncio.timeout(15):
            while (await a.get(deliveries, params={"state": "delivered"})).json()["total"] < len(receiver.requests):
                await asyncio.sleep(0.05)
        a_before = [(await a.get(path)).json() for path in (f"/webhooks/{hook['id']}", deliveries, "/webhooks")]

        for method, path in (("GET", f"/webhooks/{hook['id']}"), ("GET", deliveries), ("DELETE", f"/webhooks/{hook['id']}")):
            refused = await b.request(method, path)
            assert refused.status_code == 404, (method, path, refused.text)
            assert refused.json()["error"]["code"] == "NOT_FOUND" and "Alpha" not in refused.text
        assert (await b.get("/webhooks")).json() == []

        seen = len(receiver.requests)
        assert (await b.post("/webhooks", json={"url": b_receiver.url, "events": ["*"]})).status_code == 201
        b_invoice = await paid_invoice(b)  # B's invoice.finalized, invoice.paid...
        await wait_for(lambda: any(json.loads(r["body"])["data"].get("id") == b_invoice["id"] for r in b_receiver.of("invoice.paid")))
        await asyncio.sleep(0.5)  # B's events have been delivered (to B); A's receiver would have had them too
        assert len(receiver.requests) == seen, [r["headers"].get("billwire-event") for r in receiver.requests[seen:]]
        assert (await b.get("/webhooks")).json()[0]["url"] == b_receiver.url
        assert [(await a.get(path)).json() for path in (f"/webhooks/{hook['id']}", deliveries, "/webhooks")] == a_before


async def test_two_workers_deliver_each_event_once(hooks_stack: Stack) -> None:
    api = await ready_account(hooks_stack, "Busy GmbH")
    assert hooks_stack.invoices.pool is not None
    second = DeliveryWorker(hooks_stack.invoices.pool, box=hooks_stack.invoices.webhooks.worker.box, allow_private=True, poll_interval=0.05, retry_scale=0.01)
    async with receiving(Receiver()) as receiver:
        await api.post("/webhooks", json={"url": receiver.url, "events": ["client.*"]})
        second.start()
        try:
            created = await asyncio.gather(*(api.post("/clients", json=BUYER | {"name": f"Client {i}"}) for i in range(20)))
            ids = {r.json()["id"] for r in created}
            await wait_for(lambda: len(receiver.requests) >= 20)
            await asyncio.sleep(1.0)
        finally:
            await second.stop()
    delivered = [json.loads(r["body"])["data"]["id"] for r in receiver.requests]
    assert sorted(delivered) == sorted(ids)  # every event, none twice
    assert len({r["headers"]["billwire-delivery"] for r in receiver.requests}) == 20


async def test_a_webhook_created_later_gets_only_later_events_and_filters_hold(hooks_stack: Stack) -> None:
    api = await ready_account(hooks_stack, "Filters GmbH")
    async with receiving(Receiver()) as receiver:
        early = (await api.post("/clients", json=BUYER)).json()
        await asyncio.sleep(0.5)
        await api.post("/webhooks", json={"url": receiver.url, "events": ["invoice.*", "client.deleted"]})
        assert (await api.delete(f"/clients/{early['id']}")).status_code == 204
        await paid_invoice(api)
        await wait_for(lambda: len(receiver.of("invoice.paid")) == 1)
        await asyncio.sleep(0.5)
    types = [r["headers"]["billwire-event"] for r in receiver.requests]
    assert sorted(types) == ["client.deleted", "invoice.created", "invoice.finalized", "invoice.paid", "invoice.payment_recorded"]


async def test_private_targets_and_bad_webhooks_are_refused(stack: Stack) -> None:
    """The shared stack runs with the default settings: no private targets."""
    api = await ready_account(stack, "Careful GmbH")
    for url in ("http://127.0.0.1:9/hook", "http://localhost/hook", "http://[::1]/", "http://169.254.169.254/latest/meta-data",
                "http://10.0.0.1/", "http://192.168.0.10:8080/x"):
        refused = await api.post("/webhooks", json={"url": url, "events": ["*"]})
        assert refused.status_code == 422, (url, refused.text)
        detail = refused.json()["error"]["details"][0]
        assert detail["field"] == "url" and "private" in detail["message"], detail
    bad = await api.post("/webhooks", json={"url": "ftp://example.com/", "events": ["*"]})
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "url"
    unknown = await api.post("/webhooks", json={"url": "https://example.com/", "events": ["invoice.exploded"]})
    assert unknown.status_code == 422 and unknown.json()["error"]["details"][0]["field"] == "events[0]"
    assert (await api.post("/webhooks", json={"url": "https://example.com/", "events": []})).status_code in (400, 422)
    assert (await api.get("/webhooks")).json() == []

    # A key without `admin` (a member's scopes) may neither list webhooks nor make or remove them.
    reader = await api.post("/settings/api-keys", json={"name": "r", "scopes": ["read", "write", "email:send"]})
    assert reader.status_code == 201, reader.text
    other = stack.api(reader.json()["key"])
    assert (await other.post("/webhooks", json={"url": "https://example.com/", "events": ["*"]})).status_code == 403
    assert (await other.get("/webhooks")).status_code == 403
