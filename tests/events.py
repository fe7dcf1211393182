"""Reading a run's EVENTS stream from the start, for tests that check what was published."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import msgspec
import nats
from nats.aio.msg import Msg

from tests.stack import Stack


async def collect_events(
    stack: Stack, subject: str, keep: Callable[[Msg, dict], bool], want: int, timeout: float, idle: float
) -> list[dict]:
    """The events on `<prefix>.events.<subject>` that `keep` accepts, in stream order. The stream
    is read from its start until `idle` seconds pass without a message, and read again until
    at least `want` events are kept or `timeout` seconds are up (then what was kept last)."""
    nc = await nats.connect(stack.nats_url)
    try:
        js = nc.jetstream()
        kept: list[dict] = []
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            sub = await js.subscribe(f"{stack.prefix}.events.{subject}", ordered_consumer=True)
            kept = []
            try:
                while True:
                    msg = await sub.next_msg(timeout=idle)
                    event = msgspec.json.decode(msg.data)
                    if keep(msg, event):
                        kept.append(event)
            except nats.errors.TimeoutError:
                pass
            finally:
                await sub.unsubscribe()
            if len(kept) >= want:
                return kept
            await asyncio.sleep(0.2)
        return kept
    finally:
        await nc.close()


async def read_events(
    stack: Stack, types: set[str], *entity_ids: str, count: int | None = None, timeout: float = 10.0
) -> list[dict]:
    """The events about `entity_ids` on the run's EVENTS stream, in stream order, once at
    least `count` of them (default: one per type) have been published."""

    def about(msg: Msg, event: dict) -> bool:
        if event["type"] in types and event["data"].get("id") in entity_ids:
            assert msg.headers["Nats-Msg-Id"] == event["id"]
            return True
        return False

    return await collect_events(stack, ">", about, count or len(types), timeout, idle=0.5)


async def rendered_events(stack: Stack, document_id: str, want: int = 1, timeout: float = 15.0) -> list[dict]:
    """The document.rendered events of one document, once at least `want` have been published."""

    def of_document(_msg: Msg, event: dict) -> bool:
        return event["data"]["document_id"] == document_id

    return await collect_events(stack, "document.rendered", of_document, want, timeout, idle=0.3)
