"""The gateway's side of request/reply: send a typed command, get the service's JSON reply."""

from __future__ import annotations

import logging
from typing import Any

import msgspec
import nats
from nats.aio.client import Client as NatsClient
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout

from billwire_shared.bus import nats_servers
from billwire_shared.errors import ERROR_HEADER, ErrorCode, ErrorReply
from billwire_shared.subjects import Names

log = logging.getLogger("billwire.gateway.bus")
_encoder = msgspec.json.Encoder()
_error_decoder = msgspec.json.Decoder(ErrorReply)


class ApiError(Exception):
    """An error the caller should see as `{"error": {...}}` with its HTTP status."""

    def __init__(self, reply: ErrorReply, headers: dict[str, str] | None = None) -> None:
        super().__init__(reply.message)
        self.reply = reply
        self.headers = headers or {}


def unavailable(what: str) -> ApiError:
    return ApiError(
        ErrorReply(code=ErrorCode.SERVICE_UNAVAILABLE, message=f"{what} is not answering; try again shortly."),
        {"Retry-After": "2"},
    )


class Bus:
    """One NATS connection per gateway process; replies stay bytes unless they are errors."""

    def __init__(self, names: Names, timeout: float) -> None:
        self.names = names
        self.timeout = timeout
        self.nc: NatsClient | None = None

    async def connect(self, url: str) -> None:
        async def on_error(exc: Exception) -> None:
            log.warning("NATS: %s", exc)

        self.nc = await nats.connect(nats_servers(url), max_reconnect_attempts=-1, error_cb=on_error, name="billwire-gateway")

    async def close(self) -> None:
        if self.nc is not None:
            await self.nc.drain()

    @property
    def connected(self) -> bool:
        return self.nc is not None and self.nc.is_connected

    async def call(self, subject: str, command: Any, headers: dict[str, str] | None = None, timeout: float | None = None) -> bytes:
        """Send `command`, return the raw JSON reply; an ErrorReply becomes an ApiError."""
        assert self.nc is not None
        try:
            msg = await self.nc.request(
                self.names.subject(subject), _encoder.encode(command), timeout=timeout or self.timeout, headers=headers
            )
        except NoRespondersError as exc:
            raise unavailable(subject.split(".", 1)[0] + " service") from exc
        except NatsTimeout as exc:
            raise unavailable(subject.split(".", 1)[0] + " service") from exc
        if msg.headers and ERROR_HEADER in msg.headers:
            raise ApiError(_error_decoder.decode(msg.data))
        return msg.data

    async def call_typed(self, subject: str, command: Any, reply_type: type, timeout: float | None = None) -> Any:
        return msgspec.json.decode(await self.call(subject, command, timeout=timeout), type=reply_type)
