"""The public events: what outside systems may follow on the EVENTS stream (their own durable
consumer) or receive as webhooks. One catalog, used by the webhook filters, the AsyncAPI
document and the example subscriber's documentation.

Every event is the envelope `{id, type, occurred_at, account_id, data}` (see `events.Event`);
here each type gets its own envelope class whose `data` is typed, for the schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal
from uuid import UUID

import msgspec

from billwire_shared.contracts.approvals import Approval
from billwire_shared.contracts.clients import Client
from billwire_shared.contracts.documents import Document
from billwire_shared.contracts.events import Event
from billwire_shared.contracts.lifecycle import Payment, ReminderSent
from billwire_shared.contracts.recurring import RecurringInvoice, RunFailed


class PaymentRecorded(msgspec.Struct, kw_only=True):
    """A payment was booked against an invoice (partial or full)."""

    invoice_id: UUID
    number: str | None
    payment: Payment


@dataclass(frozen=True)
class PublicEvent:
    type: str  # e.g. "invoice.paid"; the subject is "events.<type>"
    data: type
    description: str
    envelope: type = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        name = "".join(part.title() for part in self.type.replace(".", "_").split("_")) + "Event"
        envelope = msgspec.defstruct(
            name,
            [("type", Literal[self.type]), ("data", self.data)],  # type: ignore[valid-type]
            bases=(Event,),
            kw_only=True,
            module=__name__,
            namespace={"__doc__": self.description},
        )
        object.__setattr__(self, "envelope", envelope)

    @property
    def subject(self) -> str:
        return f"events.{self.type}"

    @property
    def entity(self) -> str:
        return self.type.split(".", 1)[0]


PUBLIC_EVENTS: tuple[PublicEvent, ...] = (
    PublicEvent("invoice.created", Document, "A draft invoice was created (from scratch, as a copy or from an estimate)."),
    PublicEvent("invoice.updated", Document, "A draft changed, or an issued invoice's payment state changed without being settled."),
    PublicEvent("invoice.finalized", Document, "A draft was issued: it has its number and is immutable from now on."),
    PublicEvent("invoice.deleted", Document, "A draft invoice was deleted; `data` is the invoice as it was."),
    PublicEvent("invoice.sent", Document, "The invoice e-mail was accepted by the mail relay for its recipients."),
    PublicEvent("invoice.payment_recorded", PaymentRecorded, "A payment was booked against an invoice."),
    PublicEvent("invoice.paid", Document, "The invoice's balance reached zero; emitted once per settlement."),
    PublicEvent("invoice.overdue", Document, "An open invoice passed its due date unpaid; emitted once per invoice."),
    PublicEvent("invoice.reminder_sent", ReminderSent, "A payment reminder of an invoice past due was accepted by the mail relay; once per invoice and level."),
    PublicEvent("invoice.cancelled", Document, "An issued invoice was cancelled; its credit note, issued in the same transaction, is announced just before as credit_note.finalized. One with payments keeps them and shows `refund_due`."),
    PublicEvent("invoice.refunded", Document, "A refund was recorded on a cancelled invoice that had payments; `refund_due` is what is still to be paid back, `amount_refunded` the sum so far. invoice.paid is never re-emitted for it."),
    PublicEvent("credit_note.created", Document, "A credit note draft was created (e.g. by cancelling an invoice)."),
    PublicEvent("credit_note.finalized", Document, "A credit note was issued with its own number."),
    PublicEvent("client.created", Client, "A client was created."),
    PublicEvent("client.updated", Client, "A client changed; documents keep the buyer as it was when issued."),
    PublicEvent("client.deleted", Client, "A client was deleted; `data` is the client as it was."),
    PublicEvent("recurring_invoice.created", RecurringInvoice, "A recurring invoice was created; its invoices come as invoice.created (with `recurring_id` and `period`)."),
    PublicEvent("recurring_invoice.updated", RecurringInvoice, "A recurring invoice changed; the change applies from its next run."),
    PublicEvent("recurring_invoice.paused", RecurringInvoice, "A recurring invoice was paused: no runs until it is resumed."),
    PublicEvent("recurring_invoice.resumed", RecurringInvoice, "A paused recurring invoice runs again, from the first period from today on."),
    PublicEvent("recurring_invoice.ended", RecurringInvoice, "A recurring invoice ended (on request, or after its last period): no more runs."),
    PublicEvent("recurring_invoice.deleted", RecurringInvoice, "A recurring invoice was deleted; the invoices it generated stay."),
    PublicEvent("approval.requested", Approval, "An API key whose policy holds an action back asked for it: it waits as a pending approval with its preview."),
    PublicEvent("approval.approved", Approval, "A person (or a key without that policy) approved: the action ran once, as the key that asked; `result` is its answer."),
    PublicEvent("approval.rejected", Approval, "The action was rejected and never runs; `reason` says why when one was given."),
    PublicEvent("approval.expired", Approval, "Nobody decided before `expires_at`: the action never runs."),
    PublicEvent("approval.failed", Approval, "It was approved, but the document had changed or the action was refused: nothing was done, `reason` says why."),
    PublicEvent("recurring_invoice.run_failed", RunFailed, "A period's invoice could not be issued or sent; its draft stays and the next scheduler tick tries again (announced once per reason)."),
)

BY_TYPE: dict[str, PublicEvent] = {event.type: event for event in PUBLIC_EVENTS}
ENTITIES: frozenset[str] = frozenset(event.entity for event in PUBLIC_EVENTS)


def is_public(event_type: str) -> bool:
    return event_type in BY_TYPE


def decode(raw: bytes) -> Any:
    """A public event from its JSON, typed by its own `type` (an Event with untyped data otherwise)."""
    event = msgspec.json.decode(raw, type=Event)
    known = BY_TYPE.get(event.type)
    return msgspec.json.decode(raw, type=known.envelope) if known else event
