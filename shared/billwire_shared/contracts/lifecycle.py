"""After issue: payments, cancellation, copies, and sending by e-mail."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from billwire_shared.contracts.common import ById, Command, Input, Money, Short, Text, line
from billwire_shared.contracts.documents import DocumentType
from billwire_shared.contracts.mail import SendState

PaymentMethod = Literal["bank_transfer", "cash", "card", "paypal", "direct_debit", "other"]


class PaymentInput(Input, kw_only=True):
    amount: Money
    date: date | None = None  # today when left out
    method: PaymentMethod = "bank_transfer"
    reference: Short | None = None


class MoneyMovement(msgspec.Struct, kw_only=True):
    """What a payment and a refund both record: an amount moved on an invoice, on which day and how."""

    id: UUID
    document_id: UUID
    amount: Decimal
    date: date
    method: str
    reference: str | None
    created_at: datetime


class Payment(MoneyMovement, kw_only=True):
    pass


class RecordPayment(ById, kw_only=True):
    payment: PaymentInput


class DeletePayment(ById, kw_only=True):
    payment_id: UUID


class MarkPaidInput(Input, kw_only=True):
    date: date | None = None
    note: Text | None = None


class MarkPaid(ById, kw_only=True):
    body: MarkPaidInput


class CancelInput(Input, kw_only=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500)] | None = None


class CancelDocument(ById, kw_only=True):
    body: CancelInput


class Cancellation(msgspec.Struct, kw_only=True):
    """The cancelled invoice and the credit note that reverses it; `refund_due` is what its
    payments (which stay) leave to be paid back, recorded with POST .../refunds."""

    cancelled_id: UUID
    credit_note_id: UUID
    credit_note_number: str | None
    refund_due: Decimal | None = None


class RefundInput(Input, kw_only=True):
    amount: Money | None = None  # the whole refund_due when left out
    date: date | None = None  # today when left out
    method: PaymentMethod = "bank_transfer"
    reference: Short | None = None


class Refund(MoneyMovement, kw_only=True):
    """Money paid back on a cancelled invoice that had payments (which stay on record)."""


class RecordRefund(ById, kw_only=True):
    refund: RefundInput


class DuplicateDocument(ById, kw_only=True):
    type: DocumentType | None = None  # the copy's type; the original's when left out


class EmailInput(Input, kw_only=True):
    """Whom a document's e-mail goes to and what it says: a send's, and a recurring invoice's for
    each document it issues (the scheduler sends it as a SendInput)."""

    recipient: Short | None = None  # the client's e-mail address when left out
    cc: Annotated[list[Short], msgspec.Meta(max_length=10)] = []
    subject: line(300) | None = None
    message: Annotated[str, msgspec.Meta(max_length=10_000)] | None = None


class SendInput(EmailInput, kw_only=True):
    send_copy: bool = False  # blind copy to the account's own address


class SendDocument(ById, kw_only=True):
    body: SendInput


class SendInfo(msgspec.Struct, kw_only=True):
    id: UUID
    document_id: UUID
    version: int
    state: SendState
    to: list[str]
    cc: list[str]
    subject: str
    reason: str | None = None
    requested_at: datetime
    updated_at: datetime
    kind: Literal["document", "reminder"] = "document"  # reminder: a payment reminder the scheduler sent
    reminder_level: int | None = None


class ReminderSent(msgspec.Struct, kw_only=True):
    """events.invoice.reminder_sent: the relay accepted a payment reminder of an invoice."""

    invoice_id: UUID
    number: str | None
    level: int
    send_id: UUID
    sent_at: datetime


class GetSend(Command, kw_only=True):
    send_id: UUID


class ListForDocument(ById, kw_only=True):
    pass
