"""Follow Billwire's public events `invoice.sent` and `invoice.paid` with a durable consumer of
your own, and print them. Needs only nats-py (`pip install nats-py`).

    NATS_URL=nats://127.0.0.1:4222 uv run python examples/subscriber.py

Settings (environment):
  NATS_URL           the NATS server of the Billwire deployment (default nats://127.0.0.1:4222)
  BILLWIRE_PREFIX    the deployment's prefix, if it has one (subjects `<prefix>.events.*`)
  SUBSCRIBER_NAME    the durable consumer's name (default billwire-example-subscriber)
  SUBSCRIBER_EVENTS  event types to follow (default invoice.sent,invoice.paid)
  SUBSCRIBER_START   where a new consumer starts: `new` (default) or `all` (the stream's history)

The consumer is durable: stop the program and start it again and it goes on where it left
off. Each event is acknowledged after it was handled; one that is not (the program died, or
handling failed) comes again, so handling must be idempotent: here, an event id seen before
is skipped. Schemas of every event: docs/asyncapi.json.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from collections import deque

import nats
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import BadRequestError


def describe(event: dict) -> str:
    """One line per event: what happened to which invoice."""
    data = event.get("data") or {}
    number = data.get("number") or data.get("id")
    gross = (data.get("totals") or {}).get("gross")
    amount = f" {gross} {data.get('currency', '')}".rstrip() if gross else ""
    buyer = (data.get("client") or {}).get("name")
    detail = {"invoice.paid": f"paid{amount}", "invoice.sent": f"sent to {buyer}" if buyer else "sent"}.get(event["type"], "")
    return f"{event['type']} {number} {detail} (invoice {data.get('id')}, event {event['id']}, {event['occurred_at']})"


async def main() -> None:
    url = os.environ.get("NATS_URL", "nats://127.0.0.1:4222")
    prefix = os.environ.get("BILLWIRE_PREFIX", "")
    name = os.environ.get("SUBSCRIBER_NAME", "billwire-example-subscriber")
    types = [t.strip() for t in os.environ.get("SUBSCRIBER_EVENTS", "invoice.sent,invoice.paid").split(",") if t.strip()]
    start = DeliverPolicy.ALL if os.environ.get("SUBSCRIBER_START") == "all" else DeliverPolicy.NEW
    stream = f"{prefix.upper()}_EVENTS" if prefix else "EVENTS"
    # One filter per consumer works on every NATS server (several need 2.10+): the types' own
    # subject, or the wildcard that covers them; what else comes is acknowledged and skipped.
    entities = {t.split(".", 1)[0] for t in types}
    wanted = types[0] if len(types) == 1 else f"{entities.pop()}.*" if len(entities) == 1 else ">"
    subject = f"{prefix}.events.{wanted}" if prefix else f"events.{wanted}"

    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)

    nc = await nats.connect(url, name=name)
    js = nc.jetstream()
    config = ConsumerConfig(
        durable_name=name, filter_subject=subject, ack_policy=AckPolicy.EXPLICIT, deliver_policy=start,
        ack_wait=30, max_deliver=20,
    )
    try:
        await js.add_consumer(stream, config)
    except BadRequestError:
        await js.consumer_info(stream, name)  # it exists from an earlier run (where it started stays as it was)
    sub = await js.pull_subscribe_bind(durable=name, stream=stream)
    print(f"listening for {', '.join(types)} on {stream} as {name}", file=sys.stderr, flush=True)

    seen: deque[str] = deque(maxlen=10_000)
    while not stop.is_set():
        try:
            messages = await sub.fetch(batch=20, timeout=1)
        except (nats.errors.TimeoutError, TimeoutError):  # nothing new within a second
            continue
        for msg in messages:
            event = json.loads(msg.data)
            if event["type"] in types and event["id"] not in seen:  # at least once: skip what was handled
                print(describe(event), flush=True)
                seen.append(event["id"])
            await msg.ack()
    with contextlib.suppress(Exception):
        await sub.unsubscribe()
        await nc.drain()


if __name__ == "__main__":
    asyncio.run(main())
