"""Durable JetStream consumers for events: explicit ack, bounded redelivery with growing
delays, and a dead-letter stream that keeps what could not be handled, visible.

FastStream 0.7 terminates a message when its handler fails (ACK policies) or redelivers it
at once, forever (NACK_ON_ERROR). Here the broker-wide `Redelivery` middleware decides
instead: ack on success; on failure nak with the consumer's next backoff delay; after
`max_deliver` attempts copy the message to `deadletter.<consumer>` and terminate it. Events a
handler never answers (it hangs, or its process dies on them) reach JetStream's own limit
instead: `ExhaustedWatch` dead-letters those. Consumers are created up front (two processes
creating one at once can leave one idle).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import nats
from faststream import AckPolicy, BaseMiddleware
from faststream.nats import JStream, NatsBroker, PullSub
from nats.js.api import AckPolicy as JsAckPolicy
from nats.js.api import ConsumerConfig, DeliverPolicy, StorageType, StreamConfig

from billwire_shared.background import BackgroundLoop
from billwire_shared.metrics import DEAD_LETTERS, MessageMetrics
from billwire_shared.subjects import Names
from billwire_shared.telemetry import REQUEST_ID_HEADER, mark_failed, request_context

log = logging.getLogger("billwire.consumers")
DEAD_LETTER_STREAM = "DEADLETTER"
_DELIVERY: ContextVar[int] = ContextVar("billwire_delivery", default=1)


def delivery_count() -> int:
    """How often JetStream has delivered the message being handled (1 the first time); a
    handler reads it here instead of taking the whole NatsMessage, which costs a thread hop."""
    return _DELIVERY.get()


@dataclass(frozen=True)
class Durable:
    """One durable consumer: which events it reads and how hard it retries them."""

    name: str  # unprefixed, e.g. "rendering-finalized"
    subject: str  # unprefixed, e.g. "events.invoice.finalized"
    max_deliver: int = 8
    backoff: tuple[float, ...] = (1, 5, 15, 60, 300, 900, 1800)
    ack_wait: float = 60.0
    batch_size: int = 16
    # Narrower than `subject`: only these subjects reach the consumer, where the server filters
    # on several (NATS 2.10 and later); an older server delivers all of `subject`.
    only: tuple[str, ...] = ()

    def delay(self, delivered: int) -> float:
        return self.backoff[min(delivered, len(self.backoff)) - 1]


# Consumer name (with its deployment prefix) -> policy; filled by `subscribe_durable`.
_POLICIES: dict[str, Durable] = {}


def consumer_name(names: Names, durable: Durable) -> str:
    return names.stream(durable.name.upper().replace("-", "_")).lower().replace("_", "-")


async def ensure_dead_letter_stream(js: nats.js.JetStreamContext, names: Names, replicas: int = 1) -> None:
    config = StreamConfig(
        name=names.stream(DEAD_LETTER_STREAM), subjects=[names.subject("deadletter.>")],
        storage=StorageType.FILE, num_replicas=replicas, max_age=90 * 24 * 3600.0,
        duplicate_window=24 * 3600.0,  # a failure reported twice, hours apart (hung handlers), is kept once
    )
    try:
        await js.add_stream(config)
    except nats.js.errors.BadRequestError:
        await js.update_stream(config)


async def ensure_consumer(js: nats.js.JetStreamContext, names: Names, durable: Durable) -> None:
    """Create (or update) the durable consumer before any subscriber binds to it."""
    name = consumer_name(names, durable)
    several = durable.only and filters_on_several_subjects(js)
    await js.add_consumer(names.events_stream, ConsumerConfig(
        durable_name=name,
        filter_subject=None if several else names.subject(durable.subject),
        filter_subjects=[names.subject(subject) for subject in durable.only] if several else None,
        ack_policy=JsAckPolicy.EXPLICIT,
        deliver_policy=DeliverPolicy.ALL,
        ack_wait=durable.ack_wait,
        # JetStream's own limit sits above ours, so the middleware always sees the last try.
        max_deliver=durable.max_deliver + 1,
    ))


def filters_on_several_subjects(js: nats.js.JetStreamContext) -> bool:
    """Whether the connected server filters a consumer on several subjects (NATS 2.10+)."""
    version = js._nc.connected_server_version  # noqa: SLF001 - nats-py keeps the client private
    return (version.major, version.minor) >= (2, 10)


def subscribe_durable(broker: NatsBroker, names: Names, durable: Durable, handler: Any, max_workers: int = 1) -> Any:
    """Bind `handler` (typed body in) to the durable consumer, pulling in batches;
    `max_workers` > 1 handles that many messages at once (e.g. one per rendering page)."""
    name = consumer_name(names, durable)
    _POLICIES[name] = durable
    DEAD_LETTERS.labels(durable.name)  # shown as 0 from the start: increase() sees the first one
    concurrency: dict[str, Any] = {"max_workers": max_workers} if max_workers > 1 else {}
    return broker.subscriber(
        names.subject(durable.subject),
        stream=JStream(names.events_stream, declare=False),
        durable=name,
        pull_sub=PullSub(batch_size=durable.batch_size, timeout=5.0),
        ack_policy=AckPolicy.MANUAL,
        **concurrency,
    )(handler)


class Redelivery(BaseMiddleware):
    """Ack, delayed nak, or dead-letter: for messages of consumers made by `subscribe_durable`."""

    async def consume_scope(self, call_next, msg):  # type: ignore[override]
        raw = getattr(msg, "raw_message", None)
        metadata = _metadata(raw)
        policy = _POLICIES.get(metadata.consumer) if metadata else None
        if policy is None:
            return await call_next(msg)
        token = _DELIVERY.set(metadata.num_delivered or 1)
        try:
            result = await call_next(msg)
        except Exception as exc:
            await settle_failure(raw, metadata, policy, exc)
            return None
        finally:
            _DELIVERY.reset(token)
        await raw.ack()
        return result


async def settle_failure(raw: Any, metadata: Any, policy: Durable, exc: Exception) -> None:
    """A handler failed on `raw`: nak it with the next delay, or after the last attempt keep it
    in the dead-letter stream and terminate it."""
    delivered = metadata.num_delivered or 1
    mark_failed(exc)
    if delivered >= policy.max_deliver and await _dead_letter(raw, metadata.consumer, exc):
        await raw.term()
        DEAD_LETTERS.labels(policy.name).inc()
        log.error("%s: gave up on %s after %d attempts: %r", metadata.consumer, raw.subject, delivered, exc)
    elif delivered >= policy.max_deliver:  # not kept anywhere: never terminated, JetStream keeps it
        await raw.nak(delay=policy.delay(delivered))
        log.error("%s: gave up on %s after %d attempts (%r) but could not dead-letter it; it stays unacknowledged",
                  metadata.consumer, raw.subject, delivered, exc)
    else:
        await raw.nak(delay=policy.delay(delivered))
        log.warning("%s: attempt %d on %s failed, retrying: %r", metadata.consumer, delivered, raw.subject, exc)


class EventFeed(BackgroundLoop):
    """A durable consumer read with nats-py alone, in batches: for a consumer of every event
    that skips most of them after reading two fields, where FastStream's path per message
    would cost more than the work. Same ack, delayed nak and dead letters as `Redelivery`."""

    def __init__(self, names: Names, durable: Durable, handle: Any, batch: int = 64, stream: str | None = None,
                 service: str = "") -> None:
        self.names, self.durable, self.handle, self.batch = names, durable, handle, batch
        self.stream = stream or names.events_stream
        # With `service`, each event is counted and timed like the broker's (billwire_shared.metrics).
        self.measure = MessageMetrics(service, names.prefix) if service else None

    def start(self, js: nats.js.JetStreamContext) -> None:
        self._spawn(self._run(js), f"feed-{self.durable.name}")

    async def stop(self) -> None:
        await self._halt()

    async def _run(self, js: nats.js.JetStreamContext) -> None:
        name = consumer_name(self.names, self.durable)
        while not self.stopping:
            sub = None
            try:
                sub = await js.pull_subscribe_bind(name, stream=self.stream)
                while not self.stopping:
                    try:
                        batch = await sub.fetch(self.batch, timeout=5)
                    except TimeoutError:  # nats.errors' or, when the wait ran out after a status reply, asyncio's
                        continue
                    for raw in batch:
                        await self._one(raw)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - NATS away: try again shortly
                log.warning("%s: %r; reading again shortly", name, exc)
                await asyncio.sleep(1)
            finally:
                if sub is not None:  # else the connection's drain waits for it at shutdown
                    with contextlib.suppress(Exception):
                        await asyncio.shield(sub.unsubscribe())

    async def _one(self, raw: Any) -> None:
        started = time.perf_counter()
        failed = False
        try:
            with request_context((raw.headers or {}).get(REQUEST_ID_HEADER)):
                await self.handle(raw.data)
        except Exception as exc:  # noqa: BLE001 - every failure is settled: nak, or dead letter
            failed = True
            await settle_failure(raw, raw.metadata, self.durable, exc)
            return
        finally:
            if self.measure is not None:
                self.measure.observe(raw, time.perf_counter() - started, failed)
        await raw.ack()


def _metadata(raw: Any) -> Any:
    try:
        return raw.metadata if raw is not None and raw.reply and raw.reply.startswith("$JS.ACK") else None
    except Exception:
        return None


async def _dead_letter(raw: Any, consumer: str, exc: Exception) -> bool:
    """Keep the message, with why it failed, in the dead-letter stream; whether it is kept."""
    js = raw._client.jetstream()
    seq = raw.metadata.sequence.stream
    try:
        await _keep(js, consumer, seq, raw.subject, raw.data, raw.headers, repr(exc))
    except Exception:
        log.exception("could not dead-letter a message of %s", consumer)
        return False
    return True


async def _keep(
    js: nats.js.JetStreamContext, consumer: str, seq: int, subject: str, data: bytes, headers: dict | None, reason: str,
    deadletter_subject: str | None = None,
) -> None:
    """Publish one dead letter: the original payload and headers, and why. Its id is the
    consumer's and the event's stream sequence, so the same failure said twice (a handler that
    gave up late, after JetStream's own limit was reported) is kept once (the dead-letter
    stream remembers ids for a day)."""
    if deadletter_subject is None:
        prefix = subject.split("events.", 1)[0]  # the deployment's subject prefix, if any
        deadletter_subject = f"{prefix}deadletter.{consumer}"
    kept = dict(headers or {})
    kept.update({
        "Nats-Msg-Id": f"{consumer}:{seq}", "Billwire-Consumer": consumer, "Billwire-Error": reason[:500],
        "Billwire-Subject": subject,
    })
    await js.publish(deadletter_subject, data, headers=kept)


MAX_DELIVERIES_ADVISORY = "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES"
ADVISORY_STREAM = "DELIVERY_LIMITS"


def advisory_subjects(names: Names) -> str:
    """JetStream's reports of events its consumers stopped receiving, for this deployment."""
    return f"{MAX_DELIVERIES_ADVISORY}.{names.events_stream}.*"


async def ensure_advisory_stream(js: nats.js.JetStreamContext, names: Names, replicas: int = 1) -> None:
    """JetStream reports a delivery limit once, over plain NATS: kept in a stream, a report
    made while no replica listens (all restarting, say) is still read later."""
    config = StreamConfig(
        name=names.stream(ADVISORY_STREAM), subjects=[advisory_subjects(names)], storage=StorageType.FILE,
        num_replicas=replicas, max_age=7 * 24 * 3600.0,
    )
    try:
        await js.add_stream(config)
    except nats.js.errors.BadRequestError:
        await js.update_stream(config)


class ExhaustedWatch:
    """Dead-letters the events JetStream stopped delivering to one of a service's `durables`
    without an answer: a handler that kept running past `ack_wait`, a process that died on the
    message every time, or a dead letter that could not be written never reach (or finish)
    `settle_failure`. The service reads the delivery-limit reports through a durable consumer
    of its own (one replica gets each report), fetches the event and keeps it."""

    def __init__(self, names: Names, service: str, durables: Any) -> None:
        self.names = names
        self.consumers = {consumer_name(names, d): d for d in durables}
        self.reader = Durable(name=f"{service}-delivery-limits", subject="", ack_wait=30.0)
        self.kept = 0  # dead letters this replica wrote
        for durable in self.consumers.values():
            DEAD_LETTERS.labels(durable.name)
        self._feed: EventFeed | None = None

    async def declare(self, js: nats.js.JetStreamContext) -> None:
        await js.add_consumer(self.names.stream(ADVISORY_STREAM), ConsumerConfig(
            durable_name=consumer_name(self.names, self.reader), filter_subject=advisory_subjects(self.names),
            ack_policy=JsAckPolicy.EXPLICIT, deliver_policy=DeliverPolicy.ALL, ack_wait=self.reader.ack_wait,
            max_deliver=self.reader.max_deliver + 1,
        ))

    def start(self, js: nats.js.JetStreamContext) -> None:
        self._js = js
        self._feed = EventFeed(self.names, self.reader, self._on_report, batch=16, stream=self.names.stream(ADVISORY_STREAM))
        self._feed.start(js)

    async def stop(self) -> None:
        if self._feed is not None:
            await self._feed.stop()

    async def _on_report(self, data: bytes) -> None:
        report = json.loads(data)
        consumer, seq, deliveries = report["consumer"], int(report["stream_seq"]), report.get("deliveries")
        durable = self.consumers.get(consumer)
        if durable is None:  # another service's consumer: its own watch keeps it
            return
        try:
            stored = await self._js.get_msg(self.names.events_stream, seq)
        except nats.js.errors.NotFoundError:
            log.error("%s: event %d reached its delivery limit and is no longer in the stream; nothing to keep", consumer, seq)
            return
        reason = (f"JetStream stopped after {deliveries} deliveries without an acknowledgement: the handler ran past"
                  f" its {durable.ack_wait:.0f} s, its process stopped on it, or its own dead letter failed")
        await _keep(self._js, consumer, seq, stored.subject, stored.data or b"", stored.headers, reason,
                    self.names.subject(f"deadletter.{consumer}"))
        self.kept += 1
        DEAD_LETTERS.labels(durable.name).inc()
        log.error("%s: gave up on %s (stream sequence %d) after %s deliveries without an answer; dead-lettered",
                  consumer, stored.subject, seq, deliveries)
