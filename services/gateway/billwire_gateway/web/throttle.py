"""Sign-in attempts counted per e-mail and per client address, shared by every gateway replica.

The rate limiter's leases over NATS KV, in a bucket of its own whose window is long enough to
slow down guessing without locking a person out for long.
"""

from __future__ import annotations

import hashlib

from nats.js.api import KeyValueConfig, StorageType

from billwire_gateway.bus import Bus
from billwire_gateway.security import RateLimiter

WEB_LOGIN_BUCKET = "WEBLOGIN"


class LoginThrottle:
    def __init__(self, bus: Bus, per_email: int, per_address: int, window: int, replicas: int = 1) -> None:
        self.bus, self.window, self.replicas = bus, window, replicas
        self.by_email = RateLimiter(bus, per_email, window=window, replicas=replicas)
        self.by_address = RateLimiter(bus, per_address, window=window, replicas=replicas)

    async def start(self) -> None:
        assert self.bus.nc is not None
        js = self.bus.nc.jetstream(timeout=5)
        config = KeyValueConfig(
            bucket=self.bus.names.stream(WEB_LOGIN_BUCKET), history=1, ttl=float(self.window * 2),
            storage=StorageType.MEMORY, replicas=self.replicas,
        )
        kv = await js.create_key_value(config)
        self.by_email.kv = self.by_address.kv = kv

    async def allows(self, email: str, address: str) -> bool:
        """Counts this attempt against both; False when either has none left in the window."""
        email_key = "email." + hashlib.sha256(email.strip().lower().encode()).hexdigest()[:40]
        address_key = "address." + hashlib.sha256(address.encode()).hexdigest()[:40]
        by_address = await self.by_address.hit(address_key)
        by_email = await self.by_email.hit(email_key)
        return by_address.allowed and by_email.allowed
