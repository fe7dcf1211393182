"""SQL of the invoices schema. Every query carries the account: no row crosses accounts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID

import asyncpg
import msgspec

from billwire_shared.contracts.accounts import ApiKey, Profile
from billwire_shared.contracts.clients import Client, Product
from billwire_shared.contracts.common import Caller
from billwire_shared.contracts.documents import Document, ListDocuments
from billwire_shared.contracts.events import Event
from billwire_shared.ids import new_id

T = TypeVar("T")
Statement = tuple[str, list[Any]]  # SQL with $n placeholders and its arguments


def _as(type_: type[T], data: Any) -> T:
    return msgspec.convert(data, type_, strict=False)


# -- accounts, profile and keys ---------------------------------------------------------------


async def insert_account(conn: asyncpg.Connection, account_id: UUID, name: str, profile: Profile) -> None:
    await conn.execute(
        "INSERT INTO accounts (id, name, profile) VALUES ($1, $2, $3)", account_id, name, msgspec.to_builtins(profile)
    )


async def get_profile(conn: asyncpg.Connection, account_id: UUID) -> Profile:
    data = await conn.fetchval("SELECT profile FROM accounts WHERE id = $1", account_id)
    return _as(Profile, data or {})


def save_profile(account_id: UUID, profile: Profile) -> Statement:
    return "UPDATE accounts SET profile = $2, updated_at = now() WHERE id = $1", [account_id, msgspec.to_builtins(profile)]


async def save_logo(conn: asyncpg.Connection, account_id: UUID, media_type: str, data: bytes, sha256: str) -> datetime:
    return await conn.fetchval(
        "INSERT INTO logos (account_id, media_type, data, sha256) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (account_id) DO UPDATE SET media_type = $2, data = $3, sha256 = $4, updated_at = now()"
        " RETURNING updated_at",
        account_id, media_type, data, sha256,
    )


async def get_logo(conn: asyncpg.Connection, account_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT media_type, data, sha256, updated_at FROM logos WHERE account_id = $1", account_id)


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


async def delete_logo(conn: asyncpg.Connection, account_id: UUID) -> bool:
    return (await conn.execute("DELETE FROM logos WHERE account_id = $1", account_id)).endswith(" 1")


async def insert_api_key(conn: asyncpg.Connection, account_id: UUID, key: ApiKey, key_hash: str) -> None:
    await conn.execute(
        "INSERT INTO api_keys (id, account_id, name, prefix, key_hash, scopes, created_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)",
        key.id, account_id, key.name, key.prefix, key_hash, key.scopes, key.created_at,
    )


_KEY_COLUMNS = "id, name, prefix, scopes, created_at, revoked_at"


async def list_api_keys(conn: asyncpg.Connection, account_id: UUID) -> list[ApiKey]:
    rows = await conn.fetch(
        f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE account_id = $1 ORDER BY created_at", account_id
    )
    return [ApiKey(**dict(r)) for r in rows]


async def revoke_api_key(conn: asyncpg.Connection, account_id: UUID, key_id: UUID) -> ApiKey | None:
    row = await conn.fetchrow(
        f"UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 AND account_id = $2"
        f" RETURNING {_KEY_COLUMNS}",
        key_id, account_id,
    )
    return ApiKey(**dict(row)) if row else None


async def find_active_key(conn: asyncpg.Connection, key_hash: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, account_id, scopes FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL", key_hash
    )


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
    """One page of an account's rows, newest schema in `data`, with the total of all matches."""
    where, args = search
    rows = await conn.fetch(
        f"SELECT data, count(*) OVER () AS total FROM {table} WHERE account_id = $1{where}"
        f" ORDER BY {order}, id LIMIT {int(limit)} OFFSET {int(offset)}",
        account_id, *args,
    )
    total = rows[0]["total"] if rows else await _count(conn, table, account_id, where, args)
    return [_as(type_, r["data"]) for r in rows], total


async def _count(conn: asyncpg.Connection, table: str, account_id: UUID, where: str, args: list[Any]) -> int:
    return await conn.fetchval(f"SELECT count(*) FROM {table} WHERE account_id = $1{where}", account_id, *args)


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
    data = await conn.fetchval(f"SELECT data FROM documents WHERE id = $1 AND account_id = $2{type_filter}{suffix}", *args)
    return _as(Document, data) if data else None


_SORTS = {"date": "issue_date", "created_at": "created_at", "number": "number"}
# States derived from dates and payments, as lists filter on them (the same rules as
# `Document.states`, billwire_shared.contracts.documents.derived_states).
_STATES = {
    "sent": "status = 'open' AND sent_at IS NOT NULL",
    "partially_paid": "status = 'open' AND amount_paid > 0",
    "overdue": "status = 'open' AND overdue_at IS NOT NULL",
    "unpaid": "status = 'open' AND amount_paid = 0",
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
        conditions.append(f"(number ILIKE ${len(args)} OR data->'client'->>'name' ILIKE ${len(args)})")
    for flag, column in (("paid", "paid_at"), ("sent", "sent_at"), ("finalized", "finalized_at"), ("cancelled", "cancelled_at")):
        value = getattr(query, flag)
        if value is not None:
            conditions.append(f"{column} IS {'NOT ' if value else ''}NULL")
    return conditions, args


async def list_documents(conn: asyncpg.Connection, query: ListDocuments) -> tuple[list[Document], int]:
    conditions, args = document_filters(query)
    column = _SORTS[query.sort.lstrip("-")]
    direction = "DESC" if query.sort.startswith("-") else "ASC"
    rows = await conn.fetch(
        f"SELECT data, count(*) OVER () AS total FROM documents WHERE {' AND '.join(conditions)}"
        f" ORDER BY {column} {direction} NULLS LAST, id {direction} LIMIT {int(query.limit)} OFFSET {int(query.offset)}",
        *args,
    )
    if rows:
        total = rows[0]["total"]
    else:
        total = await conn.fetchval(f"SELECT count(*) FROM documents WHERE {' AND '.join(conditions)}", *args)
    return [_as(Document, r["data"]) for r in rows], total


async def next_in_series(conn: asyncpg.Connection, account_id: UUID, doc_type: str, period: int) -> int:
    """The next number of a series; the counter row stays locked until this transaction ends."""
    return await conn.fetchval(
        "INSERT INTO number_series (account_id, document_type, period, last_value) VALUES ($1, $2, $3, 1)"
        " ON CONFLICT (account_id, document_type, period)"
        " DO UPDATE SET last_value = number_series.last_value + 1 RETURNING last_value",
        account_id, doc_type, period,
    )


# -- idempotency, audit and outbox --------------------------------------------------------------


async def claim_idempotency_key(conn: asyncpg.Connection, ctx: Caller) -> asyncpg.Record | None:
    """Claim the key for this request; None when claimed, else the earlier request's row.

    A concurrent request with the same key blocks on the insert until the first commits.
    """
    claimed = await conn.fetchval(
        "INSERT INTO idempotency_keys (account_id, key, fingerprint) VALUES ($1, $2, $3)"
        " ON CONFLICT (account_id, key) DO NOTHING RETURNING true",
        ctx.account_id, ctx.idempotency_key, ctx.fingerprint or "",
    )
    if claimed:
        return None
    return await conn.fetchrow(
        "SELECT fingerprint, reply FROM idempotency_keys WHERE account_id = $1 AND key = $2",
        ctx.account_id, ctx.idempotency_key,
    )


async def store_idempotent_reply(conn: asyncpg.Connection, ctx: Caller, reply: bytes) -> None:
    await conn.execute(
        "UPDATE idempotency_keys SET reply = $3 WHERE account_id = $1 AND key = $2",
        ctx.account_id, ctx.idempotency_key, reply,
    )


async def expire_idempotency_keys(conn: asyncpg.Connection, keep: timedelta = timedelta(hours=48)) -> int:
    """Keys are honoured for at least 24 hours; they are kept 48."""
    status = await conn.execute("DELETE FROM idempotency_keys WHERE created_at < now() - $1::interval", keep)
    return int(status.split()[-1])


class Change(msgspec.Struct, kw_only=True):
    """What the audit log and the outbox say about one change."""

    entity: str
    entity_id: UUID
    action: str
    before: Any = None
    after: Any = None
    event: Event | None = None


_AUDIT_AND_OUTBOX = (
    "audit AS (INSERT INTO audit_log (account_id, entity, entity_id, key_id, request_id, action, before, after, user_id)"
    " VALUES ({0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}, {11}))"
    " INSERT INTO outbox (event_id, subject, payload) SELECT {8}, {9}, {10} WHERE {8}::uuid IS NOT NULL"
)


def _json(value: Any) -> msgspec.Raw | None:
    return None if value is None else msgspec.Raw(msgspec.json.encode(value))


async def apply(conn: asyncpg.Connection, statement: Statement, ctx: Caller, change: Change) -> None:
    """The write, its audit row and its event as one statement: one round trip, all or nothing.

    The changed entity is encoded to JSON once and that text used for its row, its audit
    entry and its event (jsonb parameters accept msgspec.Raw through the pool's codec).
    """
    sql, args = statement
    after = _json(change.after)
    if after is not None:
        args = [after if arg is change.after else arg for arg in args]
    placeholders = [f"${len(args) + i}" for i in range(1, 13)]
    event = change.event
    if event is not None and event.data is change.after and after is not None:
        event = msgspec.structs.replace(event, data=after)
    await conn.execute(
        f"WITH main AS ({sql}), " + _AUDIT_AND_OUTBOX.format(*placeholders),
        *args,
        ctx.account_id, change.entity, change.entity_id, ctx.key_id, ctx.request_id, change.action,
        _json(change.before), after,
        event.id if event else None, f"events.{event.type}" if event else None,
        msgspec.json.encode(event) if event else None, ctx.user_id,
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


async def audit_entries(conn: asyncpg.Connection, account_id: UUID, entity_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT action, key_id, before, after, at FROM audit_log WHERE account_id = $1 AND entity_id = $2 ORDER BY id",
        account_id, entity_id,
    )


def new_event(event_type: str, account_id: UUID, data: Any, now: datetime) -> Event:
    return Event(id=new_id(), type=event_type, occurred_at=now, account_id=account_id, data=data)
