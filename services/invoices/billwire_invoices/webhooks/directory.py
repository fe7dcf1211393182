"""Which accounts have webhooks, known in memory, so that the consumer of every event asks
Postgres only about accounts that have some (most events of most accounts have no webhook).

Kept fresh by LISTEN/NOTIFY: creating a webhook notifies in its own transaction, so every
listener hears of it at commit, well before any event of that account can travel outbox ->
JetStream -> consumer. While the listener is not connected (starting, or after a drop),
every account counts as having webhooks and Postgres is asked, as without the directory.
Deleted webhooks leave their account listed until the next reload: that costs a query, never
a delivery.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from uuid import UUID

import asyncpg

from billwire_shared.background import BackgroundLoop

CHANNEL = "billwire_webhooks"
log = logging.getLogger("billwire.invoices.webhooks")


async def announce(conn: asyncpg.Connection, account_id: UUID) -> None:
    """Tell every replica's directory, at commit, that `account_id` has a webhook."""
    await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, str(account_id))


class WebhookDirectory(BackgroundLoop):
    def __init__(self, connect: Callable[[], Awaitable[asyncpg.Connection]], reload_every: float = 300.0) -> None:
        self.connect, self.reload_every = connect, reload_every
        self.accounts: set[UUID] | None = None  # None: not known now, ask Postgres
        self._heard: set[UUID] = set()

    def may_have(self, account_id: UUID) -> bool:
        return self.accounts is None or account_id in self.accounts

    def start(self) -> None:
        self._spawn(self._run(), "webhook-directory")

    async def stop(self) -> None:
        await self._halt()
        self.accounts = None

    def _notified(self, conn: object, pid: int, channel: str, payload: str) -> None:
        account = UUID(payload)
        self._heard.add(account)
        if self.accounts is not None:
            self.accounts.add(account)

    async def _run(self) -> None:
        while not self.stopping:
            conn: asyncpg.Connection | None = None
            try:
                conn = await self.connect()
                await conn.add_listener(CHANNEL, self._notified)
                while not conn.is_closed():
                    self._heard = set()  # what is announced while the list loads is added after
                    rows = await conn.fetch("SELECT DISTINCT account_id FROM webhooks")
                    self.accounts = {row["account_id"] for row in rows} | self._heard
                    for second in range(1, int(self.reload_every) + 1):
                        await asyncio.sleep(1)
                        if second % 10 == 0:  # a connection that died quietly fails here
                            await conn.fetchval("SELECT 1", timeout=5)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the consumer asks Postgres meanwhile
                log.warning("webhook directory: %r; asking Postgres for every event until it is back", exc)
            finally:
                self.accounts = None
                if conn is not None:
                    conn.terminate()
            await asyncio.sleep(1)
