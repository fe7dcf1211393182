"""Password and user rules, free of I/O: hashing, policy, generated passwords, one-time link tokens."""

from __future__ import annotations

import hashlib
import secrets
import string
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from billwire_shared.contracts.users import MIN_PASSWORD_LENGTH
from billwire_shared.errors import FieldError

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified against when the e-mail is unknown, so a miss costs what a wrong password costs. A hash
# of a random password nobody kept, made once with the hasher's parameters (a test checks they are
# still the library's): hashing one at import cost every invoices process 0.5 s of CPU at start-up.
DECOY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$KeRLjxlvchGamagpkbRS/Q$AcWwpYHu2qsDDC2c1JhlhIHWZVx8AxksEIXkJjzQ7as"
_ALPHABET = string.ascii_letters + string.digits


def normalized_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(password_hash: str | None, password: str) -> bool:
    """True when `password` fits the hash; with no hash (unknown user) the decoy is checked and False returned."""
    try:
        return _hasher.verify(password_hash or DECOY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def generated_password() -> str:
    """Four groups of five letters and digits: easy to type from a terminal, about 119 bits."""
    groups = ("".join(secrets.choice(_ALPHABET) for _ in range(5)) for _ in range(4))
    return "-".join(groups)


def password_problems(password: str, field: str = "password", email: str | None = None) -> list[FieldError]:
    if len(password) < MIN_PASSWORD_LENGTH:
        return [FieldError(field=field, message=f"at least {MIN_PASSWORD_LENGTH} characters")]
    if email and password.strip().lower() == normalized_email(email):
        return [FieldError(field=field, message="must not be the e-mail address")]
    return []


def new_link_token() -> tuple[str, str]:
    """A link's secret (about 256 bits, URL-safe) and the SHA-256 that is stored instead of it."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_problem(expires_at: datetime, used_at: datetime | None, revoked_at: datetime | None, now: datetime) -> str | None:
    """Why a one-time link cannot be used now, or None: used beats revoked beats expired."""
    if used_at is not None:
        return "used"
    if revoked_at is not None:
        return "revoked"
    if expires_at <= now:
        return "expired"
    return None
