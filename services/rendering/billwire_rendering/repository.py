"""SQL of the rendering schema: artifacts (PDFs and e-invoice XML) and the outbox rows that announce them."""

from __future__ import annotations

from uuid import UUID

import asyncpg
import msgspec

from billwire_shared.contracts.events import Event
from billwire_shared.contracts.rendering import Artifact
from billwire_shared.telemetry import trace_headers

COLUMNS = "id, document_id, version, preview, filename, media_type, size, sha256, template, language, created_at"


class Stored(msgspec.Struct, kw_only=True):
    """An artifact row without its bytes, and the document type it belongs to."""

    artifact: Artifact
    document_type: str


def _stored(row: asyncpg.Record) -> Stored:
    artifact = Artifact(**{name: row[name] for name in Artifact.__struct_fields__})
    return Stored(artifact=artifact, document_type=row["document_type"])


async def issued_artifact(conn: asyncpg.Connection, account_id: UUID, document_id: UUID) -> Stored | None:
    """The one PDF of an issued document, if it was rendered already."""
    row = await conn.fetchrow(
        f"SELECT {COLUMNS}, document_type FROM artifacts"
        " WHERE account_id = $1 AND document_id = $2 AND kind = 'pdf' AND NOT preview",
        account_id, document_id,
    )
    return _stored(row) if row else None


async def preview_artifact(conn: asyncpg.Connection, account_id: UUID, document_id: UUID, version: int) -> Stored | None:
    row = await conn.fetchrow(
        f"SELECT {COLUMNS}, document_type FROM artifacts"
        " WHERE account_id = $1 AND document_id = $2 AND kind = 'pdf' AND preview AND version = $3",
        account_id, document_id, version,
    )
    return _stored(row) if row else None


async def insert_issued(conn: asyncpg.Connection, account_id: UUID, document_type: str, artifact: Artifact, data: bytes) -> bool:
    """Store an issued document's PDF unless one is stored already (the first one stays)."""
    status = await conn.execute(
        "INSERT INTO artifacts (id, account_id, document_id, document_type, version, preview, filename, media_type,"
        " size, sha256, template, language, data, created_at)"
        " VALUES ($1, $2, $3, $4, $5, false, $6, $7, $8, $9, $10, $11, $12, $13)"
        " ON CONFLICT (account_id, document_id, kind) WHERE NOT preview DO NOTHING",
        artifact.id, account_id, artifact.document_id, document_type, artifact.version, artifact.filename,
        artifact.media_type, artifact.size, artifact.sha256, artifact.template, artifact.language, data,
        artifact.created_at,
    )
    return status.endswith(" 1")


async def upsert_preview(conn: asyncpg.Connection, account_id: UUID, document_type: str, artifact: Artifact, data: bytes) -> Stored:
    """Store (or replace) a draft version's preview; returns what is stored now."""
    row = await conn.fetchrow(
        "INSERT INTO artifacts (id, account_id, document_id, document_type, version, preview, filename, media_type,"
        " size, sha256, template, language, data, created_at)"
        " VALUES ($1, $2, $3, $4, $5, true, $6, $7, $8, $9, $10, $11, $12, $13)"
        " ON CONFLICT (account_id, document_id, kind, version) WHERE preview DO UPDATE SET"
        " id = excluded.id, filename = excluded.filename, size = excluded.size, sha256 = excluded.sha256,"
        " template = excluded.template, language = excluded.language, data = excluded.data,"
        f" created_at = excluded.created_at RETURNING {COLUMNS}, document_type",
        artifact.id, account_id, artifact.document_id, document_type, artifact.version, artifact.filename,
        artifact.media_type, artifact.size, artifact.sha256, artifact.template, artifact.language, data,
        artifact.created_at,
    )
    return _stored(row)


async def drop_old_previews(conn: asyncpg.Connection, account_id: UUID, document_id: UUID, version: int) -> None:
    """A draft's earlier previews are of no use once a newer version exists."""
    await conn.execute(
        "DELETE FROM artifacts WHERE account_id = $1 AND document_id = $2 AND preview AND version < $3",
        account_id, document_id, version,
    )


async def xml_artifact(conn: asyncpg.Connection, account_id: UUID, document_id: UUID, version: int | None) -> Stored | None:
    """The e-invoice XML of an issued document (version None), or of a draft's version."""
    where = "AND NOT preview" if version is None else "AND preview AND version = $3"
    args = [account_id, document_id] + ([] if version is None else [version])
    row = await conn.fetchrow(
        f"SELECT {COLUMNS}, document_type FROM artifacts WHERE account_id = $1 AND document_id = $2 AND kind = 'xml' {where}",
        *args,
    )
    return _stored(row) if row else None


_INSERT_XML = (
    "INSERT INTO artifacts (id, account_id, document_id, document_type, version, preview, kind, filename, media_type,"
    " size, sha256, template, language, data, created_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, 'xml', $7, $8, $9, $10, $11, $12, $13, $14)"
)


async def store_xml(conn: asyncpg.Connection, account_id: UUID, document_type: str, artifact: Artifact, data: bytes) -> Stored:
    """Store a document's XML like its PDF: an issued one's once (the first stays), a draft's per
    version, replacing that version's and dropping older ones. Returns what is stored now."""
    values = [
        artifact.id, account_id, artifact.document_id, document_type, artifact.version, artifact.preview, artifact.filename,
        artifact.media_type, artifact.size, artifact.sha256, artifact.template, artifact.language, data, artifact.created_at,
    ]
    if artifact.preview:
        await conn.execute(
            _INSERT_XML + " ON CONFLICT (account_id, document_id, kind, version) WHERE preview DO UPDATE SET"
            " id = excluded.id, size = excluded.size, sha256 = excluded.sha256, data = excluded.data,"
            " created_at = excluded.created_at", *values,
        )
        await conn.execute(
            "DELETE FROM artifacts WHERE account_id = $1 AND document_id = $2 AND kind = 'xml' AND preview AND version < $3",
            account_id, artifact.document_id, artifact.version,
        )
    else:
        await conn.execute(_INSERT_XML + " ON CONFLICT (account_id, document_id, kind) WHERE NOT preview DO NOTHING", *values)
    found = await xml_artifact(conn, account_id, artifact.document_id, artifact.version if artifact.preview else None)
    assert found is not None
    return found


async def chunk(conn: asyncpg.Connection, account_id: UUID, artifact_id: UUID, offset: int, size: int) -> tuple[Stored, bytes] | None:
    """`size` bytes of an artifact from `offset` (Postgres slices the bytea; 1-based)."""
    row = await conn.fetchrow(
        f"SELECT {COLUMNS}, document_type, substring(data FROM $3::int + 1 FOR $4::int) AS part FROM artifacts"
        " WHERE account_id = $1 AND id = $2",
        account_id, artifact_id, offset, size,
    )
    return (_stored(row), bytes(row["part"])) if row else None


async def add_event_once(conn: asyncpg.Connection, event: Event, subject: str) -> bool:
    """Queue an event unless an event with its id is queued already (redeliveries)."""
    status = await conn.execute(
        "INSERT INTO outbox (event_id, subject, payload, trace_headers) VALUES ($1, $2, $3, $4) ON CONFLICT (event_id) DO NOTHING",
        event.id, subject, msgspec.json.encode(event), trace_headers(),
    )
    return status.endswith(" 1")
