"""msgspec's validation messages as the field path and reason an error reply names.

A module of its own, apart from bus.py, so the gateway (which checks request bodies with it)
does not import FastStream and pydantic for it: about 2 s of a busy start and several MB."""

from __future__ import annotations

import re

import msgspec

from billwire_shared.contracts.common import SINGLE_LINE, SINGLE_LINE_MESSAGE
from billwire_shared.errors import FieldError


def field_error(exc: msgspec.ValidationError, drop_root: bool = True) -> FieldError:
    """Turn msgspec's "... - at `$.lines[0].quantity`" into a field path and a reason;
    "unknown field `x`" and "missing required field `x`" name x itself."""
    text = str(exc)
    message, found, where = text.rpartition(" - at `")
    if not found:
        message, path = text, ""
    else:
        path = where.rstrip("`").removeprefix("$").lstrip(".")
        if drop_root:  # handler arguments arrive wrapped: $.<argument>.<field>
            path = path.split(".", 1)[1] if "." in path else ""
    named = re.search(r"(?:unknown|missing required) field `([^`]+)`", message)
    if named:
        path = f"{path}.{named.group(1)}" if path else named.group(1)
    if repr(SINGLE_LINE) in message:  # msgspec quotes the pattern; say what it means
        message = SINGLE_LINE_MESSAGE
    return FieldError(field=path, message=message)
