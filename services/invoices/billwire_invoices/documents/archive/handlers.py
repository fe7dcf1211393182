"""Bus edge of the archive wing: one page per call, scoped by the caller's account.

No `from __future__ import annotations`: see documents/handlers.py.
"""

import msgspec

from billwire_invoices import answers
from billwire_invoices.documents.archive import sql as archive_sql
from billwire_invoices.uow import Handlers
from billwire_shared import subjects
from billwire_shared.contracts.archive import (
    ArchiveAudit,
    ArchivedAudit,
    ArchivedAuditEntry,
    ArchivedPayment,
    ArchivedPayments,
    ArchivePayments,
)


class ArchiveHandlers(Handlers):
    """The two pages the archive needs besides the documents' export pages."""

    @answers(subjects.ARCHIVE_PAYMENTS)
    async def payments(self, cmd: ArchivePayments) -> ArchivedPayments:
        async with self.uow.connection() as conn:
            rows = await archive_sql.payments(
                conn, cmd.ctx.account_id, cmd.year, cmd.after_date, cmd.after_id, cmd.limit,
            )
        items = [msgspec.convert(dict(row), ArchivedPayment) for row in rows]
        return ArchivedPayments(items=items, last=len(items) < cmd.limit)

    @answers(subjects.ARCHIVE_AUDIT)
    async def audit(self, cmd: ArchiveAudit) -> ArchivedAudit:
        async with self.uow.connection() as conn:
            rows = await archive_sql.audit(conn, cmd.ctx.account_id, cmd.year, cmd.after_id, cmd.limit)
        items = [
            ArchivedAuditEntry(
                **{key: row[key] for key in ("id", "at", "entity", "entity_id", "action", "key_id", "user_id", "request_id")},
                before=msgspec.Raw((row["before"] or "null").encode()),
                after=msgspec.Raw((row["after"] or "null").encode()),
            )
            for row in rows
        ]
        return ArchivedAudit(items=items, last=len(items) < cmd.limit)
