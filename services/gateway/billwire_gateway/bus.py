"""The gateway's side of request/reply: a typed command out, the service's JSON reply back,
through the shared `BusClient`; an error reply becomes an `ApiError` (the HTTP answer)."""

from __future__ import annotations

from typing import Any

import msgspec
from nats.aio.client import Client as NatsClient

from billwire_shared.bus_client import BusClient, ServiceNotAnswering, connect_nats
from billwire_shared.errors import BillwireError, ErrorReply
from billwire_shared.subjects import Names


class ApiError(Exception):
    """An error the caller should see as `{"error": {...}}` with its HTTP status."""

    def __init__(self, reply: ErrorReply, headers: dict[str, str] | None = None) -> None:
        super().__init__(reply.message)
        self.reply = reply
        self.headers = headers or {}


class Bus:
    """One NATS connection per gateway process; replies stay bytes unless they are errors."""

    def __init__(self, names: Names, timeout: float) -> None:
        self.names = names
        self.timeout = timeout
        self.nc: NatsClient | None = None
        self.client: BusClient | None = None

    async def connect(self, url: str) -> None:
        self.nc = await connect_nats(url, name="billwire-gateway")
        self.client = BusClient(self.nc, self.names, self.timeout)

    async def close(self) -> None:
        if self.nc is not None:
            await self.nc.drain()

    @property
    def connected(self) -> bool:
        return self.nc is not None and self.nc.is_connected

    async def call(self, subject: str, command: Any, headers: dict[str, str] | None = None, timeout: float | None = None) -> bytes:
        """Send `command`, return the raw JSON reply; an ErrorReply becomes an ApiError (with
        Retry-After when nobody answered)."""
        assert self.client is not None
        try:
            return await self.client.call(subject, command, timeout=timeout, headers=headers)
        except ServiceNotAnswering as exc:
            raise ApiError(exc.reply, {"Retry-After": "2"}) from exc
        except BillwireError as exc:
            raise ApiError(exc.reply) from exc

    async def call_typed(self, subject: str, command: Any, reply_type: type, timeout: float | None = None) -> Any:
        return msgspec.json.decode(await self.call(subject, command, timeout=timeout), type=reply_type)
