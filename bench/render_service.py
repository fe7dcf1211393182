"""(d) The whole rendering service: a send request in (an `events.invoice.send_requested` on
JetStream) -> consumer -> render input over the bus -> page pool -> Postgres + outbox -> outbox publisher
-> `events.document.rendered` out. Every request is a new document, so every one renders.

The bench answers the invoices service's render-input RPC itself with the sample invoice (under
the requested id), so only the rendering service is measured.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import msgspec
import nats

from bench.cpu import tree_seconds
from bench.infra import Infra
from bench.procs import BenchError, ProcessGroup, child_env
from bench.render_scenarios import Result, RssSampler
from billwire_shared import subjects
from billwire_shared.contracts.events import Event
from billwire_shared.contracts.mail import SendRequest, SendRequested
from billwire_shared.contracts.rendering import GetRenderInput, RenderInput
from billwire_shared.subjects import Names

ACCOUNT = uuid.UUID("01900000-0000-7000-8000-0000000000ac")


def _sample_input() -> RenderInput:
    from tests.integration.rendering.samples import make_input

    return make_input()


async def _answer_render_input(nc: nats.NATS, names: Names, sample: RenderInput) -> None:
    async def reply(msg) -> None:
        request = msgspec.json.decode(msg.data, type=GetRenderInput)
        doc = msgspec.structs.replace(sample.document, id=request.id)
        await msg.respond(msgspec.json.encode(msgspec.structs.replace(sample, document=doc)))

    await nc.subscribe(names.subject(subjects.DOCUMENT_RENDER_INPUT), queue="bench-invoices", cb=reply)


def _send_event(document_id: uuid.UUID) -> tuple[uuid.UUID, bytes]:
    send = SendRequest(
        id=uuid.uuid4(), account_id=ACCOUNT, document_id=document_id, document_number="INV-2026-0001",
        document_type="invoice", version=2, sender_name="Bench", reply_to=None, to=["ap@globex.example"],
        subject="Invoice", body="Hello", requested_at=datetime.now(UTC),
    )
    event = Event(id=uuid.uuid4(), type="invoice.send_requested", occurred_at=datetime.now(UTC), account_id=ACCOUNT,
                  data=SendRequested(send=send))
    return event.id, msgspec.json.encode(event)


async def _measure(infra: Infra, pages: int, seconds: float, pid: int, sample: RenderInput) -> Result:
    names = Names(infra.prefix)
    nc = await nats.connect(infra.nats_url)
    js = nc.jetstream(timeout=10)
    pending: dict[str, tuple[float, asyncio.Future]] = {}

    async def on_rendered(msg) -> None:
        event = msgspec.json.decode(msg.data)
        waiting = pending.pop(event["data"]["document_id"], None)
        if waiting and not waiting[1].done():
            waiting[1].set_result(time.monotonic() - waiting[0])

    try:
        await _answer_render_input(nc, names, sample)
        await nc.subscribe(names.subject(subjects.DOCUMENT_RENDERED), cb=on_rendered)

        async def one() -> float:
            document_id = uuid.uuid4()
            future = asyncio.get_running_loop().create_future()
            pending[str(document_id)] = (time.monotonic(), future)
            event_id, payload = _send_event(document_id)
            await js.publish(names.subject(subjects.INVOICE_SEND_REQUESTED), payload, headers={"Nats-Msg-Id": str(event_id)})
            return await asyncio.wait_for(future, 60)

        # Warm-up, then a closed loop with enough requests in flight to keep every page busy.
        await asyncio.gather(*(one() for _ in range(pages * 4)))
        result = Result("d", note=f"{pages} pages, service")
        deadline = time.monotonic() + seconds
        started = time.monotonic()

        async def client() -> None:
            while time.monotonic() < deadline:
                try:
                    result.latencies.append(await one())
                except Exception:
                    result.errors += 1

        cpu_before = tree_seconds({"service": pid})["service"]
        with RssSampler(pid) as rss:
            await asyncio.gather(*(client() for _ in range(pages * 2)))
        result.seconds = time.monotonic() - started
        result.cpu = tree_seconds({"service": pid})["service"] - cpu_before
        result.peak_rss = rss.peak
        return result
    finally:
        await nc.close()


@contextlib.contextmanager
def running(infra: Infra, pages: int, cpus: frozenset[int] | None = None) -> Iterator[Callable[..., Result]]:
    """The rendering service up and ready (on `cpus`, all by default); yields
    `measure(seconds, sample=None)`, callable many times: every request renders `sample` (the
    test suite's sample invoice by default)."""
    env = child_env(
        DATABASE_URL=infra.database_url, NATS_URL=infra.nats_url, BILLWIRE_PREFIX=infra.prefix,
        BILLWIRE_LOG_LEVEL="WARNING", BILLWIRE_RENDER_PAGES=str(pages), BILLWIRE_CHROMIUM_INSTALL="false",
        BILLWIRE_OUTBOX_POLL_INTERVAL="0.5",
        # A recycled browser's renderers are reparented, not reaped by the service: their CPU
        # would drop out of the measured process tree.
        BILLWIRE_RENDER_RESTART_AFTER="1000000",
    )
    group = ProcessGroup("rendering", env)
    try:
        service = group.start("service", "billwire_rendering", cpus=cpus)
        _wait_ready(infra, service)
        yield lambda seconds, sample=None: asyncio.run(_measure(infra, pages, seconds, service.pid, sample or _sample_input()))
    finally:
        group.stop()
        asyncio.run(_clean(infra))


def rendering_service(infra: Infra, pages: int, seconds: float) -> Result:
    with running(infra, pages) as measure:
        return measure(seconds)


def combined(*results: Result) -> Result:
    """Several measurements of the same service as one: all PDFs over all the seconds."""
    merged = Result("d", note=results[0].note)
    for r in results:
        merged.latencies += r.latencies
        merged.seconds += r.seconds
        merged.cpu += r.cpu
        merged.errors += r.errors
        merged.peak_rss = max(merged.peak_rss, r.peak_rss)
    return merged


def _wait_ready(infra: Infra, service, timeout: float = 90.0) -> None:
    async def ask() -> bool:
        nc = await nats.connect(infra.nats_url)
        try:
            reply = await nc.request(Names(infra.prefix).subject(subjects.RENDERING_HEALTH), b"{}", timeout=1)
            return bool(msgspec.json.decode(reply.data).get("ready"))
        except Exception:
            return False
        finally:
            await nc.close()

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not service.alive():
            raise service.failure("exited before it was ready")
        if asyncio.run(ask()):
            return
        time.sleep(0.3)
    raise BenchError("the rendering service did not report ready within 90 s")


async def _clean(infra: Infra) -> None:
    from billwire_shared.consumers import DEAD_LETTER_STREAM

    nc = await nats.connect(infra.nats_url)
    try:
        js = nc.jetstream(timeout=10)
        try:
            await js.delete_stream(Names(infra.prefix).stream(DEAD_LETTER_STREAM))
        except Exception:
            pass
    finally:
        await nc.close()
