"""SQL of clients, products and documents. Every query carries the account: no row crosses accounts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID

import asyncpg
import msgspec

from billwire_invoices.documents import counts, encoded, keyset, listing
from billwire_invoices.uow import Statement
from billwire_shared.contracts.accounts import Profile
from billwire_shared.contracts.clients import Client, Product
from billwire_shared.contracts.documents import Document, ListDocuments

T = TypeVar("T")


def _as(type_: type[T], data: Any) -> T:
    return msgspec.convert(data, type_, strict=False)


_document = encoded.decoded


def _documents(texts: list[str]) -> list[Document]:
    return [_document(text) for text in texts]


# -- clients and products -----------------------------------------------------------------------


def insert_client(account_id: UUID, client: Client) -> Statement:
    return (
        "INSERT INTO clients (id, account_id, name, email, client_number, data, created_at, updated_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        [client.id, account_id, client.name, client.email, client.client_number, client, client.created_at],
    )


def update_client(account_id: UUID, client: Client) -> Statement:
    return (
        "UPDATE clients SET name = $3, email = $4, client_number = $5, data = $6, updated_at = $7"
        " WHERE id = $1 AND account_id = $2",
        [client.id, account_id, client.name, client.email, client.client_number, client, client.updated_at],
    )


async def get_client(conn: asyncpg.Connection, account_id: UUID, client_id: UUID, *, lock: bool = False) -> Client | None:
    suffix = " FOR UPDATE" if lock else ""
    data = await conn.fetchval(f"SELECT data FROM clients WHERE id = $1 AND account_id = $2{suffix}", client_id, account_id)
    return _as(Client, data) if data else None


def delete_row(table: str, account_id: UUID, id_: UUID) -> Statement:
    return f"DELETE FROM {table} WHERE id = $1 AND account_id = $2", [id_, account_id]


def _search(q: str | None, columns: list[str]) -> tuple[str, list[Any]]:
    if not q:
        return "", []
    pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return " AND (" + " OR ".join(f"{c} ILIKE $2" for c in columns) + ")", [pattern]


async def list_clients(conn: asyncpg.Connection, account_id: UUID, q: str | None, limit: int, offset: int) -> tuple[list[Client], int]:
    return await _page(conn, Client, "clients", account_id, _search(q, ["name", "email", "client_number"]), "lower(name)", limit, offset)


async def _page(
    conn: asyncpg.Connection, type_: type[T], table: str, account_id: UUID, search: tuple[str, list[Any]],
    order: str, limit: int, offset: int,
) -> tuple[list[T], int]:
    """One page of an account's rows, newest schema in `data`, with the total of all matches: one
    statement, so one round trip and one snapshot (an empty page still gives its one row, the total)."""
    where, args = search
    matches = f"FROM {table} WHERE account_id = $1{where}"
    page = f"SELECT data, {order} AS sort_key, id {matches} ORDER BY {order}, id LIMIT {int(limit)} OFFSET {int(offset)}"
    total = listing.total_of_page(int(limit), int(offset), f"SELECT count(*) {matches}")
    rows = await conn.fetch(
        f"WITH page AS ({page}) SELECT page.data, {total} AS total"
        " FROM (SELECT 1) AS one LEFT JOIN page ON true ORDER BY page.sort_key, page.id",
        account_id, *args,
    )
    return [_as(type_, r["data"]) for r in rows if r["data"] is not None], rows[0]["total"]


def insert_product(account_id: UUID, product: Product) -> Statement:
    return (
        "INSERT INTO products (id, account_id, title, data, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)",
        [product.id, account_id, product.title, product, product.created_at],
    )


def update_product(account_id: UUID, product: Product) -> Statement:
    return (
        "UPDATE products SET title = $3, data = $4, updated_at = $5 WHERE id = $1 AND account_id = $2",
        [product.id, account_id, product.title, product, product.updated_at],
    )


async def get_products(conn: asyncpg.Connection, account_id: UUID, ids: list[UUID], *, lock: bool = False) -> dict[UUID, Product]:
    if not ids:
        return {}
    suffix = " FOR UPDATE" if lock else ""
    rows = await conn.fetch(f"SELECT data FROM products WHERE account_id = $1 AND id = ANY($2::uuid[]){suffix}", account_id, ids)
    products = [_as(Product, r["data"]) for r in rows]
    return {p.id: p for p in products}


async def list_products(conn: asyncpg.Connection, account_id: UUID, q: str | None, limit: int, offset: int) -> tuple[list[Product], int]:
    return await _page(conn, Product, "products", account_id, _search(q, ["title", "data->>'description'"]), "lower(title)", limit, offset)


async def get_document_and_logo(
    conn: asyncpg.Connection, account_id: UUID, doc_id: UUID
) -> tuple[Document | None, asyncpg.Record | None]:
    """What a PDF is made from, in one round trip: the document and the account's logo (if any)."""
    row = await conn.fetchrow(
        "SELECT d.data AS document, l.media_type, l.data, l.sha256 FROM (SELECT 1) AS one"
        " LEFT JOIN documents d ON d.id = $1 AND d.account_id = $2 LEFT JOIN logos l ON l.account_id = $2",
        doc_id, account_id,
    )
    doc = _as(Document, row["document"]) if row["document"] else None
    return doc, (row if row["media_type"] is not None else None)


# -- documents ----------------------------------------------------------------------------------

_DOC_COLUMNS = (
    "type, status, number, client_id, issue_date, version, data, updated_at, finalized_at, sent_at, paid_at,"
    " cancelled_at, due_date, overdue_at, amount_paid, reminder_level"
)


def _doc_values(doc: Document) -> list[Any]:
    return [
        doc.type, doc.status, doc.number, doc.client_id, doc.issue_date, doc.version, doc,
        doc.updated_at, doc.finalized_at, doc.sent_at, doc.paid_at, doc.cancelled_at,
        doc.due_date, doc.overdue_at, doc.amount_paid, doc.reminder_level,
    ]


def insert_document(account_id: UUID, doc: Document) -> Statement:
    return (
        f"INSERT INTO documents (id, account_id, created_at, {_DOC_COLUMNS})"
        f" VALUES ({', '.join(f'${i}' for i in range(1, len(_DOC_COLUMNS.split(', ')) + 4))})",
        [doc.id, account_id, doc.created_at, *_doc_values(doc)],
    )


_DOC_SETS = ", ".join(f"{c} = ${i}" for i, c in enumerate(_DOC_COLUMNS.split(", "), start=3))


def save_document(account_id: UUID, doc: Document) -> Statement:
    return f"UPDATE documents SET {_DOC_SETS} WHERE id = $1 AND account_id = $2", [doc.id, account_id, *_doc_values(doc)]


async def get_document(
    conn: asyncpg.Connection, account_id: UUID, doc_id: UUID, doc_type: str | None = None, *, lock: bool = False
) -> Document | None:
    type_filter = " AND type = $3" if doc_type else ""
    suffix = " FOR UPDATE" if lock else ""
    args = [doc_id, account_id] + ([doc_type] if doc_type else [])
    data = await conn.fetchval(f"SELECT data::text FROM documents WHERE id = $1 AND account_id = $2{type_filter}{suffix}", *args)
    return _document(data) if data else None


async def einvoices_in_use(conn: asyncpg.Connection) -> bool:
    """Whether any account has made an e-invoice or makes them by default: then the validators are worth
    compiling at start, so that no one's next e-invoice waits for them."""
    return await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM documents WHERE data->>'export_type' IN ('xrechnung', 'factur-x'))"
        " OR EXISTS (SELECT 1 FROM accounts WHERE profile->>'default_export_type' IN ('xrechnung', 'factur-x'))"
    )


# States derived from dates and payments, as lists filter on them (the same rules as
# `Document.states`, billwire_shared.contracts.documents.derived_states).
_STATES = {
    "sent": "status = 'open' AND sent_at IS NOT NULL",
    "partially_paid": "status = 'open' AND amount_paid > 0",
    # as of now, from the due date: the scheduler's mark (overdue_at, the event) may come later
    "overdue": "status = 'open' AND (overdue_at IS NOT NULL OR (type = 'invoice' AND due_date < (now() AT TIME ZONE 'UTC')::date))",
    "unpaid": "status = 'open' AND amount_paid = 0",
    "refund_due": "status = 'cancelled' AND (data->>'refund_due')::numeric > 0",
}


def document_filters(query: ListDocuments) -> tuple[list[str], list[Any]]:
    """WHERE conditions (with $n placeholders) and arguments for a document list's filters."""
    conditions, args = ["account_id = $1"], [query.ctx.account_id]

    def add(sql: str, value: Any) -> None:
        args.append(value)
        conditions.append(sql.replace("?", f"${len(args)}"))

    if query.type:
        add("type = ?", query.type)
    if query.status in _STATES:
        conditions.append(_STATES[query.status])
    elif query.status:
        add("status = ?", query.status)
    if query.client_id:
        add("client_id = ?", query.client_id)
    if query.date_from:
        add("issue_date >= ?", query.date_from)
    if query.date_to:
        add("issue_date <= ?", query.date_to)
    if query.updated_since:
        add("updated_at >= ?", query.updated_since)
    if query.q:
        pattern = "%" + query.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        args.append(pattern)
        conditions.append(f"(number ILIKE ${len(args)} OR client_name ILIKE ${len(args)})")
    for flag, column in (("paid", "paid_at"), ("sent", "sent_at"), ("finalized", "finalized_at"), ("cancelled", "cancelled_at")):
        value = getattr(query, flag)
        if value is not None:
            conditions.append(f"{column} IS {'NOT ' if value else ''}NULL")
    return conditions, args


async def list_documents(
    conn: asyncpg.Connection, query: ListDocuments, items: Callable[[list[str]], list[T]] = _documents,  # type: ignore[assignment]
) -> tuple[list[T], int, str | None]:
    """One page in the query's order, the total of all matches, and the cursor of the next page (None on
    the last). With a cursor the page starts after it (keyset.py); else at the offset. `items` makes the
    page's documents of their stored JSON texts: `Document`s, or a reply's bytes (encoded.py).

    One statement (listing.py): the running counts or the count, and the page, in one round trip and
    one snapshot (a statement's own), so a page's position from the end is exact without a transaction."""
    conditions, args = document_filters(query)
    known = counts.known_total(query, _STATES, args)
    statement, statement_args = listing.statement(query, conditions, args, known)
    rows = await conn.fetch(statement, *statement_args)
    total = rows[0]["total"]
    rows = [row for row in rows if row["id"] is not None]
    rows, beyond = rows[: query.limit], rows[query.limit :]
    next_cursor = keyset.encode(query.sort, rows[-1]["sort_value"], rows[-1]["id"]) if beyond else None
    return items([r["data"] for r in rows]), total, next_cursor


async def next_in_series(conn: asyncpg.Connection, account_id: UUID, doc_type: str, period: int) -> int:
    """The next number of a series; the counter row stays locked until this transaction ends."""
    return await conn.fetchval(
        "INSERT INTO number_series (account_id, document_type, period, last_value) VALUES ($1, $2, $3, 1)"
        " ON CONFLICT (account_id, document_type, period)"
        " DO UPDATE SET last_value = number_series.last_value + 1 RETURNING last_value",
        account_id, doc_type, period,
    )


async def number_taken(conn: asyncpg.Connection, account_id: UUID, doc_type: str, number: str) -> bool:
    """Whether a document of the type in the account already has `number` (an imported one's own)."""
    return await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM documents WHERE account_id = $1 AND type = $2 AND number = $3)", account_id, doc_type, number,
    )


async def get_profile_and_client(
    conn: asyncpg.Connection, account_id: UUID, client_id: UUID | None
) -> tuple[Profile, Client | None]:
    """What a new document needs to know, in one round trip."""
    row = await conn.fetchrow(
        "SELECT (SELECT profile FROM accounts WHERE id = $1) AS profile,"
        " (SELECT data FROM clients WHERE id = $2 AND account_id = $1) AS client",
        account_id, client_id,
    )
    return _as(Profile, row["profile"] or {}), _as(Client, row["client"]) if row["client"] else None
