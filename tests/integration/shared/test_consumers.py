"""Durable event consumers: a failing handler is retried with delays, then dead-lettered;
a handled event is acknowledged once; an event never answered is dead-lettered too."""

from __future__ import annotations

import asyncio
import contextlib

import msgspec
import nats
import pytest

from billwire_cli.embedded import EmbeddedNats, free_port
from billwire_shared.bus import create_broker, ensure_events_stream
from billwire_shared.consumers import (
    ADVISORY_STREAM,
    DEAD_LETTER_STREAM,
    Durable,
    EventFeed,
    ExhaustedWatch,
    consumer_name,
    ensure_advisory_stream,
    ensure_consumer,
    ensure_dead_letter_stream,
    filters_on_several_subjects,
    subscribe_durable,
)
from billwire_shared.subjects import Names


class Ping(msgspec.Struct):
    n: int


@contextlib.asynccontextmanager
async def reading(reader: str, nats_url: str, js, names: Names, durable: Durable, on_ping):
    """`on_ping` bound to `durable`, read through FastStream or through an EventFeed."""
    broker = create_broker(nats_url)

    async def on_raw(raw: bytes) -> None:
        await on_ping(msgspec.json.decode(raw, type=Ping))

    feed = EventFeed(names, durable, on_raw)
    if reader == "faststream":
        subscribe_durable(broker, names, durable, on_ping)
        await broker.start()
    else:
        feed.start(js)
    try:
        yield
    finally:
        await feed.stop()
        await broker.stop()


@pytest.mark.parametrize("reader", ["faststream", "feed"])
async def test_retries_with_delays_then_dead_letters_and_acks_the_rest(nats_url: str, bus_prefix: str, reader: str) -> None:
    names = Names(f"{bus_prefix}_{reader}")
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await ensure_events_stream(js, names)
    await ensure_dead_letter_stream(js, names)
    durable = Durable(name="test-pings", subject="events.ping.sent", max_deliver=3, backoff=(0.2, 0.4), ack_wait=5)
    await ensure_consumer(js, names, durable)

    attempts: dict[int, int] = {}
    handled: list[int] = []

    async def on_ping(body: Ping) -> None:
        attempts[body.n] = attempts.get(body.n, 0) + 1
        if body.n == 13:
            raise RuntimeError("unlucky")
        handled.append(body.n)

    try:
        async with reading(reader, nats_url, js, names, durable, on_ping):
            for n in (1, 13, 2):
                await js.publish(names.subject("events.ping.sent"), msgspec.json.encode(Ping(n)))
            async with asyncio.timeout(20):
                while attempts.get(13, 0) < 3 or len(handled) < 2:
                    await asyncio.sleep(0.05)
                dead = await js.stream_info(names.stream(DEAD_LETTER_STREAM))
                while dead.state.messages < 1:
                    await asyncio.sleep(0.05)
                    dead = await js.stream_info(names.stream(DEAD_LETTER_STREAM))
            await asyncio.sleep(1.0)  # nothing more may arrive: acked, terminated
            assert sorted(handled) == [1, 2] and attempts == {1: 1, 2: 1, 13: 3}
            info = await js.consumer_info(names.events_stream, consumer_name(names, durable))
            assert info.num_pending == 0 and info.num_ack_pending == 0
            sub = await js.subscribe(names.subject("deadletter.>"), ordered_consumer=True)
            letter = await sub.next_msg(timeout=5)
            assert msgspec.json.decode(letter.data, type=Ping).n == 13
            assert "unlucky" in letter.headers["Billwire-Error"]
    finally:
        await nc.close()


@pytest.mark.parametrize("reader", ["faststream", "feed"])
async def test_a_message_that_cannot_be_dead_lettered_is_not_terminated(nats_url: str, bus_prefix: str, reader: str) -> None:
    """No dead-letter stream when the last try fails: the message is nakked, not terminated, so
    JetStream hands it over once more (its own ceiling) and the dead letter is tried again."""
    names = Names(f"{bus_prefix}_nodl_{reader}")
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await ensure_events_stream(js, names)
    durable = Durable(name="test-pings", subject="events.ping.sent", max_deliver=3, backoff=(0.2, 0.5), ack_wait=5)
    await ensure_consumer(js, names, durable)
    attempts = 0

    async def on_ping(body: Ping) -> None:
        nonlocal attempts
        attempts += 1
        raise RuntimeError("always")

    try:
        async with reading(reader, nats_url, js, names, durable, on_ping):
            await js.publish(names.subject("events.ping.sent"), msgspec.json.encode(Ping(7)))
            async with asyncio.timeout(20):
                while attempts < durable.max_deliver:
                    await asyncio.sleep(0.02)
                await asyncio.sleep(0.1)  # the last try's dead letter found no stream
                await ensure_dead_letter_stream(js, names)
                while (await js.stream_info(names.stream(DEAD_LETTER_STREAM))).state.messages < 1:
                    await asyncio.sleep(0.05)
            assert attempts == durable.max_deliver + 1
            sub = await js.subscribe(names.subject("deadletter.>"), ordered_consumer=True)
            letter = await sub.next_msg(timeout=5)
            assert msgspec.json.decode(letter.data, type=Ping).n == 7 and "always" in letter.headers["Billwire-Error"]
    finally:
        with contextlib.suppress(Exception):
            await js.delete_stream(names.stream(DEAD_LETTER_STREAM))
        await nc.close()


async def _delivered_subjects(nats_url: str, names: Names, upgrade: bool) -> tuple[bool, list[str], list[str]]:
    """A consumer of `events.>` narrowed to two subjects (made broad first when `upgrade`, as an
    older release made it): its filters on the server and the subjects it hands over."""
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    try:
        await ensure_events_stream(js, names)
        narrow = Durable(name="test-public", subject="events.>", only=("events.invoice.sent", "events.client.created"))
        if upgrade:
            await ensure_consumer(js, names, Durable(name=narrow.name, subject="events.>"))
        await ensure_consumer(js, names, narrow)
        info = await js.consumer_info(names.events_stream, consumer_name(names, narrow))
        filters = list(info.config.filter_subjects or [info.config.filter_subject])
        for subject in ("events.document.rendered", "events.invoice.sent", "events.invoice.send_requested", "events.client.created"):
            await js.publish(names.subject(subject), b"{}")
        sub = await js.pull_subscribe_bind(consumer_name(names, narrow), stream=names.events_stream)
        got: list[str] = []
        with contextlib.suppress(nats.errors.TimeoutError):
            while len(got) < 4:
                got += [m.subject for m in await sub.fetch(4, timeout=1)]
        return filters_on_several_subjects(js), filters, got
    finally:
        await nc.close()


async def test_a_narrowed_consumer_gets_only_its_subjects_where_the_server_filters_on_several(tmp_path) -> None:
    server = EmbeddedNats(tmp_path / "nats", port=free_port())  # the bundled nats-server: 2.10 or later
    server.start()
    try:
        names = Names("narrow")
        several, filters, got = await _delivered_subjects(server.url, names, upgrade=True)
        assert several
        assert filters == [names.subject("events.invoice.sent"), names.subject("events.client.created")]
        assert got == [names.subject("events.invoice.sent"), names.subject("events.client.created")]
    finally:
        server.stop()


async def test_a_narrowed_consumer_on_the_suites_server_gets_what_that_server_can_filter(nats_url: str, bus_prefix: str) -> None:
    names = Names(f"{bus_prefix}_narrow")
    several, filters, got = await _delivered_subjects(nats_url, names, upgrade=False)
    public = [names.subject("events.invoice.sent"), names.subject("events.client.created")]
    if several:
        assert filters == public and got == public
    else:  # an older server: everything under `subject`, the handler skips the rest
        assert filters == [names.subject("events.>")] and len(got) == 4


async def test_an_event_never_answered_is_dead_lettered_once_when_jetstream_stops_delivering_it(nats_url: str, bus_prefix: str) -> None:
    """A process that dies on an event every time (here: reads it and never answers) never
    reaches the handler's own give-up: JetStream's delivery limit ends it. Its report is kept
    while no replica of the service runs; once two start, one of them keeps the event as a
    dead letter, headers and all. Another service's consumer at its limit is not this one's."""
    names = Names(f"{bus_prefix}_exhausted")
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    replicas = [await nats.connect(nats_url) for _ in range(2)]
    durable = Durable(name="test-hangs", subject="events.ping.sent", max_deliver=2, ack_wait=1)
    others = Durable(name="other-hangs", subject="events.ping.sent", max_deliver=2, ack_wait=1)
    watches = [ExhaustedWatch(names, "test", (durable,)) for _ in replicas]
    try:
        await ensure_events_stream(js, names)
        await ensure_dead_letter_stream(js, names)
        await ensure_advisory_stream(js, names)
        for consumer in (durable, others):
            await ensure_consumer(js, names, consumer)
        await watches[0].declare(js)
        subject = names.subject("events.ping.sent")
        await js.publish(subject, msgspec.json.encode(Ping(99)), headers={"Nats-Msg-Id": "ping-99", "Traceparent": "00-abc-01"})

        readers = [await js.pull_subscribe_bind(consumer_name(names, c), stream=names.events_stream) for c in (durable, others)]
        deliveries = [0, 0]
        async with asyncio.timeout(30):  # no watch runs yet: the reports wait in their stream
            while (await js.stream_info(names.stream(ADVISORY_STREAM))).state.messages < 2:
                for i, reader in enumerate(readers):
                    with contextlib.suppress(nats.errors.TimeoutError):
                        deliveries[i] += len(await reader.fetch(1, timeout=0.7))  # never acknowledged
        assert deliveries == [durable.max_deliver + 1] * 2  # JetStream's own ceiling
        assert (await js.stream_info(names.stream(DEAD_LETTER_STREAM))).state.messages == 0

        for watch, replica in zip(watches, replicas, strict=True):
            watch.start(replica.jetstream())
        async with asyncio.timeout(15):
            while (await js.stream_info(names.stream(DEAD_LETTER_STREAM))).state.messages < 1:
                await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)  # a second copy, or the other consumer's, would be here by now

        assert sum(watch.kept for watch in watches) == 1  # one replica read the report
        assert (await js.stream_info(names.stream(DEAD_LETTER_STREAM))).state.messages == 1
        sub = await js.subscribe(names.subject("deadletter.>"), ordered_consumer=True)
        letter = await sub.next_msg(timeout=5)
        assert letter.subject == names.subject(f"deadletter.{consumer_name(names, durable)}")
        assert msgspec.json.decode(letter.data, type=Ping).n == 99
        assert letter.headers["Billwire-Consumer"] == consumer_name(names, durable)
        assert letter.headers["Billwire-Subject"] == subject
        assert letter.headers["Traceparent"] == "00-abc-01"
        assert "after 3 deliveries without an acknowledgement" in letter.headers["Billwire-Error"]
    finally:
        for watch in watches:
            await watch.stop()
        for replica in replicas:
            await replica.close()
        await nc.close()
