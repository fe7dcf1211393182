"""The documents list in Chromium: pages of 25, filters by status, type, client and date (a select
applies at once), search by number, sort; and the overview's activity names the API key that
did something, not only people."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

import httpx
from playwright.async_api import expect

from billwire_shared import subjects
from billwire_shared.contracts.clients import Client, ClientInput, CreateClient
from billwire_shared.contracts.common import Caller
from billwire_shared.contracts.documents import CreateDocument, DocumentInput, LineInput
from billwire_shared.contracts.users import CreateUser, UserInput
from tests.web.conftest import Web
from tests.web.test_issued_document import issued

PASSWORD = "the list's own password"


async def test_pages_filters_search_and_sort(web: Web) -> None:
    account_id, key = await web.stack.new_account("List GmbH")
    bus, caller = web.stack.gateways[0].state.bus, Caller(account_id=uuid.UUID(account_id))
    email = f"{uuid.uuid4().hex[:10]}@list.example"
    await bus.call(subjects.USER_CREATE, CreateUser(ctx=caller, user=UserInput(email=email, role="owner", password=PASSWORD)))
    alpha = await bus.call_typed(subjects.CLIENT_CREATE, CreateClient(ctx=caller, client=ClientInput(name="Alpha Drafts Ltd")), Client)
    for number in range(26):
        draft = DocumentInput(client_id=alpha.id, lines=[LineInput(description=f"Work {number}", unit_price=Decimal("10"))])
        await bus.call(subjects.DOCUMENT_CREATE, CreateDocument(ctx=caller, document=draft))
    first = await issued(web, account_id)  # INV-…-0001, open, Globex
    await issued(web, account_id, paid="119.00")  # INV-…-0002, paid
    await issued(web, account_id, "estimate")

    async with web.page() as page:
        await web.sign_in(page, email, PASSWORD)
        await page.goto("/documents")
        await expect(page.locator("h1 .count")).to_have_text("29")
        rows = page.locator("tbody tr")
        await expect(rows).to_have_count(25)
        pager = page.get_by_role("navigation", name="Pagination")
        await expect(pager).to_contain_text("1 / 2")
        await pager.get_by_role("link", name="Next →").click()
        await expect(rows).to_have_count(4)
        await expect(pager).to_contain_text("2 / 2")

        await page.goto("/documents")
        await page.get_by_label("Status").select_option("paid")  # applies without pressing Filter
        await expect(rows).to_have_count(1)
        await expect(rows.first.locator(".badge")).to_have_text("Paid")
        await page.get_by_label("Status").select_option("")
        await page.get_by_label("Type").select_option("estimate")
        await expect(rows).to_have_count(1)
        await expect(rows.first).to_contain_text("Estimate")
        await page.get_by_label("Type").select_option("")

        await page.get_by_label("Search").fill(first.number or "")
        await page.get_by_role("button", name="Filter").click()
        await expect(rows).to_have_count(1)
        await expect(rows.first).to_contain_text(first.number or "")

        await page.goto("/documents")
        await page.get_by_label("Client").select_option(label="Alpha Drafts Ltd")
        await expect(page.locator("h1 .count")).to_have_text("26")
        await expect(rows.first).to_contain_text("Alpha Drafts Ltd")

        await page.goto("/documents?type=invoice")
        await page.get_by_label("Sort").select_option("number")
        await expect(rows.first).to_contain_text(first.number or "")
        await page.get_by_label("Sort").select_option("-number")
        await expect(rows.first).not_to_contain_text(first.number or "")

        await page.goto("/documents")
        await page.get_by_label("From").fill((date.today() + timedelta(days=2)).isoformat())
        await page.get_by_role("button", name="Filter").click()
        await expect(page.locator("tbody")).to_contain_text("No documents match.")

        # What an API key did is said to be the key's doing.
        async with httpx.AsyncClient(base_url=web.base, headers={"Authorization": f"Bearer {key}"}) as api:
            assert (await api.post("/api/v1/clients", json={"name": "Made by an agent"})).status_code == 201
        await page.goto("/")
        made = page.locator(".activity li", has_text="Made by an agent")
        await expect(made.locator(".who-key")).to_contain_text("API key")
