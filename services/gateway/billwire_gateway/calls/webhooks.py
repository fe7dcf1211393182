"""Webhooks: the account's subscriptions to its events, and each one's deliveries."""

from __future__ import annotations

from billwire_gateway.calls.call import Call
from billwire_shared import subjects
from billwire_shared.contracts.common import ById, Deleted, Page
from billwire_shared.contracts.webhooks import CreateWebhook, ListDeliveries, ListWebhooks, NewWebhook, Webhook, WebhookDelivery

CREATE = Call(subjects.WEBHOOK_CREATE, lambda caller, webhook: CreateWebhook(ctx=caller, webhook=webhook), NewWebhook)
LIST = Call(subjects.WEBHOOK_LIST, lambda caller: ListWebhooks(ctx=caller), list[Webhook])
GET = Call(subjects.WEBHOOK_GET, lambda caller, webhook_id: ById(ctx=caller, id=webhook_id), Webhook)
DELETE = Call(subjects.WEBHOOK_DELETE, lambda caller, webhook_id: ById(ctx=caller, id=webhook_id), Deleted)
# A page of the webhook's deliveries, newest first; `state` and the page by name.
DELIVERIES = Call(
    subjects.WEBHOOK_DELIVERIES, lambda caller, webhook_id, **page: ListDeliveries(ctx=caller, id=webhook_id, **page), Page[WebhookDelivery],
)
