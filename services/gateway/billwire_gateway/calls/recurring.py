"""Recurring invoices: templates with a schedule. A command's optional fields (a preview's
`count`, a list's filters and page) are given by name and default to the contract's."""

from __future__ import annotations

from uuid import UUID

from billwire_gateway.calls.call import Call
from billwire_shared import subjects
from billwire_shared.contracts.common import ById, Caller, Deleted, Page
from billwire_shared.contracts.recurring import (
    CreateRecurring,
    ListRecurring,
    PreviewRecurring,
    PreviewRecurringInput,
    RecurringInvoice,
    RecurringPreview,
    UpdateRecurring,
)


def _by_id(caller: Caller, recurring_id: UUID) -> ById:
    return ById(ctx=caller, id=recurring_id)


CREATE = Call(subjects.RECURRING_CREATE, lambda caller, template: CreateRecurring(ctx=caller, template=template), RecurringInvoice)
PREVIEW_NEW = Call(
    subjects.RECURRING_PREVIEW_INPUT, lambda caller, template, **count: PreviewRecurringInput(ctx=caller, template=template, **count),
    RecurringPreview,
)
LIST = Call(subjects.RECURRING_LIST, lambda caller, **filters: ListRecurring(ctx=caller, **filters), Page[RecurringInvoice])
GET = Call(subjects.RECURRING_GET, _by_id, RecurringInvoice)
UPDATE = Call(subjects.RECURRING_UPDATE, lambda caller, recurring_id, patch: UpdateRecurring(ctx=caller, id=recurring_id, patch=patch), RecurringInvoice)
DELETE = Call(subjects.RECURRING_DELETE, _by_id, Deleted)
PREVIEW = Call(
    subjects.RECURRING_PREVIEW, lambda caller, recurring_id, **count: PreviewRecurring(ctx=caller, id=recurring_id, **count), RecurringPreview,
)
# Pause, resume and end: the template by id, answered as it is after.
PAUSE = Call(subjects.RECURRING_PAUSE, _by_id, RecurringInvoice)
RESUME = Call(subjects.RECURRING_RESUME, _by_id, RecurringInvoice)
END = Call(subjects.RECURRING_END, _by_id, RecurringInvoice)
