"""The rendering service on the bus: push-back as 503 + Retry-After, readiness while the
browser restarts, redelivered events storing nothing twice, large artifacts in chunks, and a
send that cannot get its PDF ending as failed."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import msgspec
import pytest
from nats.aio.msg import Msg

from billwire_rendering import repository as repo
from billwire_rendering.handlers import SEND_REQUESTED, RenderingHandlers
from billwire_rendering.renderer import Renderer
from billwire_shared import subjects
from billwire_shared.consumers import _DELIVERY
from billwire_shared.contracts.common import Caller, HealthReply
from billwire_shared.contracts.events import Event
from billwire_shared.contracts.mail import SendRequest, SendRequested
from billwire_shared.contracts.rendering import CHUNK_BYTES, ArtifactChunk, GetArtifactChunk
from billwire_shared.errors import BillwireError, ErrorCode
from tests.stack import BUYER, Stack, ready_account


async def test_a_saturated_renderer_answers_503_with_retry_after(stack: Stack) -> None:
    async with stack.rendering_service(render_pages=1, render_queue=0) as service:
        api = await ready_account(stack)
        lines = [{"description": f"Item {i}", "unit_price": "10"} for i in range(1, 121)]
        drafts = [(await api.post("/invoices", json={"client": BUYER, "lines": lines})).json() for _ in range(6)]
        responses = await asyncio.gather(*(api.get(f"/invoices/{d['id']}/pdf") for d in drafts))
        statuses = [r.status_code for r in responses]
        assert 503 in statuses and set(statuses) <= {200, 503}, statuses
        busy = next(r for r in responses if r.status_code == 503)
        assert busy.headers["retry-after"].isdigit()
        assert busy.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
        # Coming back as told gets the PDF (the replica may still be rendering earlier events).
        for draft, response in zip(drafts, responses, strict=True):
            async with asyncio.timeout(90):
                while response.status_code == 503:
                    await asyncio.sleep(min(float(response.headers["retry-after"]), 1.0))
                    response = await api.get(f"/invoices/{draft['id']}/pdf")
            assert response.status_code == 200 and response.content.startswith(b"%PDF")
        assert service.browser.queue_depth == 0


async def test_health_reports_not_ready_while_the_browser_restarts(stack: Stack) -> None:
    async with stack.rendering_service(render_pages=1) as service:
        async def health() -> HealthReply:
            reply = await service.nc.request(stack.prefix + "." + subjects.RENDERING_HEALTH, b"{}", timeout=5)
            return msgspec.json.decode(reply.data, type=HealthReply)

        assert (await health()).ready
        generation = service.browser._current
        restart = asyncio.create_task(service.browser._replace(generation, "test"))
        await asyncio.sleep(0)  # the restart has begun: no browser until the new one is up
        assert not service.ready_check() and not (await health()).ready
        await restart
        assert (await health()).ready


async def test_redelivered_finalized_event_stores_nothing_twice(stack: Stack) -> None:
    async with stack.rendering_service() as service:
        api = await ready_account(stack)
        draft = (await api.post("/invoices", json={"client": BUYER, "lines": [{"description": "x", "unit_price": "5"}]})).json()
        issued = (await api.post(f"/invoices/{draft['id']}/finalize")).json()
        document_id = uuid.UUID(issued["id"])
        async with asyncio.timeout(20):
            while True:
                async with service.pool.acquire() as conn:
                    count = await conn.fetchval("SELECT count(*) FROM artifacts WHERE document_id = $1", document_id)
                    events = await conn.fetchval("SELECT count(*) FROM outbox WHERE convert_from(payload, 'UTF8') LIKE '%' || $1 || '%'", str(document_id))
                if count:
                    break
                await asyncio.sleep(0.1)
        account = (await service.pool.fetchrow("SELECT account_id FROM artifacts WHERE document_id = $1", document_id))["account_id"]
        ctx = Caller(account_id=account)
        # The same fact again (a redelivery) and two concurrent renders: still one PDF, one event.
        await asyncio.gather(*(service.renderer.artifact(ctx, document_id) for _ in range(3)))
        async with service.pool.acquire() as conn:
            assert await conn.fetchval("SELECT count(*) FROM artifacts WHERE document_id = $1", document_id) == 1
            assert await conn.fetchval("SELECT count(*) FROM outbox WHERE convert_from(payload, 'UTF8') LIKE '%' || $1 || '%'", str(document_id)) == events == 1
            stored = await repo.issued_artifact(conn, account, document_id)
        assert stored is not None and stored.artifact.filename == f"{issued['number']}.pdf"


async def test_artifacts_come_in_chunks(stack: Stack) -> None:
    async with stack.rendering_service() as service:
        artifact_id = uuid.uuid4()
        account = uuid.uuid4()
        data = bytes(range(256)) * (CHUNK_BYTES // 256 * 2 + 10)  # two full chunks and a bit
        async with service.pool.acquire() as conn:
            await conn.execute(
                "INSERT INTO artifacts (id, account_id, document_id, document_type, version, preview, filename,"
                " media_type, size, sha256, template, language, data) VALUES ($1, $2, $3, 'invoice', 1, false,"
                " 'big.pdf', 'application/pdf', $4, 'x', 't', 'en', $5)", artifact_id, account, uuid.uuid4(), len(data), data,
            )
        received, offset, last = b"", 0, False
        while not last:
            command = GetArtifactChunk(ctx=Caller(account_id=account), artifact_id=artifact_id, offset=offset)
            reply = await service.nc.request(stack.prefix + "." + subjects.ARTIFACT_GET, msgspec.json.encode(command), timeout=5)
            chunk = msgspec.json.decode(reply.data, type=ArtifactChunk)
            assert len(reply.data) < 1024 * 1024  # fits NATS' default max payload
            received, offset, last = received + chunk.data, offset + len(chunk.data), chunk.last
        assert received == data
        other = GetArtifactChunk(ctx=Caller(account_id=uuid.uuid4()), artifact_id=artifact_id)
        reply = await service.nc.request(stack.prefix + "." + subjects.ARTIFACT_GET, msgspec.json.encode(other), timeout=5)
        assert reply.headers and reply.headers.get("billwire-error") == "NOT_FOUND"


async def test_a_pdf_just_printed_is_served_from_memory_to_its_own_account_only(stack: Stack) -> None:
    async with stack.rendering_service() as service:
        api = await ready_account(stack)
        draft = (await api.post("/invoices", json={"client": BUYER, "lines": [{"description": "x", "unit_price": "5"}]})).json()
        await api.post(f"/invoices/{draft['id']}/finalize")
        document_id = uuid.UUID(draft["id"])
        async with asyncio.timeout(30):
            while (row := await service.pool.fetchrow("SELECT id, account_id, data FROM artifacts WHERE document_id = $1", document_id)) is None:
                await asyncio.sleep(0.1)
        assert row["id"] in service.renderer._pdfs  # printed by this replica: kept for the mailer's fetch

        async def fetch(account: uuid.UUID) -> Msg:
            command = GetArtifactChunk(ctx=Caller(account_id=account), artifact_id=row["id"], offset=0)
            return await service.nc.request(stack.prefix + "." + subjects.ARTIFACT_GET, msgspec.json.encode(command), timeout=5)

        chunk = msgspec.json.decode((await fetch(row["account_id"])).data, type=ArtifactChunk)
        assert chunk.data == bytes(row["data"]) and chunk.last and chunk.artifact.id == row["id"]
        other = await fetch(uuid.uuid4())
        assert other.headers and other.headers.get("billwire-error") == "NOT_FOUND"


def send_requested(account_id: uuid.UUID, document_id: uuid.UUID) -> Event:
    send = SendRequest(
        id=uuid.uuid4(), account_id=account_id, document_id=document_id, document_number="INV-1", document_type="invoice",
        version=2, sender_name="Acme GmbH", reply_to=None, to=["ap@globex.example"], subject="Invoice", body="Hello",
        requested_at=datetime.now(UTC),
    )
    return Event(id=uuid.uuid4(), type="invoice.send_requested", occurred_at=datetime.now(UTC), account_id=account_id,
                 data=SendRequested(send=send))


async def test_a_send_of_a_document_that_is_not_there_ends_as_email_failed(stack: Stack) -> None:
    async with stack.rendering_service() as service:
        account_id, _ = await stack.new_account()
        event = send_requested(uuid.UUID(account_id), uuid.uuid4())  # no such document
        failed: asyncio.Queue[dict] = asyncio.Queue()

        async def on_failed(msg: Msg) -> None:
            await failed.put(msgspec.json.decode(msg.data))

        sub = await service.nc.subscribe(f"{stack.prefix}.{subjects.EMAIL_FAILED}", cb=on_failed)
        await service.nc.jetstream().publish(f"{stack.prefix}.{subjects.INVOICE_SEND_REQUESTED}", msgspec.json.encode(event))
        async with asyncio.timeout(20):
            while (got := await failed.get())["data"]["send_request_id"] != str(event.data.send.id):
                pass
        await sub.unsubscribe()
        assert got["data"]["permanent"] is True and "could not be found" in got["data"]["reason"]


async def test_a_send_whose_pdf_keeps_failing_ends_as_email_failed_on_the_last_try(stack: Stack) -> None:
    async with stack.rendering_service() as service:
        async def invoices_away(ctx: Caller, document_id: uuid.UUID):
            raise BillwireError(ErrorCode.SERVICE_UNAVAILABLE, "The invoices service is not answering; try again shortly.")

        handlers = RenderingHandlers(Renderer(service.pool, service.browser, invoices_away))
        event = send_requested(uuid.uuid4(), uuid.uuid4())

        async def failed_events() -> list[dict]:
            rows = await service.pool.fetch("SELECT payload FROM outbox WHERE subject = $1", subjects.EMAIL_FAILED)
            found = [msgspec.json.decode(r["payload"]) for r in rows]
            return [e for e in found if e["data"]["send_request_id"] == str(event.data.send.id)]

        for delivery in (1, SEND_REQUESTED.max_deliver - 1):  # retried later: nothing said yet
            token = _DELIVERY.set(delivery)
            try:
                with pytest.raises(BillwireError):
                    await handlers.on_send_requested(event)
            finally:
                _DELIVERY.reset(token)
            assert await failed_events() == []
        token = _DELIVERY.set(SEND_REQUESTED.max_deliver)
        try:
            for _ in range(2):  # the last try, and a redelivery of it: said once
                with pytest.raises(BillwireError):
                    await handlers.on_send_requested(event)
        finally:
            _DELIVERY.reset(token)
        [failed] = await failed_events()
        assert failed["type"] == "email.failed" and failed["data"]["permanent"] is True
        assert failed["data"]["reason"] == (
            f"the PDF could not be rendered after {SEND_REQUESTED.max_deliver} tries: The invoices service is not answering; try again shortly."
        )
