"""The monthly document quota: how many documents an account created this billing period (the
calendar month, UTC), and the refusal of one more once the quota is used up.

Every document creation (REST, MCP and the web app all send the same create command) passes
here; an advisory lock per account makes two concurrent creations count one after the other,
so the quota is never overshot.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import TypeVar
from uuid import UUID

import asyncpg

from billwire_shared.errors import BillwireError, ErrorCode, FieldError

T = TypeVar("T")

_THIS_MONTH = """
SELECT date_trunc('month', now() AT TIME ZONE 'UTC')::date AS period_start,
       (date_trunc('month', now() AT TIME ZONE 'UTC') + interval '1 month')::date AS next_period,
       (SELECT count(*) FROM documents
         WHERE account_id = $1 AND created_at >= date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC') AS used
"""


async def this_month(conn: asyncpg.Connection, account_id: UUID) -> tuple[date, date, int]:
    """(first day of this billing period, first day of the next, documents created in it)."""
    row = await conn.fetchrow(_THIS_MONTH, account_id)
    return row["period_start"], row["next_period"], row["used"]


def exceeded(quota: int, next_period: date) -> BillwireError:
    return BillwireError(
        ErrorCode.DOCUMENT_QUOTA_EXCEEDED,
        f"The monthly document quota of {quota} is used up; it resets on {next_period.isoformat()}. Nothing was created.",
        [FieldError(field="documents_quota_per_month", message=f"{quota} documents per month")],
    )


def within_quota(quota: int, account_id: UUID, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> Callable[[asyncpg.Connection], Awaitable[T]]:
    """`work` (run in a transaction) preceded by the quota check; `quota` 0 is unlimited."""

    async def guarded(conn: asyncpg.Connection) -> T:
        if quota:
            await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('document-quota:' || $1::uuid::text, 0))", account_id)
            _, next_period, used = await this_month(conn, account_id)
            if used >= quota:
                raise exceeded(quota, next_period)
        return await work(conn)

    return guarded


def resets_at(next_period: date) -> datetime:
    """Midnight UTC at the start of the next billing period."""
    return datetime(next_period.year, next_period.month, next_period.day, tzinfo=UTC)
