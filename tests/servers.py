"""Pytest plugin: real NATS and Postgres servers for the test session.

Each server comes from, in order of preference:
1. an environment variable (`NATS_URL`, `DATABASE_URL`): CI points these at the machine's
   servers;
2. testcontainers, when a Docker engine answers;
3. the embedded servers from the wheels (`billwire_cli.embedded`), in a temp dir.

Every run isolates itself on shared servers: its own database (`database_url`) and its own
stream/subject prefix (`bus_prefix`), both removed at the end.

Enable with `pytest_plugins = ["tests.servers"]` in tests/conftest.py.
"""

from __future__ import annotations

import contextlib
import functools
import os
import secrets
import shutil
import tempfile
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import nats
import pytest
import pytest_asyncio

from billwire_cli.embedded import EmbeddedNats, free_port
from billwire_cli.embedded_postgres import EmbeddedPostgres

NATS_IMAGE = os.environ.get("BILLWIRE_TEST_NATS_IMAGE", "nats:2")
POSTGRES_IMAGE = os.environ.get("BILLWIRE_TEST_POSTGRES_IMAGE", "postgres:17")


@functools.cache
def docker_available() -> bool:
    """True when a Docker engine answers a ping within a few seconds.

    On machines with only the docker client (no engine) this must be a quick, quiet no.
    """
    try:
        import docker

        client = docker.from_env(timeout=3)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


def with_database(server_url: str, database: str) -> str:
    """The same server URL pointing at another database."""
    return urlsplit(server_url)._replace(path=f"/{database}").geturl()


@contextlib.contextmanager
def embedded_server(server_class: Callable[..., Any], prefix: str) -> Iterator[str]:
    """The URL of a server from the wheels (`EmbeddedNats`, `EmbeddedPostgres`) whose data lives
    in a temp dir of its own, stopped and removed afterwards."""
    # The temp dir itself is the data dir: /tmp is traversable, so even as root Postgres's
    # server user can reach it (a dir *inside* a private temp dir would not be).
    directory = Path(tempfile.mkdtemp(prefix=prefix))
    server = server_class(directory, port=free_port())
    try:
        server.start()
        yield server.url
    finally:
        server.stop()
        shutil.rmtree(getattr(server, "data_dir", directory), ignore_errors=True)  # Postgres may have moved it
        shutil.rmtree(directory, ignore_errors=True)


@contextlib.contextmanager
def find_server(variable: str, container: Callable[[], Any], url_of: Callable[[Any], str],
               embedded: Callable[..., Any], prefix: str) -> Iterator[str]:
    """A server's URL from, in order: the environment `variable`, a testcontainers `container`
    (when Docker answers), an `embedded` server from the wheels."""
    if url := os.environ.get(variable):
        yield url
    elif docker_available():
        with container() as running:
            yield url_of(running)
    else:
        with embedded_server(embedded, prefix) as url:
            yield url


@pytest.fixture(scope="session")
def nats_url() -> Iterator[str]:
    """URL of a NATS server with JetStream."""

    def container() -> Any:
        from testcontainers.community.nats import NatsContainer

        return NatsContainer(NATS_IMAGE, jetstream=True)

    with find_server("NATS_URL", container, lambda running: running.nats_uri(), EmbeddedNats, "billwire-test-nats-") as url:
        yield url


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """URL of a Postgres server (superuser, maintenance database); tests make their own databases."""

    def container() -> Any:
        from testcontainers.community.postgres import PostgresContainer

        return PostgresContainer(POSTGRES_IMAGE, username="postgres", password="postgres", dbname="postgres", driver=None)

    with find_server("DATABASE_URL", container, lambda running: running.get_connection_url(), EmbeddedPostgres,
                    "billwire-test-pg-") as url:
        yield url


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def database_url(pg_admin_url: str) -> AsyncIterator[str]:
    """URL of a fresh, empty database `billwire_test_<8 hex>`, dropped at the end."""
    async with fresh_database(pg_admin_url) as url:
        yield url


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def bus_prefix(nats_url: str) -> AsyncIterator[str]:
    """A fresh `t<8 hex>` namespace for subjects, streams and KV buckets of this run.

    At the end every JetStream stream named `<PREFIX>_...`, and every KV bucket or object
    store whose name starts that way, is deleted.
    """
    prefix = f"t{secrets.token_hex(4)}"
    yield prefix
    try:
        await delete_prefixed_streams(nats_url, prefix)
    except Exception as exc:  # leftovers are untidy, not a test failure
        warnings.warn(f"could not delete JetStream streams of prefix {prefix}: {exc!r}", stacklevel=1)


async def delete_prefixed_streams(nats_url: str, prefix: str) -> list[str]:
    """Delete the streams (incl. `KV_`/`OBJ_` buckets) of a prefix; returns their names."""
    head = prefix.upper() + "_"
    nc = await nats.connect(nats_url, connect_timeout=5, max_reconnect_attempts=0)
    try:
        js = nc.jetstream(timeout=10)
        names: list[str] = []
        offset = 0
        while page := await js.streams_info(offset=offset):  # one page per request
            names += [info.config.name for info in page if info.config.name]
            offset += len(page)
        doomed = [
            name
            for name in names
            if name.upper().startswith((head, f"KV_{head}", f"OBJ_{head}"))
        ]
        for name in doomed:
            await js.delete_stream(name)
        return doomed
    finally:
        await nc.close()


@contextlib.asynccontextmanager
async def fresh_database(pg_admin_url: str) -> AsyncIterator[str]:
    """A database of its own for a test that must not share one (e.g. it elects an outbox publisher)."""
    name = f"billwire_test_{secrets.token_hex(4)}"
    conn = await asyncpg.connect(pg_admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    try:
        yield with_database(pg_admin_url, name)
    finally:
        conn = await asyncpg.connect(pg_admin_url)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()
