"""The embedded servers behind `make run`: they start, serve, stop, and keep their data.

CI itself uses the machine's servers through NATS_URL/DATABASE_URL, so this test is what
proves the no-Docker, no-system-service path (a fresh clone's `make run`) still works.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
from pathlib import Path

import asyncpg
import nats
import pytest
from nats.js.api import StorageType

from billwire_cli.embedded import (
    EmbeddedNats,
    PortInUseError,
    free_port,
    port_in_use,
)
from billwire_cli.embedded_postgres import EmbeddedPostgres

STREAM = "EMBEDDED_CHECK"


async def _write(nats_url: str, pg_url: str) -> int:
    nc = await nats.connect(nats_url, connect_timeout=5)
    try:
        js = nc.jetstream(timeout=10)
        await js.add_stream(name=STREAM, subjects=["embedded.check.>"], storage=StorageType.FILE)
        ack = await js.publish("embedded.check.one", b"kept across restarts")
        assert ack.stream == STREAM
        # Read it back through a durable pull consumer, as the services do.
        sub = await js.pull_subscribe("embedded.check.>", durable="reader", stream=STREAM)
        [msg] = await sub.fetch(1, timeout=5)
        assert msg.data == b"kept across restarts"
        await msg.ack()
    finally:
        await nc.close()

    conn = await asyncpg.connect(pg_url, timeout=10)
    try:
        assert await conn.fetchval("select 1") == 1
        await conn.execute("create table kept (id int primary key, note text not null)")
        await conn.execute("insert into kept values (1, 'still here')")
    finally:
        await conn.close()
    return ack.seq


async def _read(nats_url: str, pg_url: str, seq: int) -> None:
    nc = await nats.connect(nats_url, connect_timeout=5)
    try:
        js = nc.jetstream(timeout=10)
        stored = await js.get_msg(STREAM, seq)
        assert stored.data == b"kept across restarts"
        info = await js.consumer_info(STREAM, "reader")
        assert info.delivered.stream_seq == seq  # the consumer's position survived too
    finally:
        await nc.close()

    conn = await asyncpg.connect(pg_url, timeout=10)
    try:
        assert await conn.fetchval("select note from kept where id = 1") == "still here"
    finally:
        await conn.close()


async def test_embedded_servers_serve_and_keep_data_across_restarts(tmp_path: Path) -> None:
    nats_server = EmbeddedNats(tmp_path / "nats", port=free_port(), monitor_port=free_port())
    pg_server = EmbeddedPostgres(tmp_path / "postgres", port=free_port())
    try:
        await asyncio.to_thread(nats_server.start)
        await asyncio.to_thread(pg_server.start)
        seq = await _write(nats_server.url, pg_server.url)

        await asyncio.to_thread(nats_server.stop)
        await asyncio.to_thread(pg_server.stop)
        assert not port_in_use(nats_server.port)
        assert not port_in_use(pg_server.port)

        # Same directories again: no initdb, same data.
        await asyncio.to_thread(nats_server.start)
        await asyncio.to_thread(pg_server.start)
        await asyncio.to_thread(nats_server.start)  # idempotent
        await asyncio.to_thread(pg_server.start)
        await _read(nats_server.url, pg_server.url, seq)
    finally:
        await asyncio.to_thread(nats_server.stop)
        await asyncio.to_thread(pg_server.stop)
        if pg_server.data_dir != pg_server.requested_dir:  # root fallback outside tmp_path
            shutil.rmtree(pg_server.data_dir, ignore_errors=True)


def test_embedded_server_refuses_a_port_taken_by_something_else(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        with pytest.raises(PortInUseError, match=f"127.0.0.1:{port} is already in use"):
            EmbeddedNats(tmp_path / "nats", port=port).start()


async def test_session_fixtures_give_an_isolated_database_and_bus_prefix(
    database_url: str, nats_url: str, bus_prefix: str
) -> None:
    assert bus_prefix.startswith("t") and len(bus_prefix) == 9
    conn = await asyncpg.connect(database_url, timeout=10)
    try:
        assert (await conn.fetchval("select current_database()")).startswith("billwire_test_")
    finally:
        await conn.close()
    nc = await nats.connect(nats_url, connect_timeout=5)
    try:
        js = nc.jetstream(timeout=10)
        # A stream and a KV bucket in this run's namespace; the fixture deletes both at the end.
        # (Names no service uses, since the services of this run share the prefix.)
        await js.add_stream(name=f"{bus_prefix.upper()}_FIXTURE_CHECK", subjects=[f"{bus_prefix}.fixture_check.>"])
        await js.create_key_value(bucket=f"{bus_prefix.upper()}_fixture_check")
        ack = await js.publish(f"{bus_prefix}.fixture_check.one", b"x")
        assert ack.stream == f"{bus_prefix.upper()}_FIXTURE_CHECK"
    finally:
        await nc.close()


def test_billwire_runs_nats_server_with_the_small_profiles_gc_unless_the_environment_sets_its_own(tmp_path: Path) -> None:
    """GOGC=50 and GOMEMLIMIT=32MiB reach the nats-server process (issue 24: its heap held at ~41 MB over
    10,000 sends, not 70-76); an operator's own value of either wins."""
    from billwire_cli import small_profile

    assert small_profile.nats_env({"GOGC": "100", "GOMEMLIMIT": "1GiB"}) == {}
    assert small_profile.nats_env({"GOGC": "100"}) == {"GOMEMLIMIT": "32MiB"}
    server = EmbeddedNats(tmp_path / "nats", port=free_port(), env=small_profile.nats_env({"PATH": "/bin"}))
    with server:
        assert server._proc is not None
        environ = Path(f"/proc/{server._proc.pid}/environ").read_bytes().split(b"\0")
    assert b"GOGC=50" in environ and b"GOMEMLIMIT=32MiB" in environ
