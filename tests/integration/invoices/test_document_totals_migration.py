"""Migration 0019 counts the documents stored before it into the running totals stats read: stats
right after it equal stats over every document, and a cancelled invoice's credit note stays out."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import msgspec

from billwire_invoices.app import MIGRATIONS
from billwire_invoices.documents import reports
from billwire_invoices.documents import sql as repo
from billwire_shared.contracts.documents import DocumentRef
from billwire_shared.ids import new_id
from billwire_shared.migrate import migrate
from tests.integration.gateway.test_stats_totals import REFERENCE_STATS
from tests.integration.invoices.migrations import migrated_up_to, migrations_from
from tests.integration.invoices.test_document_columns_migration import credit_note

MIGRATION = "0019_document_totals.sql"


async def test_documents_stored_before_the_migration_are_in_the_totals(pg_admin_url: str) -> None:
    async with migrated_up_to(pg_admin_url, MIGRATION, TimeZone="UTC") as (url, conn):
        account_id = new_id()
        await conn.execute("INSERT INTO accounts (id, name) VALUES ($1, 'Before GmbH')", account_id)
        note = credit_note(new_id())  # a credit note (CHF, 95.32) on an invoice not stored: counted
        invoice = msgspec.structs.replace(note, id=new_id(), type="invoice", number="INV-1", preceding=None,
                                          due_date=date(2026, 3, 15), balance_due=Decimal("95.32"))
        cancelled = msgspec.structs.replace(invoice, id=new_id(), number="INV-2", status="cancelled")
        cancelling = msgspec.structs.replace(note, id=new_id(), number="CN-2", preceding=DocumentRef(
            id=cancelled.id, type="invoice", number="INV-2", issue_date=date(2026, 3, 1)))
        for doc in (note, invoice, cancelled, cancelling):
            statement, args = repo.insert_document(account_id, doc)
            await conn.execute(statement, *args)

        assert await migrate(url, "invoices", MIGRATIONS) == migrations_from(MIGRATION)

        for period in ("day", "month", "year"):
            got = await conn.fetch(reports._STATS, account_id, period, None, None)
            want = await conn.fetch(REFERENCE_STATS, account_id, period, None, None)
            assert [tuple(map(str, r.values())) for r in got] == [tuple(map(str, r.values())) for r in want]
        row = await conn.fetchrow(reports._STATS, account_id, "month", None, None)
        assert (row["invoiced"], row["invoiced_count"], row["credited"], row["credit_notes_count"]) == (
            Decimal("95.32"), 1, Decimal("95.32"), 1)
        assert row["revenue"] == 0 and row["outstanding"] == Decimal("95.32")
