"""The owner's webhooks page: endpoints that receive the account's public events, created with
their signing secret shown once, deleted, and each one's deliveries with their state and
attempts. Webhooks send the account's data elsewhere, so every route needs `admin` (owners)."""

from __future__ import annotations

import asyncio
from typing import Annotated
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, QueryParameter

from billwire_gateway.bus import ApiError
from billwire_gateway.calls import webhooks as calls
from billwire_gateway.web.context import PersonDep, bus_of, decode, page, redirect
from billwire_gateway.web.forms import convert, field_errors, given
from billwire_shared.contracts.common import Page
from billwire_shared.contracts.public_events import PUBLIC_EVENTS
from billwire_shared.contracts.webhooks import NewWebhook, Webhook, WebhookDelivery, WebhookInput

EVENT_CHOICES = ("*", *sorted({f"{event.entity}.*" for event in PUBLIC_EVENTS}), *(event.type for event in PUBLIC_EVENTS))
STATES = ("pending", "delivered", "failed")


class WebhooksController(Controller):
    path = "/settings/webhooks"
    opt = {"scope": "admin"}

    @get("/", opt={"scope": "admin"})
    async def webhooks(self, request: Request, person: PersonDep) -> Response:
        return await self._page(request, person, None, {}, {})

    @post("/", opt={"scope": "admin"})
    async def create(self, request: Request, person: PersonDep) -> Response:
        form = await request.form()
        events = [event for event in form.getall("events") if event in EVENT_CHOICES] if "events" in form else []
        values = given(form, ("url", "description")) | {"events": events}
        try:
            webhook = convert(values, WebhookInput)
            raw = await calls.CREATE.ask(bus_of(request), person.caller, webhook)
        except ApiError as exc:
            if exc.reply.http_status >= 500:
                raise
            return await self._page(request, person, None, field_errors(exc), values, 422)
        return await self._page(request, person, decode(raw, NewWebhook), {}, {}, 201)

    @post("/{webhook_id:uuid}/delete", opt={"scope": "admin"})
    async def delete(self, request: Request, person: PersonDep, webhook_id: FromPath[UUID]) -> Response:
        await calls.DELETE.ask(bus_of(request), person.caller, webhook_id)
        return redirect("/settings/webhooks", "Webhook deleted.", person)

    @get("/{webhook_id:uuid}", opt={"scope": "admin"})
    async def deliveries(
        self, request: Request, person: PersonDep, webhook_id: FromPath[UUID],
        delivery_state: Annotated[str | None, QueryParameter(name="state")] = None,
    ) -> Response:
        """The webhook and its deliveries, newest first (read side by side)."""
        bus = bus_of(request)
        chosen = delivery_state if delivery_state in STATES else None
        hook_raw, deliveries_raw = await asyncio.gather(
            calls.GET.ask(bus, person.caller, webhook_id), calls.DELIVERIES.ask(bus, person.caller, webhook_id, state=chosen, limit=50),
        )
        return page(
            request, "webhook.html", person, hook=decode(hook_raw, Webhook), deliveries=decode(deliveries_raw, Page[WebhookDelivery]),
            state=chosen, states=STATES,
        )

    @staticmethod
    async def _page(request: Request, person: PersonDep, new_hook: NewWebhook | None, errors: dict, values: dict, status_code: int = 200) -> Response:
        hooks = decode(await calls.LIST.ask(bus_of(request), person.caller), list[Webhook])
        return page(
            request, "webhooks.html", person, status_code, hooks=hooks, new_hook=new_hook, errors=errors, values=values,
            choices=EVENT_CHOICES, descriptions={event.type: event.description for event in PUBLIC_EVENTS},
        )
