"""API keys and rate limits: who is calling, what they may do, and how often.

Keys are verified by the invoices service (the gateway holds no database) and cached for a
few seconds; a revocation broadcast drops them from every replica's cache at once. Only keys
that exist are cached, so a flood of made-up keys cannot push real ones out. Rate limits count
in a NATS KV bucket, so all gateway replicas share one count per key, one per account (all its
keys together), and one count of failed authentications per client address.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import OrderedDict

import msgspec
import nats.errors
import nats.js.errors
from nats.js.api import KeyValueConfig, StorageType
from nats.js.kv import KeyValue

from billwire_gateway.bus import Bus
from billwire_shared import subjects
from billwire_shared.contracts.accounts import KeyIdentity, VerifyKey
from billwire_shared.keys import hash_key, looks_like_key

log = logging.getLogger("billwire.gateway.security")


class KeyAuthenticator:
    def __init__(self, bus: Bus, ttl: float = 5.0, max_entries: int = 10_000) -> None:
        self.bus, self.ttl, self.max_entries = bus, ttl, max_entries
        self._cache: OrderedDict[str, tuple[float, KeyIdentity]] = OrderedDict()

    async def start(self) -> None:
        assert self.bus.nc is not None
        await self.bus.nc.subscribe(self.bus.names.subject(subjects.API_KEY_REVOKED), cb=self._on_revoked)

    async def _on_revoked(self, msg) -> None:
        key_id = msgspec.json.decode(msg.data).get("key_id")
        for key_hash, (_, identity) in list(self._cache.items()):
            if identity.key_id is not None and str(identity.key_id) == key_id:
                self._cache.pop(key_hash, None)

    def cached(self, presented: str) -> KeyIdentity | None:
        """The key's identity if this replica verified it within the last `ttl` seconds."""
        if not looks_like_key(presented):
            return None
        entry = self._cache.get(hash_key(presented))
        return entry[1] if entry is not None and entry[0] > time.monotonic() else None

    async def identify(self, presented: str) -> KeyIdentity:
        if not looks_like_key(presented):
            return KeyIdentity(found=False)
        if (identity := self.cached(presented)) is not None:
            return identity
        key_hash = hash_key(presented)
        now = time.monotonic()
        identity = await self.bus.call_typed(subjects.AUTH_VERIFY, VerifyKey(key_hash=key_hash), KeyIdentity)
        if not identity.found:
            return identity
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
    window: int = 60  # seconds


def limit_headers(allowances: dict[str, Allowance]) -> dict[str, str]:
    """Every policy's count in the IETF fields (draft-ietf-httpapi-ratelimit-headers: `RateLimit-Policy`
    names each policy's quota and window, `RateLimit` what is left and when it resets), and the
    tightest one in GitHub's `X-RateLimit-*`, whose reset is a Unix time."""
    tightest = min(allowances.values(), key=lambda allowance: (allowance.allowed, allowance.remaining))
    headers = {
        "X-RateLimit-Limit": str(tightest.limit),
        "X-RateLimit-Remaining": str(tightest.remaining),
        "X-RateLimit-Reset": str((math.floor(time.time() / tightest.window) + 1) * tightest.window),  # windows are fixed
        "RateLimit-Policy": ", ".join(f'"{name}";q={a.limit};w={a.window}' for name, a in allowances.items()),
        "RateLimit": ", ".join(f'"{name}";r={a.remaining};t={a.reset}' for name, a in allowances.items()),
    }
    if not tightest.allowed:
        headers["Retry-After"] = str(tightest.reset)
    return headers


class RateLimiter:
    """A fixed window per key and minute, shared by every replica through NATS KV.

    A replica leases part of the window's allowance with one compare-and-set and spends it
    locally, so a busy key costs one KV round trip per lease, not per request. A lease is at
    most a quarter of what is left (and at most MAX_LEASE), so near the limit leases are one
    request each: the sum over all replicas never exceeds the limit. Tokens a replica leased
    but did not use before the window ends are lost, so a key spread over replicas that go
    quiet may meet 429 slightly before the limit, never after it.
    """

    MAX_LEASE = 64

    def __init__(self, bus: Bus, limit: int, window: int = 60, replicas: int = 1) -> None:
        self.bus, self.limit, self.window, self.replicas = bus, limit, window, replicas
        self.kv: KeyValue | None = None
        self._leases: dict[str, _Lease] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def start(self) -> None:
        assert self.bus.nc is not None
        js = self.bus.nc.jetstream(timeout=5)
        config = KeyValueConfig(
            bucket=self.bus.names.rate_limit_bucket, history=1, ttl=float(self.window * 2), storage=StorageType.MEMORY,
            replicas=self.replicas,
        )
        self.kv = await js.create_key_value(config)

    def spent(self, key_id: str) -> Allowance | None:
        """A refusal when this replica already knows the key's window is used up (no KV trip)."""
        now = time.time()
        window_start = math.floor(now / self.window) * self.window
        lease = self._leases.get(key_id)
        if lease is None or lease.window_start != window_start or lease.tokens:
            return None
        if not lease.exhausted and lease.counted < self.limit:
            return None
        return Allowance(False, self.limit, 0, max(1, math.ceil(window_start + self.window - now)), self.window)

    async def hit(self, key_id: str) -> Allowance:
        now = time.time()
        window_start = math.floor(now / self.window) * self.window
        reset = max(1, math.ceil(window_start + self.window - now))
        lease = self._leases.get(key_id)
        if lease is None or lease.window_start != window_start:
            if len(self._leases) > 50_000:
                self._leases = {k: v for k, v in self._leases.items() if v.window_start == window_start}
            lease = self._leases[key_id] = _Lease(window_start)
        if lease.tokens == 0 and not lease.exhausted:
            lock = self._locks.setdefault(key_id, asyncio.Lock())
            async with lock:
                if lease.tokens == 0 and not lease.exhausted:
                    try:
                        await self._renew(key_id, lease)
                    except (nats.errors.Error, asyncio.TimeoutError) as exc:
                        # The shared count is out of reach (e.g. a NATS node failing over): a
                        # limit is protection, not correctness, so let the request through.
                        log.warning("rate limit count unavailable, request let through: %r", exc)
                        return Allowance(True, self.limit, max(0, self.limit - lease.counted), reset, self.window)
        if lease.tokens == 0:
            return Allowance(False, self.limit, 0, reset, self.window)
        lease.tokens -= 1
        return Allowance(True, self.limit, max(0, self.limit - lease.counted + lease.tokens), reset, self.window)

    async def _renew(self, key_id: str, lease: _Lease) -> None:
        """Take the next lease with compare-and-set; none is left once the window is spent."""
        assert self.kv is not None
        kv_key = f"{key_id}.{lease.window_start}"
        for _ in range(50):
            count, revision = lease.counted, lease.revision
            if count >= self.limit:
                lease.exhausted = True
                return
            size = max(1, min(self.MAX_LEASE, (self.limit - count) // 4))
            try:
                if revision == 0:
                    lease.revision = await self.kv.create(kv_key, str(size).encode())
                else:
                    lease.revision = await self.kv.update(kv_key, str(count + size).encode(), last=revision)
            except nats.js.errors.KeyWrongLastSequenceError:
                entry = await self.kv.get(kv_key)  # another replica counted first: start from its count
                lease.counted, lease.revision = int(entry.value or b"0"), entry.revision
                continue
            lease.counted, lease.tokens = count + size, size
            return
        log.warning("rate limit counter for %s stayed contended; request refused", key_id)


class _Lease:
    """This replica's share of one key's window: `counted` is the shared count after its last lease."""

    __slots__ = ("window_start", "counted", "revision", "tokens", "exhausted")

    def __init__(self, window_start: int) -> None:
        self.window_start = window_start
        self.counted = 0
        self.revision = 0
        self.tokens = 0
        self.exhausted = False
