"""What an irreversible action would do, computed by the invoices service with the rules the
action itself runs: the preview an agent shows the person before it confirms."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal
from uuid import UUID

import msgspec

from billwire_shared.contracts.accounts import ApprovalAction
from billwire_shared.contracts.common import ById, Short
from billwire_shared.contracts.documents import DocumentStatus, DocumentType
from billwire_shared.contracts.lifecycle import Payment, SendInput

PreviewedAction = Literal["finalize", "send", "cancel", "mark_unpaid"]


class PreviewAction(ById, kw_only=True):
    """invoices.rpc.document.preview_action: what `action` would do to the document, changing nothing."""

    action: PreviewedAction
    send: SendInput | None = None  # the send's recipient, cc, subject... as the confirmed call will give them
    reason: Short | None = None  # a cancellation's reason


class Problem(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One reason the confirmed action would be refused, with the error code it would answer."""

    code: str  # DOCUMENT_INCOMPLETE, EINVOICE_INVALID, EMAIL_QUOTA_EXCEEDED, VALIDATION_ERROR, INVALID_DOCUMENT_STATE...
    message: str
    field: str | None = None
    rule: str | None = None


class Attachment(msgspec.Struct, kw_only=True):
    filename: str
    media_type: str


class ActionPreview(msgspec.Struct, kw_only=True):
    """`blocking_problems` empty: the confirmed call with `expected_total` = `total` does it."""

    preview: bool = True
    changed: bool = False
    action: ApprovalAction  # what PreviewAction asks for; an approval's preview also of delete or record_payment
    would: str  # the action in one sentence
    document_id: UUID
    type: DocumentType
    status: DocumentStatus
    status_after: DocumentStatus
    number: str | None  # the number it has now
    number_after: str | None  # the number it will have (a draft: the next of its series, unless another is issued first)
    total: Decimal
    currency: str
    balance_due: Decimal | None = None
    vat_note: str | None = None  # which VAT rate the lines got and why (see Document.vat_note)
    to: list[str] = []
    cc: list[str] = []
    bcc: list[str] = []
    subject: str | None = None
    message: str | None = None
    attachments: list[Attachment] = []
    credit_note_number: str | None = None  # cancel: the number the credit note will get
    payments_removed: list[Payment] = []  # mark_unpaid
    blocking_problems: list[Problem] = []
