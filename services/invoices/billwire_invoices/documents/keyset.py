"""Keyset (cursor) pagination of document lists: a page after a cursor starts where the previous
one ended, by the sort column and the id, so page 500 costs what page 1 costs (an offset makes
Postgres walk and drop every row before it) and a document created meanwhile neither repeats a
row nor skips one. The cursor is opaque to callers: base64url of `[sort, last value, last id]`."""

from __future__ import annotations

import base64
import binascii
from datetime import date, datetime
from typing import Any
from uuid import UUID

import msgspec

from billwire_shared.errors import BillwireError, ErrorCode, FieldError

SORT_COLUMNS = {"date": "issue_date", "created_at": "created_at", "number": "number"}
NOT_NULL = {"created_at"}  # columns that are never NULL page by a plain row comparison
_PARSE = {"issue_date": date.fromisoformat, "created_at": datetime.fromisoformat, "number": str}


class Cursor(msgspec.Struct, array_like=True):
    sort: str
    value: str | None  # the sort column of the last row, as ISO text (or the number itself)
    id: UUID


def encode(sort: str, value: date | datetime | str | None, id_: UUID) -> str:
    text = value.isoformat() if isinstance(value, date | datetime) else value
    return base64.urlsafe_b64encode(msgspec.json.encode(Cursor(sort, text, id_))).decode().rstrip("=")


def _refused(message: str) -> BillwireError:
    return BillwireError(
        ErrorCode.VALIDATION_ERROR, f"The cursor cannot be used: {message}.",
        [FieldError(field="cursor", message=message)], status=400,
    )


def decode(cursor: str, sort: str) -> tuple[Any, UUID]:
    """(last value, last id) of a cursor made for `sort`; a 400 naming `cursor` for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        found = msgspec.json.decode(raw, type=Cursor)
    except (binascii.Error, ValueError, msgspec.ValidationError):
        raise _refused("not a cursor this API gave out (pass next_cursor as it came)") from None
    if found.sort != sort:
        raise _refused(f"it was made for sort={found.sort}, not sort={sort}")
    column = SORT_COLUMNS[sort.lstrip("-")]
    if found.value is None:
        if column in NOT_NULL:
            raise _refused("not a cursor this API gave out (pass next_cursor as it came)")
        return None, found.id
    try:
        return _PARSE[column](found.value), found.id
    except ValueError:
        raise _refused("not a cursor this API gave out (pass next_cursor as it came)") from None


def after(sort: str, value: Any, id_: UUID, first_placeholder: int) -> tuple[str, str | None, list[Any]]:
    """WHERE conditions (placeholders from `$first_placeholder`) for rows after (value, id) in the list's
    order `<column> <direction> NULLS LAST, id <direction>`: one on the rows with a value, one on the rows
    without (None for a column that is never NULL), and their arguments. Each is a row comparison or
    none, so the index range starts at the cursor (listing.ordered reads the two ranges) instead of
    walking and dropping every row before it."""
    column = SORT_COLUMNS[sort.lstrip("-")]
    beyond = "<" if sort.startswith("-") else ">"
    v, i = f"${first_placeholder}", f"${first_placeholder + 1}"
    if column in NOT_NULL:
        return f"({column}, id) {beyond} ({v}, {i})", None, [value, id_]
    if value is None:  # within the trailing NULLs: no row with a value is left
        return "false", f"id {beyond} {v}", [id_]
    return f"({column}, id) {beyond} ({v}, {i})", "true", [value, id_]
