"""Migration 0016 keeps a document's currency, amounts, client name and cancelled invoice as columns:
a document stored before it gets them from its own JSON, and every later write keeps them in step."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

import msgspec

from billwire_invoices.app import MIGRATIONS
from billwire_invoices.documents import rules as domain
from billwire_invoices.documents import sql as repo
from billwire_shared.contracts.clients import ClientSnapshot
from billwire_shared.contracts.documents import Document, DocumentRef, LineInput
from billwire_shared.ids import new_id
from billwire_shared.migrate import migrate
from tests.integration.invoices.migrations import migrated_up_to, migrations_from

MIGRATION = "0016_document_columns.sql"
COLUMNS = "currency, net, tax, gross, balance_due, client_name, preceding_id"


def credit_note(preceding: UUID) -> Document:
    lines = domain.build_lines([LineInput(description="Refund", quantity=Decimal("1"), unit_price=Decimal("80.10"))], {}, Decimal("19"), "CHF")
    now = datetime.now(UTC)
    doc = Document(
        id=new_id(), type="credit_note", status="open", number="CN-1", client_id=None, client=ClientSnapshot(name="Initech AG"),
        currency="CHF", issue_date=date(2026, 3, 1), service_date=None, service_period=None, due_date=None, due_days=None,
        introduction=None, notes=None, discount_rate=None, vat_regulation="standard", lines=lines,
        totals=domain.compute_totals([], "CHF", None, "standard"), version=2, created_at=now, updated_at=now,
        preceding=DocumentRef(id=preceding, type="invoice", number="INV-1", issue_date=date(2026, 2, 1)),
    )
    return domain.refresh(doc)


async def test_a_document_stored_before_the_migration_gets_its_columns(pg_admin_url: str) -> None:
    async with migrated_up_to(pg_admin_url, MIGRATION) as (url, conn):
        account_id = new_id()
        await conn.execute("INSERT INTO accounts (id, name) VALUES ($1, 'Before GmbH')", account_id)
        invoice_id = new_id()
        doc = credit_note(invoice_id)
        statement, args = repo.insert_document(account_id, doc)
        await conn.execute(statement, *args)
        assert "client_name" not in {r["attname"] for r in await conn.fetch(
            "SELECT attname FROM pg_attribute WHERE attrelid = 'documents'::regclass AND attnum > 0")}

        assert await migrate(url, "invoices", MIGRATIONS) == migrations_from(MIGRATION)

        row = await conn.fetchrow(f"SELECT {COLUMNS} FROM documents WHERE id = $1", doc.id)
        assert (row["currency"], row["client_name"], row["preceding_id"]) == ("CHF", "Initech AG", invoice_id)
        assert (row["net"], row["tax"], row["gross"]) == (doc.totals.net, doc.totals.tax, doc.totals.gross)
        assert row["gross"] == Decimal("95.32") and row["balance_due"] is None

        # A later write (as the service saves a document) keeps them in step with the JSON.
        paid = msgspec.structs.replace(doc, currency="EUR", balance_due=Decimal("0.00"), client=ClientSnapshot(name="Globex"))
        statement, args = repo.save_document(account_id, paid)
        await conn.execute(statement, *args)
        row = await conn.fetchrow(f"SELECT {COLUMNS} FROM documents WHERE id = $1", doc.id)
        assert (row["currency"], row["client_name"], row["balance_due"]) == ("EUR", "Globex", Decimal("0.00"))
