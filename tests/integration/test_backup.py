"""`billwire backup` and `billwire restore`: one file brings a database back to the same state,
every document, payment and stored PDF byte for byte; a database with data is not overwritten
by accident."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import asyncpg

from billwire_rendering.app import RenderingService
from tests.integration.test_cli import billwire
from tests.servers import fresh_database
from tests.stack import BUYER, Stack, ready_account

LINES = [{"description": "Work", "quantity": "2", "unit_price": "100"}]

# Everything of one account a restore must bring back, in a stable order.
SNAPSHOT = {
    "documents": "SELECT id, type, status, number, data::text, issue_date, finalized_at, paid_at FROM invoices.documents"
                 " WHERE account_id = $1 ORDER BY id",
    "payments": "SELECT id, document_id, amount, date, method, reference FROM invoices.payments WHERE account_id = $1 ORDER BY id",
    "audit": "SELECT id, entity, entity_id, action, before::text, after::text, at FROM invoices.audit_log"
             " WHERE account_id = $1 ORDER BY id",
    "series": "SELECT * FROM invoices.number_series WHERE account_id = $1 ORDER BY 2",
    "pdfs": "SELECT document_id, kind, preview, sha256, data FROM rendering.artifacts WHERE account_id = $1"
            " ORDER BY document_id, kind, version",
}


async def snapshot(database_url: str, account_id: str) -> dict[str, list[tuple]]:
    conn = await asyncpg.connect(database_url)
    try:
        return {name: [tuple(row) for row in await conn.fetch(sql, account_id)] for name, sql in SNAPSHOT.items()}
    finally:
        await conn.close()


async def failing_billwire(stack: Stack, env: dict[str, str], *args: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "billwire_cli.main", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    _, err = await proc.communicate()
    assert proc.returncode != 0
    return err.decode()


async def test_backup_then_restore_into_a_wiped_database_gives_back_every_document_payment_and_pdf(
    stack: Stack, rendering: RenderingService, pg_admin_url: str, tmp_path: Path,
) -> None:
    api = await ready_account(stack, "Backup GmbH")
    invoice = (await api.post("/invoices", json={"client": BUYER, "lines": LINES})).json()
    assert (await api.post(f"/invoices/{invoice['id']}/finalize")).status_code == 200
    assert (await api.post(f"/invoices/{invoice['id']}/payments", json={"amount": "38.00", "date": "2026-11-02"})).status_code == 201
    pdf = await api.get(f"/invoices/{invoice['id']}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert stack.invoices.pool is not None
    account_id = await stack.invoices.pool.fetchval("SELECT account_id FROM invoices.documents WHERE id = $1", invoice["id"])
    before = await snapshot(stack.database_url, account_id)
    assert before["pdfs"] and before["pdfs"][0][4] == pdf.content and before["payments"]

    dump = tmp_path / "billwire.dump"
    out = await billwire(stack, "backup", "--output", str(dump))
    assert f"Backup: {dump}" in out and dump.stat().st_size > len(pdf.content)

    async with fresh_database(pg_admin_url) as other_url:
        target = stack.env() | {"DATABASE_URL": other_url}
        migrated = await asyncio.create_subprocess_exec(sys.executable, "-m", "billwire_cli.main", "migrate", env=target)
        assert await migrated.wait() == 0  # a machine already set up: it holds (empty) Billwire schemas
        refused = await failing_billwire(stack, target, "restore", str(dump))
        assert "already holds Billwire data" in refused and "--force" in refused

        wiped = await asyncpg.connect(other_url)
        try:
            await wiped.execute("INSERT INTO invoices.accounts (id, name) VALUES (gen_random_uuid(), 'stale')")
        finally:
            await wiped.close()
        restore = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "billwire_cli.main", "restore", "--force", str(dump), env=target,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        out, err = await restore.communicate()
        assert restore.returncode == 0, err.decode()
        assert await snapshot(other_url, account_id) == before
        restored = await asyncpg.connect(other_url)
        try:
            assert not await restored.fetchval("SELECT count(*) FROM invoices.accounts WHERE name = 'stale'")
        finally:
            await restored.close()
