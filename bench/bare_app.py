"""The baselines: Litestar + asyncpg, one INSERT per invoice, no auth and no bus.

`python -m bench.bare_app` serves it with uvicorn exactly as the gateway is served (one
process, same options) on 127.0.0.1:$PORT against $DATABASE_URL, with the same pool size.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
import msgspec
import uvicorn
from litestar import Litestar, Request, Response, get, post
from litestar.params import JSONBody

from billwire_invoices import uow
from billwire_invoices.accounts.handlers import create_account
from billwire_invoices.app import MIGRATIONS
from billwire_invoices.documents import rules as domain
from billwire_invoices.documents import sql as documents_sql
from billwire_shared.contracts.clients import ClientSnapshot
from billwire_shared.contracts.common import Address, Caller
from billwire_shared.contracts.documents import Document, DocumentInput
from billwire_shared.ids import new_id
from billwire_shared.logs import configure_logging
from billwire_shared.migrate import migrate
from billwire_shared.service import open_schema_pool

POOL_SIZE = 16  # the invoices service's default db_pool_size
SCHEMA = "bare"

PLAIN_SCHEMA = """
CREATE TABLE IF NOT EXISTS bare_invoices (
    id uuid PRIMARY KEY,
    account_id uuid NOT NULL,
    type text NOT NULL,
    status text NOT NULL,
    data jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
)
"""
PLAIN_INSERT = """
INSERT INTO bare_invoices (id, account_id, type, status, data)
VALUES ($1, $2, $3, 'draft', $4)
RETURNING id, account_id, type, status, data, created_at
"""
BUYER = ClientSnapshot(name="Globex", address=Address(street="Main St 5", zip="12345", city="Springfield", country="US"))


class BareInvoice(msgspec.Struct):
    id: UUID
    account_id: UUID
    type: str
    status: str
    data: dict[str, Any]
    created_at: datetime


@contextlib.asynccontextmanager
async def lifespan(app: Litestar) -> AsyncIterator[None]:
    # The invoices schema's tables, in a schema of the baseline's own: the same SQL, but no
    # outbox publisher of the service under test ever sees (or has to publish) the baseline's outbox.
    url = os.environ["DATABASE_URL"]
    await migrate(url, SCHEMA, MIGRATIONS)
    pool = await open_schema_pool(url, SCHEMA, max_size=POOL_SIZE)
    try:
        await pool.execute(PLAIN_SCHEMA)
        app.state.pool = pool
        app.state.caller = Caller(account_id=(await create_account(pool, "Bare"))[0])
        yield
    finally:
        await pool.close()


@get("/ready")
async def ready() -> dict[str, bool]:
    return {"ready": True}


@post("/invoices")
async def create_invoice(data: JSONBody[DocumentInput], request: Request) -> Response[Document]:
    """The same computed document and the same single statement (document, audit row and
    outbox event) as the invoices service writes; no auth, no bus, no lookups."""
    caller: Caller = request.app.state.caller
    now = datetime.now(UTC)
    lines = domain.build_lines(data.lines, {}, Decimal("19"), "EUR")
    doc = domain.refresh(Document(
        id=new_id(), type=data.type, status="draft", number=None, client_id=data.client_id, client=BUYER,
        currency="EUR", issue_date=None, service_date=None, service_period=None, due_date=None, due_days=14,
        introduction=None, notes=None, discount_rate=None, vat_regulation="standard", lines=lines,
        totals=domain.compute_totals([], "EUR", None, "standard"), version=1, created_at=now, updated_at=now,
    ))
    event = uow.new_event("invoice.created", caller.account_id, doc, now)
    change = uow.Change(entity="document", entity_id=doc.id, action="create", after=doc, event=event)
    async with request.app.state.pool.acquire() as conn:
        await uow.record(conn, documents_sql.insert_document(caller.account_id, doc), caller, change)
    return Response(doc, status_code=201)


@post("/rows")
async def insert_row(data: JSONBody[DocumentInput], request: Request) -> Response[BareInvoice]:
    """For reference: one plain row of the request body, the least an endpoint can do."""
    pool: asyncpg.Pool = request.app.state.pool
    row = await pool.fetchrow(PLAIN_INSERT, new_id(), request.app.state.caller.account_id, data.type, data)
    return Response(BareInvoice(**dict(row)), status_code=201)


def create_app() -> Litestar:
    return Litestar(route_handlers=[ready, create_invoice, insert_row], lifespan=[lifespan], debug=False)


def main() -> None:
    configure_logging(os.environ.get("BILLWIRE_LOG_LEVEL", "WARNING"), False)
    uvicorn.run(
        create_app(), host="127.0.0.1", port=int(os.environ["PORT"]), log_config=None,
        access_log=False, proxy_headers=True, timeout_graceful_shutdown=10,
    )


if __name__ == "__main__":
    main()
