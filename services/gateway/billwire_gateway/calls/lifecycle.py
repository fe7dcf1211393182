"""A document's changes and life after it is written: change, delete (a draft), finalize,
payments, cancel, refunds, copies, conversion and sending."""

from __future__ import annotations

from billwire_gateway.calls.call import Call
from billwire_shared import subjects
from billwire_shared.contracts.common import Deleted
from billwire_shared.contracts.documents import Document, DocumentById, UpdateDocument
from billwire_shared.contracts.lifecycle import (
    CancelDocument,
    CancelInput,
    Cancellation,
    DeletePayment,
    DuplicateDocument,
    GetSend,
    ListForDocument,
    MarkPaid,
    MarkPaidInput,
    Payment,
    RecordPayment,
    RecordRefund,
    Refund,
    RefundInput,
    SendDocument,
    SendInfo,
    SendInput,
)

UPDATE_DOCUMENT = Call(
    subjects.DOCUMENT_UPDATE, lambda caller, document_id, patch, type=None: UpdateDocument(ctx=caller, id=document_id, type=type, patch=patch),
    Document,
)
DELETE_DOCUMENT = Call(subjects.DOCUMENT_DELETE, lambda caller, document_id, type=None: DocumentById(ctx=caller, id=document_id, type=type), Deleted)
FINALIZE = Call(subjects.DOCUMENT_FINALIZE, lambda caller, document_id, type=None: DocumentById(ctx=caller, id=document_id, type=type), Document)
RECORD_PAYMENT = Call(
    subjects.PAYMENT_RECORD, lambda caller, invoice_id, payment: RecordPayment(ctx=caller, id=invoice_id, payment=payment), Payment,
)
LIST_PAYMENTS = Call(subjects.PAYMENT_LIST, lambda caller, invoice_id: ListForDocument(ctx=caller, id=invoice_id), list[Payment])
DELETE_PAYMENT = Call(
    subjects.PAYMENT_DELETE, lambda caller, invoice_id, payment_id: DeletePayment(ctx=caller, id=invoice_id, payment_id=payment_id), Document,
)
MARK_PAID = Call(
    subjects.DOCUMENT_MARK_PAID, lambda caller, invoice_id, body=None: MarkPaid(ctx=caller, id=invoice_id, body=body or MarkPaidInput()), Document,
)
MARK_UNPAID = Call(subjects.DOCUMENT_MARK_UNPAID, lambda caller, invoice_id: ListForDocument(ctx=caller, id=invoice_id), Document)
CANCEL = Call(
    subjects.DOCUMENT_CANCEL, lambda caller, invoice_id, body=None: CancelDocument(ctx=caller, id=invoice_id, body=body or CancelInput()),
    Cancellation,
)
RECORD_REFUND = Call(
    subjects.REFUND_RECORD, lambda caller, invoice_id, refund=None: RecordRefund(ctx=caller, id=invoice_id, refund=refund or RefundInput()), Refund,
)
LIST_REFUNDS = Call(subjects.REFUND_LIST, lambda caller, invoice_id: ListForDocument(ctx=caller, id=invoice_id), list[Refund])
DUPLICATE = Call(subjects.DOCUMENT_DUPLICATE, lambda caller, document_id, type=None: DuplicateDocument(ctx=caller, id=document_id, type=type), Document)
CONVERT_ESTIMATE = Call(subjects.ESTIMATE_CONVERT, lambda caller, estimate_id: ListForDocument(ctx=caller, id=estimate_id), Document)
SEND = Call(
    subjects.DOCUMENT_SEND, lambda caller, document_id, body=None: SendDocument(ctx=caller, id=document_id, body=body or SendInput()), SendInfo,
)
LIST_SENDS = Call(subjects.SEND_LIST, lambda caller, document_id: ListForDocument(ctx=caller, id=document_id), list[SendInfo])
GET_SEND = Call(subjects.SEND_GET, lambda caller, send_id: GetSend(ctx=caller, send_id=send_id), SendInfo)
