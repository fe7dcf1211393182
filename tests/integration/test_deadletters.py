"""A poison event ends in the dead-letter stream with its reason; `billwire deadletters` lists
it, and a replay (after the fix) reaches the consumer again and empties the stream."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from datetime import UTC, datetime

import msgspec
import nats

from billwire_shared.bus import create_broker, ensure_events_stream
from billwire_shared.consumers import (
    DEAD_LETTER_STREAM,
    Durable,
    consumer_name,
    ensure_consumer,
    ensure_dead_letter_stream,
    subscribe_durable,
)
from billwire_shared.contracts.events import Event
from billwire_shared.subjects import Names


async def billwire(nats_url: str, prefix: str, *args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "billwire_cli.main", *args, env=os.environ | {"NATS_URL": nats_url, "BILLWIRE_PREFIX": prefix},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    return proc.returncode or 0, out.decode() + err.decode()


async def test_poison_event_is_dead_lettered_listed_and_replayed(nats_url: str, bus_prefix: str) -> None:
    prefix = f"{bus_prefix}_dl"
    names = Names(prefix)
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await ensure_events_stream(js, names)
    await ensure_dead_letter_stream(js, names)
    durable = Durable(name="ledger", subject="events.invoice.paid", max_deliver=2, backoff=(0.1,), ack_wait=5)
    await ensure_consumer(js, names, durable)

    broken = True
    handled: list[str] = []

    async def on_paid(event: Event) -> None:
        if broken:
            raise ValueError("ledger account 1200 is missing")
        handled.append(str(event.id))

    broker = create_broker(nats_url)
    subscribe_durable(broker, names, durable, on_paid)
    await broker.start()
    dead_stream = names.stream(DEAD_LETTER_STREAM)
    try:
        event = Event(id=uuid.uuid4(), type="invoice.paid", occurred_at=datetime.now(UTC), account_id=uuid.uuid4(), data={"id": "x"})
        payload = msgspec.json.encode(event)
        await js.publish(names.subject("events.invoice.paid"), payload, headers={"Nats-Msg-Id": str(event.id)})
        async with asyncio.timeout(15):
            while (await js.stream_info(dead_stream)).state.messages < 1:
                await asyncio.sleep(0.05)
        assert handled == []

        code, out = await billwire(nats_url, prefix, "deadletters", "list")
        assert code == 0, out
        name = consumer_name(names, durable)
        line = next(line for line in out.splitlines() if name in line)
        seq = line.split()[0]
        assert f"{prefix}.events.invoice.paid" in line and "ledger account 1200 is missing" in line
        assert f"invoice.paid {event.id}" in line and "1 dead letter(s)" in out

        code, out = await billwire(nats_url, prefix, "deadletters", "list", "--json")
        (letter,) = [json.loads(line) for line in out.splitlines()]
        assert letter["seq"] == int(seq) and letter["consumer"] == name and letter["event_id"] == str(event.id)

        code, out = await billwire(nats_url, prefix, "deadletters", "show", seq)
        assert code == 0 and '"Billwire-Error"' in out and str(event.id) in out

        # The fix is deployed; the replay (inside the original's two-minute dedup window) arrives.
        broken = False
        code, out = await billwire(nats_url, prefix, "deadletters", "replay", seq)
        assert code == 0 and f"{seq}: replayed to {prefix}.events.invoice.paid" in out, out
        async with asyncio.timeout(10):
            while handled != [str(event.id)]:
                await asyncio.sleep(0.05)
        assert (await js.stream_info(dead_stream)).state.messages == 0
        assert "no dead letters" in (await billwire(nats_url, prefix, "deadletters", "list"))[1]

        code, out = await billwire(nats_url, prefix, "deadletters", "replay", seq)
        assert code == 1 and "no such dead letter" in out
        code, out = await billwire(nats_url, prefix, "deadletters", "replay")
        assert code != 0 and "--all" in out
        await asyncio.sleep(0.5)
        assert handled == [str(event.id)]  # replayed once, handled once
    finally:
        await broker.stop()
        await nc.close()


async def test_replay_all_and_drop(nats_url: str, bus_prefix: str) -> None:
    """Letters written as the consumers write them; --all replays every one, drop discards."""
    prefix = f"{bus_prefix}_dl2"
    names = Names(prefix)
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    try:
        await ensure_events_stream(js, names)
        await ensure_dead_letter_stream(js, names)
        for n in range(3):
            await js.publish(names.subject("deadletter.c1"), json.dumps({"id": f"e{n}", "type": "client.created"}).encode(), headers={
                "Billwire-Consumer": "c1", "Billwire-Error": "boom", "Billwire-Subject": names.subject("events.client.created"),
            })
        await js.publish(names.subject("deadletter.c2"), b"{}", headers={
            "Billwire-Consumer": "c2", "Billwire-Error": "nope", "Billwire-Subject": "elsewhere.events.x",
        })
        out = (await billwire(nats_url, prefix, "deadletters", "list", "--limit", "2"))[1]
        assert "2 dead letter(s), 2 more" in out
        assert "c2" in (await billwire(nats_url, prefix, "deadletters", "list", "--consumer", "c2"))[1]

        code, out = await billwire(nats_url, prefix, "deadletters", "replay", "--all", "--consumer", "c1")
        assert code == 0 and out.count("replayed to") == 3, out
        events = await js.stream_info(names.events_stream)
        assert events.state.messages == 3
        code, out = await billwire(nats_url, prefix, "deadletters", "replay", "--all")
        assert code == 1 and "not an event of this deployment" in out  # c2's subject is foreign: left alone
        code, out = await billwire(nats_url, prefix, "deadletters", "drop", "--all")
        assert code == 0 and "dropped" in out
        assert (await js.stream_info(names.stream(DEAD_LETTER_STREAM))).state.messages == 0
    finally:
        await nc.close()
