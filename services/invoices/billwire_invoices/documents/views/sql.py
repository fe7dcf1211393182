"""A document's page in one statement: the document, its history, sends, payments and refunds, and
(for the send form) the account's profile and e-mail templates, each aggregated as JSON text, so the
page costs one round trip to Postgres instead of one per part."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from billwire_invoices.documents import encoded
from billwire_invoices.documents.overview.sql import ACTIVITY, activity_of
from billwire_invoices.lifecycle.sql import send_info
from billwire_shared.contracts.accounts import Profile
from billwire_shared.contracts.documents import Document
from billwire_shared.contracts.email_settings import EmailTemplates
from billwire_shared.contracts.lifecycle import MoneyMovement, Payment, Refund, SendInfo
from billwire_shared.contracts.mail import SendRequest
from billwire_shared.contracts.users import Activity

# $1 the account, $2 the document, $3 how much history (ACTIVITY's own numbering), $4 whether the send
# form's profile and templates are wanted. The parts come in the orders the single reads use
# (lifecycle/sql.py: sends by request time, payments and refunds by date and creation).
_MOVEMENTS = """
(SELECT json_agg(json_build_object('id', m.id, 'document_id', m.document_id, 'amount', m.amount, 'date', m.date,
                                   'method', m.method, 'reference', m.reference, 'created_at', m.created_at)
                 ORDER BY m.date, m.created_at)
 FROM {table} m WHERE m.account_id = $1 AND m.document_id = $2)::text
"""
DOCUMENT_VIEW = f"""
SELECT d.data::text AS document,
  (SELECT json_agg(a ORDER BY a.seq DESC) FROM ({ACTIVITY}) a)::text AS history,
  (SELECT json_agg(json_build_object('request', s.request, 'state', s.state, 'reason', s.reason, 'updated_at', s.updated_at)
                   ORDER BY s.requested_at)
   FROM sends s WHERE s.account_id = $1 AND s.document_id = $2)::text AS sends,
  {_MOVEMENTS.format(table="payments")} AS payments,
  {_MOVEMENTS.format(table="refunds")} AS refunds,
  CASE WHEN $4 THEN (SELECT json_build_object('profile', coalesce(profile, '{{}}'), 'templates', coalesce(email_templates, '{{}}'))
                     FROM accounts WHERE id = $1)::text END AS mail
FROM documents d WHERE d.id = $2 AND d.account_id = $1
"""


class _Send(msgspec.Struct):
    request: SendRequest
    state: str
    reason: str | None
    updated_at: datetime


class _Mail(msgspec.Struct):
    profile: Profile
    templates: EmailTemplates


class DocumentRows(msgspec.Struct, kw_only=True):
    """What DOCUMENT_VIEW read, decoded; `profile` and `templates` only when asked for."""

    document: Document
    history: list[Activity]
    sends: list[SendInfo]
    payments: list[Payment]
    refunds: list[Refund]
    profile: Profile | None = None
    templates: EmailTemplates | None = None


async def document_view(conn: asyncpg.Connection, account_id: UUID, document_id: UUID, history_limit: int,
                        with_mail: bool) -> DocumentRows | None:
    row = await conn.fetchrow(DOCUMENT_VIEW, account_id, document_id, history_limit, with_mail)
    if row is None:
        return None
    sends = [send_info(send.request, send.state, send.reason, send.updated_at.astimezone(UTC))
             for send in _decoded(row["sends"], list[_Send])]
    mail = msgspec.json.decode(row["mail"], type=_Mail, strict=False) if row["mail"] else None
    return DocumentRows(
        document=encoded.decoded(row["document"]), history=activity_of(row["history"]), sends=sends,
        payments=_movements(row["payments"], Payment), refunds=_movements(row["refunds"], Refund),
        profile=mail.profile if mail else None, templates=mail.templates if mail else None,
    )


def _movements(text: str | None, kind: type[MoneyMovement]) -> Any:
    movements = _decoded(text, list[kind])  # type: ignore[valid-type]
    for movement in movements:
        movement.created_at = movement.created_at.astimezone(UTC)
    return movements


def _decoded(text: str | None, type_: Any) -> Any:
    """A json_agg's text as `type_` (as the single reads convert their rows, not strictly); NULL, no rows."""
    return msgspec.json.decode(text, type=type_, strict=False) if text else []
