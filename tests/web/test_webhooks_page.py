"""The owner's webhooks page in a browser, on a stack of its own whose webhooks may target
loopback: a webhook is added (its secret shown once), a paid invoice makes a delivery that the
receiver first refuses with 500 and then takes, and the deliveries page shows both states; a
member may not open the page; the webhook is deleted."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest_asyncio
from playwright.async_api import async_playwright, expect

from billwire_shared import subjects
from billwire_shared.contracts import users as user_contracts
from billwire_shared.contracts.common import Caller
from tests.integration.invoices.test_webhooks import Receiver, paid_invoice, receiving
from tests.integration.mailer.conftest import SmtpSink
from tests.stack import own_stack
from tests.web.conftest import CHROMIUM, Web

PROFILE = {
    "company_name": "Hook Page GmbH", "address": {"street": "Hauptstraße 1", "zip": "10115", "city": "Berlin", "country": "DE"},
    "vat_id": "DE136695976", "email": "billing@hook-page.example",
    "bank": {"account_holder": "Hook Page GmbH", "iban": "DE89370400440532013000", "bic": "COBADEFFXXX"},
}


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def hooks_web(pg_admin_url: str, nats_url: str, bus_prefix: str) -> AsyncIterator[Web]:
    invoices = {
        "outbox_poll_interval": 0.1, "db_pool_size": 4, "webhooks_allow_private": True, "webhooks_retry_scale": 0.01,
        "webhooks_poll_interval": 0.1, "webhooks_timeout": 5,
    }
    async with own_stack(pg_admin_url, nats_url, f"{bus_prefix}_whweb", invoices, {"rate_limit_per_minute": 100_000}) as stack:
        async with stack.served() as base, async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
            try:
                yield Web(base, stack, browser, SmtpSink())
            finally:
                await browser.close()


async def test_an_owner_adds_a_webhook_and_sees_its_deliveries(hooks_web: Web) -> None:
    web = hooks_web
    account_id, key = await web.stack.new_account("Hook Page GmbH")
    api = web.stack.api(key)
    assert (await api.patch("/settings/profile", json=PROFILE)).status_code == 200
    bus = web.stack.gateways[0].state.bus
    owner_email, member_email = f"owner-{uuid.uuid4().hex[:6]}@hook-page.example", f"member-{uuid.uuid4().hex[:6]}@hook-page.example"
    for email, role in ((owner_email, "owner"), (member_email, "member")):
        user = user_contracts.UserInput(email=email, role=role, password="a long enough password")
        await bus.call_typed(subjects.USER_CREATE, user_contracts.CreateUser(ctx=Caller(account_id=uuid.UUID(account_id)), user=user), user_contracts.NewUser)

    async with receiving(Receiver(fail=1)) as receiver, web.page() as owner, web.page() as member:
        await web.sign_in(owner, owner_email, "a long enough password")
        await owner.goto("/settings/webhooks")
        await owner.get_by_label("URL").fill(receiver.url)
        await owner.get_by_label("Description").fill("ERP")
        await owner.get_by_role("button", name="Add webhook").click()
        secret = await owner.locator("#new-secret").input_value()
        assert secret.startswith("whsec_")
        await expect(owner.locator("#webhooks")).to_contain_text(receiver.url)
        await web.shot(owner, "web-webhooks")
        await owner.goto("/settings/webhooks")  # shown once: gone on the next visit
        assert await owner.locator("#new-secret").count() == 0 and secret not in await owner.content()

        await paid_invoice(api)
        async with asyncio.timeout(20):
            while not any(r["status"] == 200 for r in receiver.of("invoice.paid")):
                await asyncio.sleep(0.1)
        await owner.get_by_role("link", name="Deliveries").click()
        deliveries = owner.locator("#deliveries")
        await expect(deliveries).to_contain_text("invoice.paid")
        await expect(deliveries).to_contain_text("Delivered")
        await expect(deliveries.locator("tbody tr")).to_have_count(1)
        await expect(deliveries.locator("tbody td").nth(2)).to_have_text("2")  # the 500, then the 200
        await web.shot(owner, "web-webhook-deliveries")
        await owner.get_by_role("link", name="Failed").click()
        await expect(deliveries).to_contain_text("No deliveries yet.")

        await web.sign_in(member, member_email, "a long enough password")
        refused = await member.goto("/settings/webhooks")
        assert refused is not None and refused.status == 403

        await owner.goto("/settings/webhooks")
        await owner.locator("summary", has_text="Delete").click()
        await owner.locator("#webhooks").get_by_role("button", name="Delete").click()
        await expect(owner.get_by_role("status")).to_contain_text("Webhook deleted")
        await expect(owner.locator("#webhooks")).to_contain_text("No webhooks yet.")
