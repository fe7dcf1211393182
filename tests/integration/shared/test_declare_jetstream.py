"""A starting service declares its streams and consumers once JetStream answers: a clustered
JetStream elects its meta leader seconds after its servers start, and a service that gave up at
the first timeout never started (seen in the three-node cluster test)."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import time
from collections.abc import Iterator

import nats
import pytest

from billwire_cli.embedded import EmbeddedNats, free_port, nats_server_binary, port_in_use
from billwire_shared.bus import declare_jetstream
from billwire_shared.consumers import DEAD_LETTER_STREAM, Durable, consumer_name
from billwire_shared.subjects import Names

PINGS = Durable(name="late-pings", subject="events.ping.sent")


@contextlib.contextmanager
def nats_without_jetstream(port: int) -> Iterator[None]:
    server = subprocess.Popen([nats_server_binary(), "-a", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not port_in_use(port):
            assert time.monotonic() < deadline and server.poll() is None, "nats-server did not start"
            time.sleep(0.05)
        yield
    finally:
        server.terminate()
        server.wait(10)


async def test_declaring_waits_until_jetstream_answers(tmp_path) -> None:
    port, names = free_port(), Names("late")
    with nats_without_jetstream(port):
        nc = await nats.connect(f"nats://127.0.0.1:{port}", max_reconnect_attempts=-1, reconnect_time_wait=0.2)
        js = nc.jetstream(timeout=1)
        declaring = asyncio.create_task(declare_jetstream(js, names, [PINGS], within=60))
        await asyncio.sleep(1.5)
        assert not declaring.done()  # no JetStream yet: still trying, not given up
    try:
        with EmbeddedNats(tmp_path / "nats", port=port):  # JetStream comes up on the same address
            await asyncio.wait_for(declaring, 30)
            assert (await js.stream_info(names.events_stream)).config.subjects == [names.events_wildcard]
            assert (await js.stream_info(names.stream(DEAD_LETTER_STREAM))).config.name == names.stream(DEAD_LETTER_STREAM)
            consumer = await js.consumer_info(names.events_stream, consumer_name(names, PINGS))
            assert consumer.config.filter_subject == names.subject(PINGS.subject)
    finally:
        declaring.cancel()
        await nc.close()


async def test_declaring_gives_up_after_its_time(tmp_path) -> None:
    port = free_port()
    with nats_without_jetstream(port):
        nc = await nats.connect(f"nats://127.0.0.1:{port}")
        try:
            started = time.monotonic()
            with pytest.raises((nats.errors.NoRespondersError, nats.errors.TimeoutError, nats.js.errors.ServiceUnavailableError)):
                await declare_jetstream(nc.jetstream(timeout=0.5), Names("never"), [PINGS], within=1.5)
            assert time.monotonic() - started < 10
        finally:
            await nc.close()
