"""Short-lived OAuth state in a NATS KV bucket, so every gateway replica knows it: an
authorization request waiting for the person's consent, and the code it became.

Both are taken at most once: read, then deleted on the revision read, so two replicas (or a
replayed code) cannot both use one. Codes are keyed by their SHA-256, so a reader of the
bucket cannot exchange them; the bucket's TTL removes what nobody took.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from uuid import UUID

import msgspec
import nats.errors
import nats.js.errors
from nats.js.api import KeyValueConfig, StorageType
from nats.js.kv import KeyValue

from billwire_gateway.bus import Bus

REQUEST_SECONDS = 600  # how long a consent page stays usable
CODE_SECONDS = 300  # how long a code waits for the token endpoint (RFC 6749 §4.1.2: short)


class PendingRequest(msgspec.Struct, kw_only=True):
    """An /authorize request the SDK validated (client, redirect URI, scopes), until the person decides."""

    client_id: str
    client_name: str
    scopes: list[str]
    code_challenge: str
    redirect_uri: str
    redirect_uri_provided_explicitly: bool
    state: str | None = None
    resource: str | None = None
    expires_at: float


class GrantedCode(PendingRequest, kw_only=True):
    """The person's consent: whose account, which user, and the scopes they chose."""

    account_id: UUID
    user_id: UUID


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class GrantStore:
    def __init__(self, bus: Bus, replicas: int = 1) -> None:
        self.bus, self.replicas = bus, replicas
        self.kv: KeyValue | None = None

    async def start(self) -> None:
        assert self.bus.nc is not None
        js = self.bus.nc.jetstream(timeout=5)
        config = KeyValueConfig(
            bucket=self.bus.names.oauth_grants_bucket, history=1, ttl=float(REQUEST_SECONDS + CODE_SECONDS),
            storage=StorageType.FILE, replicas=self.replicas,
        )
        self.kv = await js.create_key_value(config)

    async def add_request(self, request: PendingRequest) -> str:
        """The id the consent page is reached by."""
        assert self.kv is not None
        request_id = secrets.token_urlsafe(24)
        await self.kv.put(f"request.{_digest(request_id)}", msgspec.json.encode(request))
        return request_id

    async def request(self, request_id: str) -> PendingRequest | None:
        entry = await self._get(f"request.{_digest(request_id)}") if 0 < len(request_id) <= 100 else None
        return msgspec.json.decode(entry[0], type=PendingRequest) if entry else None

    async def take_request(self, request_id: str) -> PendingRequest | None:
        raw = await self._take(f"request.{_digest(request_id)}") if 0 < len(request_id) <= 100 else None
        return msgspec.json.decode(raw, type=PendingRequest) if raw else None

    async def add_code(self, grant: GrantedCode) -> str:
        """A new code with 256 random bits (the SDK asks for at least 160)."""
        assert self.kv is not None
        code = secrets.token_urlsafe(32)
        await self.kv.put(f"code.{_digest(code)}", msgspec.json.encode(grant))
        return code

    async def code(self, code: str) -> GrantedCode | None:
        entry = await self._get(f"code.{_digest(code)}") if 0 < len(code) <= 200 else None
        return msgspec.json.decode(entry[0], type=GrantedCode) if entry else None

    async def take_code(self, code: str) -> bool:
        return await self._take(f"code.{_digest(code)}") is not None

    async def _get(self, key: str) -> tuple[bytes, int] | None:
        assert self.kv is not None
        try:
            entry = await self.kv.get(key)
        except (nats.js.errors.KeyNotFoundError, nats.js.errors.KeyDeletedError):
            return None
        if not entry.value or msgspec.json.decode(entry.value).get("expires_at", 0) < time.time():
            return None
        return entry.value, entry.revision or 0

    async def _take(self, key: str) -> bytes | None:
        """The value, deleted on the revision read: None when another taker was first."""
        assert self.kv is not None
        entry = await self._get(key)
        if entry is None:
            return None
        try:
            await self.kv.delete(key, last=entry[1])
        except (nats.js.errors.KeyWrongLastSequenceError, nats.errors.Error):
            return None
        return entry[0]
