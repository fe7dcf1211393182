"""Webhooks: endpoints that receive the account's public events, signed. Every call needs the
`admin` scope (a webhook sends the account's data elsewhere): webhooks are an owner's, as API keys
and users are, in the web app and over MCP alike (ROLE_SCOPES)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, Response, get
from litestar.params import FromPath, QueryParameter

from billwire_gateway.calls import webhooks as calls
from billwire_gateway.controllers.items import create_one, delete_one, read_account, read_one
from billwire_gateway.deps import BusDep, CallerDep, Limit, Offset, json_reply
from billwire_shared.contracts.common import Page
from billwire_shared.contracts.webhooks import DeliveryState, ListWebhooks, NewWebhook, Webhook, WebhookDelivery, WebhookInput

StateFilter = Annotated[DeliveryState | None, QueryParameter(name="state", description="pending, delivered or failed")]

SIGNING = (
    "Each delivery POSTs the event envelope `{id, type, occurred_at, account_id, data}` with headers "
    "`Billwire-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<body>\" keyed with the secret>`, "
    "`Billwire-Delivery` (the same id on every retry of one event) and `Billwire-Event`. Any 2xx answer "
    "is success; anything else is retried with growing delays for about 28 hours."
)


class WebhookController(Controller):
    path = "/webhooks"
    tags = ["webhooks"]

    create_webhook = create_one(
        None, calls.CREATE.subject, calls.CREATE.command, WebhookInput, NewWebhook,
        name="create_webhook", summary="Register a webhook; the answer shows its signing secret, once", description=SIGNING,
        opt={"scope": "admin"},
    )

    list_webhooks = read_account(
        None, calls.LIST.subject, ListWebhooks, list[Webhook], name="list_webhooks", summary="The account's webhooks (without their secrets)",
        opt={"scope": "admin"},
    )
    get_webhook = read_one(
        "webhook_id", calls.GET.subject, Webhook, name="get_webhook", summary="A webhook (without its secret)", opt={"scope": "admin"},
    )
    delete_webhook = delete_one(
        "webhook_id", calls.DELETE.subject, name="delete_webhook", summary="Remove a webhook; its pending deliveries stop",
        opt={"scope": "admin"},
    )

    @get("/{webhook_id:uuid}/deliveries", summary="The webhook's deliveries, newest first, with every attempt", opt={"scope": "admin"})
    async def list_deliveries(
        self, webhook_id: FromPath[UUID], caller: CallerDep, bus: BusDep,
        delivery_state: StateFilter = None, limit: Limit = 50, offset: Offset = 0,
    ) -> Response[Page[WebhookDelivery]]:
        return json_reply(await calls.DELIVERIES.ask(bus, caller, webhook_id, state=delivery_state, limit=limit, offset=offset))
