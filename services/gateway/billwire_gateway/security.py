"""API keys and rate limits: who is calling, what they may do, and how often.

Keys are verified by the invoices service (the gateway holds no database) and cached for a
few seconds; a revocation broadcast drops them from every replica's cache at once. Rate
limits count in a NATS KV bucket, so all gateway replicas share one count per key.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import OrderedDict

import msgspec
import nats.js.errors
from billwire_shared import subjects as s
from billwire_shared.contracts.accounts import KeyIdentity, VerifyKey
from billwire_shared.keys import hash_key, looks_like_key
from nats.js.api import KeyValueConfig, StorageType
from nats.js.kv import KeyValue

from billwire_gateway.bus import Bus

log = logging.getLogger("billwire.gateway.security")


class KeyAuthenticator:
    def __init__(self, bus: Bus, ttl: float = 5.0, max_entries: int = 10_000) -> None:
        self.bus, self.ttl, self.max_entries = bus, ttl, max_entries
        self._cache: OrderedDict[str, tuple[float, KeyIdentity]] = OrderedDict()

    async def start(self) -> None:
        assert self.bus.nc is not None
        await self.bus.nc.subscribe(self.bus.names.subject(s.API_KEY_REVOKED), cb=self._on_revoked)

    async def _on_revoked(self, msg) -> None:
        key_id = msgspec.json.decode(msg.data).get("key_id")
        for key_hash, (_, identity) in list(self._cache.items()):
            if identity.key_id is not None and str(identity.key_id) == key_id:
                self._cache.pop(key_hash, None)

    async def identify(self, presented: str) -> KeyIdentity:
        if not looks_like_key(presented):
            return KeyIdentity(found=False)
        key_hash = hash_key(presented)
        now = time.monotonic()
        cached = self._cache.get(key_hash)
        if cached is not None and cached[0] > now:
            return cached[1]
        identity = await self.bus.call_typed(s.AUTH_VERIFY, VerifyKey(key_hash=key_hash), KeyIdentity)
        self._cache[key_hash] = (now + self.ttl, identity)
        self._cache.move_to_end(key_hash)
        while len(self._cache) > self.max_entries:
            self._cache.popitem(last=False)
        return identity


class Allowance(msgspec.Struct):
    allowed: bool
    limit: int
    remaining: int
    reset: int  # seconds until the window resets

    def headers(self) -> dict[str, str]:
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.reset)
        return headers


class RateLimiter:
    """A fixed window per key and minute, counted with compare-and-set in NATS KV."""

    def __init__(self, bus: Bus, limit: int, window: int = 60) -> None:
        self.bus, self.limit, self.window = bus, limit, window
        self.kv: KeyValue | None = None
        self._known: dict[str, tuple[int, int]] = {}  # kv key -> (count, revision)
        self._locks: dict[str, asyncio.Lock] = {}

    async def start(self) -> None:
        assert self.bus.nc is not None
        js = self.bus.nc.jetstream(timeout=5)
        config = KeyValueConfig(
            bucket=self.bus.names.rate_limit_bucket, history=1, ttl=float(self.window * 2), storage=StorageType.MEMORY
        )
        self.kv = await js.create_key_value(config)

    async def hit(self, key_id: str) -> Allowance:
        # One update per key at a time in this process; other replicas are met by compare-and-set.
        lock = self._locks.get(key_id)
        if lock is None:
            if len(self._locks) > 50_000:
                self._locks = {k: v for k, v in self._locks.items() if v.locked()}
            lock = self._locks[key_id] = asyncio.Lock()
        async with lock:
            return await self._count(key_id)

    async def _count(self, key_id: str) -> Allowance:
        now = time.time()
        window_start = math.floor(now / self.window) * self.window
        reset = max(1, math.ceil(window_start + self.window - now))
        kv_key = f"{key_id}.{window_start}"
        if len(self._known) > 50_000:
            self._known.clear()
        count, revision = self._known.get(kv_key, (0, 0))
        if count >= self.limit:  # counts only grow within a window: no need to ask
            return Allowance(False, self.limit, 0, reset)
        assert self.kv is not None
        for _ in range(50):
            try:
                if revision == 0:
                    revision = await self.kv.create(kv_key, b"1")
                    count = 1
                else:
                    revision = await self.kv.update(kv_key, str(count + 1).encode(), last=revision)
                    count += 1
                break
            except nats.js.errors.KeyWrongLastSequenceError:
                entry = await self.kv.get(kv_key)
                count, revision = int(entry.value or b"0"), entry.revision
                if count >= self.limit:
                    self._known[kv_key] = (count, revision)
                    return Allowance(False, self.limit, 0, reset)
        else:  # never seen in practice; an uncounted request is better than a false 429
            log.warning("rate limit counter for %s stayed contended; request let through", key_id)
        self._known[kv_key] = (count, revision)
        return Allowance(True, self.limit, max(0, self.limit - count), reset)
