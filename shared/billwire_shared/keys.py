"""API key format: `bw_` + a random secret, stored only as its SHA-256."""

from __future__ import annotations

import hashlib
import secrets

KEY_PREFIX = "bw_"


def generate_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def display_prefix(key: str) -> str:
    """The readable start of a key, enough to recognise it in a list."""
    return key[: len(KEY_PREFIX) + 8]


def looks_like_key(value: str) -> bool:
    return value.startswith(KEY_PREFIX) and 20 <= len(value) <= 200
