"""Server-side sessions of the web app in a NATS KV bucket, so every gateway replica knows them.

The cookie holds only a random id; the bucket is keyed by its SHA-256, so a reader of the
bucket cannot replay a cookie. A session ends when idle too long, when it is older than the
absolute limit (the bucket's TTL enforces that too), at sign-out, and everywhere at once when
the user's session generation moves on (password change, reset, disable).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable
from uuid import UUID

import msgspec
import nats.js.errors
from nats.js.api import KeyValueConfig, StorageType
from nats.js.kv import KeyValue

from billwire_gateway.bus import Bus

COOKIE = "bw_session"
LOGIN_CSRF_COOKIE = "bw_login_csrf"
TOUCH_EVERY = 60.0  # seconds: last_seen is written at most this often


class Session(msgspec.Struct, kw_only=True):
    account_id: UUID
    user_id: UUID
    session_generation: int
    csrf: str
    created: float
    last_seen: float


def session_key(session_id: str) -> str:
    """The session's key in the bucket (and in each replica's cache): the cookie's SHA-256."""
    return hashlib.sha256(session_id.encode()).hexdigest()


def tokens_match(expected: str, given: str | None) -> bool:
    return bool(expected) and given is not None and hmac.compare_digest(expected.encode(), given.encode())


class SessionStore:
    def __init__(self, bus: Bus, idle_seconds: float, absolute_seconds: float, replicas: int = 1) -> None:
        self.bus, self.idle, self.absolute, self.replicas = bus, idle_seconds, absolute_seconds, replicas
        self.kv: KeyValue | None = None
        self.on_end: Callable[[str], Awaitable[None]] | None = None  # told each ended session's key (session_cache.py)

    async def start(self) -> None:
        assert self.bus.nc is not None
        js = self.bus.nc.jetstream(timeout=5)
        config = KeyValueConfig(
            bucket=self.bus.names.web_sessions_bucket, history=1, ttl=self.absolute, storage=StorageType.FILE, replicas=self.replicas,
        )
        self.kv = await js.create_key_value(config)

    async def create(self, account_id: UUID, user_id: UUID, generation: int) -> tuple[str, Session]:
        assert self.kv is not None
        session_id = secrets.token_urlsafe(32)
        now = time.time()
        session = Session(
            account_id=account_id, user_id=user_id, session_generation=generation, csrf=secrets.token_urlsafe(32),
            created=now, last_seen=now,
        )
        await self.kv.put(session_key(session_id), msgspec.json.encode(session))
        return session_id, session

    async def load(self, session_id: str | None) -> Session | None:
        """The live session of this cookie, or None (unknown, idle too long, too old)."""
        if not session_id or len(session_id) > 100 or self.kv is None:
            return None
        try:
            entry = await self.kv.get(session_key(session_id))
        except nats.js.errors.KeyNotFoundError:
            return None
        if not entry.value:
            return None
        session = msgspec.json.decode(entry.value, type=Session)
        now = time.time()
        if now - session.last_seen > self.idle or now - session.created > self.absolute:
            await self.end(session_id)
            return None
        if now - session.last_seen > TOUCH_EVERY:
            session.last_seen = now
            await self.kv.put(session_key(session_id), msgspec.json.encode(session))
        return session

    async def end(self, session_id: str | None) -> None:
        if session_id and self.kv is not None:
            try:
                await self.kv.purge(session_key(session_id))
            except nats.js.errors.KeyNotFoundError:
                pass
            if self.on_end is not None:
                await self.on_end(session_key(session_id))
