"""Webhooks: an account's HTTPS endpoints that receive its public events, signed."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from billwire_shared.contracts.common import Command, Input, Paged, Short

# An event type ("invoice.paid"), every event of an entity ("invoice.*"), or everything ("*").
EventFilter = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"^(\*|[a-z_]+\.(\*|[a-z_]+))$")]
DeliveryState = Literal["pending", "delivered", "failed"]
MAX_WEBHOOKS_PER_ACCOUNT = 20


class WebhookInput(Input, kw_only=True):
    url: Annotated[str, msgspec.Meta(min_length=1, max_length=2000, description="http(s) URL that receives POSTs")]
    events: Annotated[list[EventFilter], msgspec.Meta(min_length=1, max_length=50)]
    description: Short | None = None


class CreateWebhook(Command, kw_only=True):
    webhook: WebhookInput


class Webhook(msgspec.Struct, kw_only=True):
    id: UUID
    url: str
    events: list[str]
    description: str | None
    secret_prefix: str  # the first characters of the signing secret, to tell secrets apart
    created_at: datetime


class NewWebhook(Webhook, kw_only=True):
    """Answer to a create: the only time the signing secret is shown."""

    secret: str


class ListWebhooks(Command, kw_only=True):
    pass


class DeliveryAttempt(msgspec.Struct, kw_only=True):
    attempt: int
    at: datetime
    duration_ms: int
    status: int | None  # the HTTP status, when an answer came
    error: str | None


class WebhookDelivery(msgspec.Struct, kw_only=True):
    """One event for one webhook; `id` is the Billwire-Delivery header, the same on every retry."""

    id: UUID
    webhook_id: UUID
    event_id: UUID
    event_type: str
    state: DeliveryState
    attempts: int
    next_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    history: list[DeliveryAttempt] = []


class ListDeliveries(Paged, kw_only=True):
    id: UUID  # the webhook's
    state: DeliveryState | None = None
