"""Typed settings read from the environment at start-up, never at import.

Every field `foo_bar` of a settings class is read from `BILLWIRE_FOO_BAR`; the
conventional `DATABASE_URL`, `NATS_URL` and `PORT` are honoured as well.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, TypeVar

import msgspec

CONVENTIONAL = {"database_url": "DATABASE_URL", "nats_url": "NATS_URL", "port": "PORT"}

S = TypeVar("S", bound=msgspec.Struct)


class CommonSettings(msgspec.Struct, kw_only=True, frozen=True):
    """What every service needs: where NATS and Postgres are, and its namespace."""

    nats_url: str = "nats://127.0.0.1:4222"
    database_url: str = "postgresql://postgres@127.0.0.1:5432/billwire"
    # Namespace for the stream, KV buckets and every subject; test runs use their own.
    prefix: str = ""
    log_level: str = "INFO"
    log_json: bool = False
    rpc_timeout: float = 10.0


def env_name(field: str) -> str:
    return CONVENTIONAL.get(field, f"BILLWIRE_{field.upper()}")


def load_settings(cls: type[S], env: Mapping[str, str] | None = None, **overrides: Any) -> S:
    """Build `cls` from environment variables (strings coerced to the field types)."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    for field in msgspec.structs.fields(cls):
        for name in (f"BILLWIRE_{field.name.upper()}", env_name(field.name)):
            if name in env:
                values[field.name] = env[name]
    values.update(overrides)
    try:
        return msgspec.convert(values, type=cls, strict=False)
    except msgspec.ValidationError as exc:
        raise SystemExit(f"invalid setting: {exc}") from exc


def describe(cls: type[msgspec.Struct]) -> list[tuple[str, str, str]]:
    """(environment variable, default, type) for every field: the configuration reference."""
    rows = []
    for field in msgspec.structs.fields(cls):
        default = "" if field.default is msgspec.NODEFAULT else repr(field.default)
        rows.append((env_name(field.name), default, getattr(field.type, "__name__", str(field.type))))
    return rows
