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
from typing import TypeVar
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


Stored = TypeVar("Stored", PendingRequest, GrantedCode)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _key(kind: str, secret: str, longest: int) -> str | None:
    """Where a request id or code would be stored; None for one too short or too long to be ours."""
    return f"{kind}.{_digest(secret)}" if 0 < len(secret) <= longest else None


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
        return await self._add("request", 24, request)

    async def request(self, request_id: str) -> PendingRequest | None:
        return await self._read(_key("request", request_id, 100), PendingRequest)

    async def take_request(self, request_id: str) -> PendingRequest | None:
        raw = await self._take(_key("request", request_id, 100))
        return msgspec.json.decode(raw, type=PendingRequest) if raw else None

    async def add_code(self, grant: GrantedCode) -> str:
        """A new code with 256 random bits (the SDK asks for at least 160)."""
        return await self._add("code", 32, grant)

    async def code(self, code: str) -> GrantedCode | None:
        return await self._read(_key("code", code, 200), GrantedCode)

    async def take_code(self, code: str) -> bool:
        return await self._take(_key("code", code, 200)) is not None

    async def _add(self, kind: str, random_bytes: int, value: PendingRequest) -> str:
        """A new random secret for `value`, stored under the secret's digest."""
        assert self.kv is not None
        secret = secrets.token_urlsafe(random_bytes)
        await self.kv.put(f"{kind}.{_digest(secret)}", msgspec.json.encode(value))
        return secret

    async def _read(self, key: str | None, kind: type[Stored]) -> Stored | None:
        entry = await self._get(key)
        return msgspec.json.decode(entry[0], type=kind) if entry else None

    async def _get(self, key: str | None) -> tuple[bytes, int] | None:
        if key is None:
            return None
        assert self.kv is not None
        try:
            entry = await self.kv.get(key)
        except (nats.js.errors.KeyNotFoundError, nats.js.errors.KeyDeletedError):
            return None
        if not entry.value or msgspec.json.decode(entry.value).get("expires_at", 0) < time.time():
            return None
        return entry.value, entry.revision or 0

    async def _take(self, key: str | None) -> bytes | None:
        """The value, deleted on the revision read: None when another taker was first."""
        entry = await self._get(key)
        if entry is None:
            return None
        assert self.kv is not None
        try:
            await self.kv.delete(key, last=entry[1])
        except (nats.js.errors.KeyWrongLastSequenceError, nats.errors.Error):
            return None
        return entry[0]
