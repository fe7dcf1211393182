"""Webhook signing secrets at rest: encrypted with Fernet under the keys of BILLWIRE_SECRETS_KEYS,
so a dump of the database alone cannot forge signatures.

A stored secret is `enc:` plus a Fernet token, or (written before encryption, or without keys)
the secret in clear. The first key encrypts, every key decrypts (MultiFernet): to rotate, put a
new key first and restart; at start each replica re-encrypts every secret that is in clear or
under an older key (`reseal`), after which the old key may be dropped. Without keys secrets stay
in clear and the service says so at start. A secret no key opens fails its deliveries with a
message naming the setting; it never stops the service.

cryptography (about 8 MB) is imported when a secret is first sealed or opened, not with the service:
the keys are checked at start as Fernet checks them (issue 24: the stack's memory).
"""

from __future__ import annotations

import base64
import binascii
import logging
from functools import cached_property
from typing import TYPE_CHECKING

import asyncpg

if TYPE_CHECKING:
    from cryptography.fernet import Fernet, MultiFernet

log = logging.getLogger("billwire.invoices.webhooks")
ENCRYPTED = "enc:"
SETTING = "BILLWIRE_SECRETS_KEYS"


class SecretUnreadable(Exception):
    """A stored secret that the configured keys cannot decrypt."""


class SecretBox:
    """Seals and opens webhook secrets with the configured keys (a comma-separated list)."""

    def __init__(self, keys: str) -> None:
        self._keys = [key.strip() for key in keys.split(",") if key.strip()]
        try:
            for key in self._keys:
                _check_fernet_key(key)
        except (ValueError, binascii.Error) as exc:
            raise ValueError(
                f"{SETTING}: every key must be a Fernet key (32 url-safe base64-encoded bytes; "
                "make one with `python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`)"
            ) from exc

    @cached_property
    def _fernets(self) -> list[Fernet]:
        from cryptography.fernet import Fernet

        return [Fernet(key) for key in self._keys]

    @property
    def _first(self) -> Fernet | None:
        return self._fernets[0] if self._keys else None

    @cached_property
    def _all(self) -> MultiFernet | None:
        from cryptography.fernet import MultiFernet

        return MultiFernet(self._fernets) if self._keys else None

    @property
    def enabled(self) -> bool:
        return bool(self._keys)

    def seal(self, secret: str) -> str:
        if self._first is None:
            return secret
        return ENCRYPTED + self._first.encrypt(secret.encode()).decode()

    def open(self, stored: str) -> str:
        if not stored.startswith(ENCRYPTED):
            return stored
        if self._all is None:
            raise SecretUnreadable(f"the webhook secret is encrypted but {SETTING} is not set")
        from cryptography.fernet import InvalidToken

        try:
            return self._all.decrypt(stored.removeprefix(ENCRYPTED).encode()).decode()
        except InvalidToken:
            raise SecretUnreadable(f"no key in {SETTING} decrypts the webhook secret (was its key removed?)") from None

    def is_current(self, stored: str) -> bool:
        """Sealed under the first key (nothing to redo); always true without keys."""
        if self._first is None:
            return True
        if not stored.startswith(ENCRYPTED):
            return False
        from cryptography.fernet import InvalidToken

        try:
            self._first.decrypt(stored.removeprefix(ENCRYPTED).encode())
        except InvalidToken:
            return False
        return True


def _check_fernet_key(key: str) -> None:
    """What Fernet(key) checks (32 url-safe base64-encoded bytes), without importing cryptography."""
    if len(base64.urlsafe_b64decode(key)) != 32:
        raise ValueError("Fernet key must be 32 url-safe base64-encoded bytes.")


async def reseal(pool: asyncpg.Pool, box: SecretBox) -> tuple[int, int]:
    """Encrypt every secret in clear or under an older key with the first key; returns (resealed,
    unreadable). Each row is swapped only if unchanged, so replicas starting together are safe."""
    if not box.enabled:
        log.warning("%s is not set: webhook signing secrets are stored in clear; set it to encrypt them", SETTING)
        return 0, 0
    resealed = unreadable = 0
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT id, secret FROM webhooks")
        for row in rows:
            if box.is_current(row["secret"]):
                continue
            try:
                sealed = box.seal(box.open(row["secret"]))
            except SecretUnreadable:
                unreadable += 1
                continue
            status = await conn.execute("UPDATE webhooks SET secret = $2 WHERE id = $1 AND secret = $3", row["id"], sealed, row["secret"])
            resealed += status == "UPDATE 1"
    if unreadable:
        log.error("%d webhook secrets cannot be decrypted with the keys in %s; their deliveries fail until the key is back", unreadable, SETTING)
    if resealed:
        log.info("encrypted %d webhook secrets with the first key of %s", resealed, SETTING)
    return resealed, unreadable
