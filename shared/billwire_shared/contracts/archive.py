"""The tax-audit archive's reads (GoBD): a year's payments and audit log, page by page.

The gateway (and `billwire archive`) assemble the ZIP from these pages plus the documents'
export pages and stored artifacts, so no part of the archive is ever held whole in memory."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated
from uuid import UUID

import msgspec

from billwire_shared.contracts.common import Command

Year = Annotated[int, msgspec.Meta(ge=1900, le=9999)]
PageSize = Annotated[int, msgspec.Meta(ge=1, le=1000)]


class ArchivePayments(Command, kw_only=True):
    """Payments dated in `year`, in (date, id) order after the cursor."""

    year: Year
    after_date: date | None = None
    after_id: UUID | None = None
    limit: PageSize = 500


class ArchivedPayment(msgspec.Struct, kw_only=True):
    id: UUID
    document_id: UUID
    document_type: str
    document_number: str | None
    currency: str
    amount: Decimal
    date: date
    method: str
    reference: str | None
    created_at: datetime


class ArchivedPayments(msgspec.Struct, kw_only=True):
    items: list[ArchivedPayment]
    last: bool


class ArchiveAudit(Command, kw_only=True):
    """Audit log entries written in `year` (UTC), oldest first, after entry `after_id`."""

    year: Year
    after_id: int = 0
    limit: PageSize = 500


class ArchivedAuditEntry(msgspec.Struct, kw_only=True):
    id: int
    at: datetime
    entity: str
    entity_id: UUID
    action: str
    key_id: UUID | None
    user_id: UUID | None
    request_id: str | None
    before: msgspec.Raw  # the entity as stored before and after the change, verbatim JSON (null: none)
    after: msgspec.Raw


class ArchivedAudit(msgspec.Struct, kw_only=True):
    items: list[ArchivedAuditEntry]
    last: bool
