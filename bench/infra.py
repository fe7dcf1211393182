"""Postgres and NATS for one run: the ones named by the environment, or embedded ones.

Either way the run gets its own database (`billwire_bench_<hex>`) and its own NATS prefix
(`bench<hex>`), and `Infra.close()` removes both, plus whatever it started.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Self
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import nats
from nats.js.errors import NotFoundError

from bench.procs import BenchError
from billwire_shared.subjects import Names


def with_database(url: str, database: str) -> str:
    """`url` pointing at another database on the same server."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


class Infra:
    """Servers plus this run's database and namespace; use as a context manager."""

    def __init__(self) -> None:
        token = secrets.token_hex(4)
        self.prefix = f"bench{token}"
        self.database = f"billwire_bench_{token}"
        self.server_url = os.environ.get("DATABASE_URL", "").strip()
        self.nats_url = os.environ.get("NATS_URL", "").strip()
        self.pg_origin = "DATABASE_URL" if self.server_url else "embedded"
        self.nats_origin = "NATS_URL" if self.nats_url else "embedded"
        self._tmp: Path | None = None
        self._pg = None
        self._nats = None
        self._db_created = False

    @property
    def database_url(self) -> str:
        return with_database(self.server_url, self.database)

    def __enter__(self) -> Self:
        try:
            self._start_embedded()
            asyncio.run(self._create_database())
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start_embedded(self) -> None:
        if self.server_url and self.nats_url:
            return
        from billwire_cli.dev import NATS_MAX_PAYLOAD
        from billwire_cli.embedded import EmbeddedNats, free_port
        from billwire_cli.embedded_postgres import EmbeddedPostgres

        self._tmp = Path(tempfile.mkdtemp(prefix="billwire-bench-"))
        self._tmp.chmod(0o755)  # when root, Postgres runs as another user that must get in
        if not self.nats_url:
            self._nats = EmbeddedNats(self._tmp / "nats", free_port(), max_payload=NATS_MAX_PAYLOAD)  # as `make run` does
            self._nats.start()
            self.nats_url = self._nats.url
        if not self.server_url:
            self._pg = EmbeddedPostgres(self._tmp / "pg", free_port())
            self._pg.start()
            self.server_url = self._pg.url

    async def _create_database(self) -> None:
        try:
            conn = await asyncpg.connect(self.server_url, timeout=15)
            try:
                await conn.execute(f'CREATE DATABASE "{self.database}"')
                self._db_created = True
            finally:
                await conn.close()
        except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
            raise BenchError(f"cannot create database {self.database} via {self.pg_origin}: {exc!r}") from exc

    async def _drop_database(self) -> None:
        conn = await asyncpg.connect(self.server_url, timeout=15)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        finally:
            await conn.close()

    async def _clean_nats(self) -> None:
        names = Names(self.prefix)
        nc = await nats.connect(self.nats_url, connect_timeout=5, max_reconnect_attempts=0, allow_reconnect=False)
        try:
            js = nc.jetstream(timeout=5)
            for what, delete in (
                (names.events_stream, js.delete_stream),
                (names.rate_limit_bucket, js.delete_key_value),
            ):
                try:
                    await delete(what)
                except NotFoundError:
                    pass
        finally:
            await nc.close()

    def close(self) -> None:
        """Remove the database and namespace, then stop what we started; reports, never raises."""
        if self._db_created:
            self._best_effort("drop the bench database", self._drop_database())
            self._db_created = False
        if self.nats_url:
            self._best_effort("delete the bench stream and bucket", self._clean_nats())
        for server in (self._pg, self._nats):
            if server is not None:
                try:
                    server.stop()
                except Exception as exc:  # noqa: BLE001 - cleanup goes on
                    print(f"warning: could not stop {type(server).__name__}: {exc}")
        if self._pg is not None and self._pg.data_dir != self._pg.requested_dir:
            shutil.rmtree(self._pg.data_dir, ignore_errors=True)
        self._pg = self._nats = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    @staticmethod
    def _best_effort(what: str, coro) -> None:
        try:
            asyncio.run(asyncio.wait_for(coro, 30))
        except Exception as exc:  # noqa: BLE001 - cleanup goes on
            print(f"warning: could not {what}: {exc!r}")
