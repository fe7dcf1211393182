"""The recurring-invoice pages in Chromium: "Make recurring" on an invoice opens the form prefilled
from it with the next runs previewed, an end before the start is shown at its field, the saved template
shows its schedule and next runs, pauses and resumes; the list shows it, in English and German."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal

from playwright.async_api import expect

from billwire_shared import subjects
from billwire_shared.contracts.clients import Client, ClientInput, CreateClient
from billwire_shared.contracts.common import Caller
from billwire_shared.contracts.documents import CreateDocument, Document, DocumentInput, LineInput
from tests.web.conftest import Web


async def test_make_recurring_preview_pause_and_resume(web: Web) -> None:
    account_id, email, password = await web.new_user("Retainer GmbH", password="the retainer user's password")
    bus, caller = web.stack.gateways[0].state.bus, Caller(account_id=uuid.UUID(account_id))
    client = await bus.call_typed(subjects.CLIENT_CREATE, CreateClient(ctx=caller, client=ClientInput(name="Sarah Example Ltd")), Client)
    line = LineInput(description="Monthly retainer", quantity=Decimal("1"), unit_price=Decimal("1000.00"), tax_rate=Decimal("19"))
    invoice = await bus.call_typed(
        subjects.DOCUMENT_CREATE, CreateDocument(ctx=caller, document=DocumentInput(client_id=client.id, lines=[line], language="en")), Document,
    )
    async with web.page() as page:
        await web.sign_in(page, email, password)
        await page.goto(f"/documents/{invoice.id}")

        # "Make recurring" (by keyboard) opens the form prefilled from the invoice, its next runs previewed.
        await page.get_by_role("link", name="Make recurring").focus()
        await page.keyboard.press("Enter")
        await expect(page).to_have_url(re.compile(rf"/recurring/new\?from={invoice.id}$"))
        await expect(page.get_by_label("Client", exact=True).locator("option:checked")).to_have_text("Sarah Example Ltd")
        await expect(page.locator("[data-line]").first.locator("input[name=line_description]")).to_have_value("Monthly retainer")
        await expect(page.locator("#preview tbody tr")).to_have_count(6)
        await expect(page.locator("#preview tbody tr").first).to_contain_text("€1,190.00")

        # An end before the start is refused by the server, shown at its field; nothing is stored.
        await page.get_by_label("End date").fill("2020-01-31")
        await page.get_by_role("button", name="Preview").click()
        await expect(page.get_by_role("alert")).to_contain_text("Please correct the marked fields.")
        await expect(page.locator(".field.has-error", has=page.get_by_label("End date")).locator(".error")).to_be_visible()
        await expect(page.get_by_label("End date")).to_have_attribute("aria-invalid", "true")
        await expect(page.locator("#preview tbody tr")).to_have_count(0)

        # Placeholders expand per period in the preview.
        await page.get_by_label("End date").fill("")
        await page.get_by_label("Day of month").fill("31")
        await page.locator("[data-line]").first.locator("input[name=line_description]").fill("Retainer {month} {year}")
        await page.get_by_role("button", name="Preview").click()
        first_run = page.locator("#preview tbody tr").first
        await expect(first_run).to_contain_text(re.compile(r"Retainer (January|February|March|April|May|June|July|August|September|October|November|December) 20\d\d"))
        await web.shot(page, "recurring-form")

        # Saved: the template's page with its schedule, next runs, and no invoices yet.
        await page.get_by_role("button", name="Save").click()
        await expect(page).to_have_url(re.compile(r"/recurring/[0-9a-f-]{36}$"))
        await expect(page.locator("h1 .badges")).to_contain_text("Active")
        await expect(page.locator(".facts")).to_contain_text("Every month on day 31")
        next_runs = page.locator("section", has=page.get_by_role("heading", name="Next runs"))
        await expect(next_runs.locator("tbody tr")).to_have_count(6)
        await expect(page.locator("section", has=page.get_by_role("heading", name="Invoices made"))).to_contain_text("No invoices yet.")

        # Pause, then resume.
        await page.get_by_role("button", name="Pause").click()
        await expect(page.get_by_role("status")).to_have_text("Paused: no invoices until resumed.")
        await expect(page.locator("h1 .badges")).to_contain_text("Paused")
        await page.get_by_role("button", name="Resume").click()
        await expect(page.get_by_role("status")).to_have_text("Resumed.")
        await expect(page.locator("h1 .badges")).to_contain_text("Active")
        await web.shot(page, "recurring")

        # The list, from the main navigation; then in German.
        await page.get_by_role("navigation", name="Main").get_by_role("link", name="Recurring").click()
        row = page.locator("tbody tr").first
        await expect(row).to_contain_text("Sarah Example Ltd")
        await expect(row).to_contain_text("Every month on day 31")
        await page.get_by_role("button", name="Deutsch").click()
        await expect(page.get_by_role("heading", level=1)).to_contain_text("Wiederkehrende Rechnungen")
        await expect(page.locator("tbody tr").first).to_contain_text("Jeden Monat am 31.")
        await expect(page.locator("tbody tr").first).to_contain_text("Aktiv")


async def test_recurring_list_fits_a_phone(web: Web) -> None:
    async with web.signed_in("Phone Recurring GmbH", width=375, height=740) as page:
        for path in ("/recurring", "/recurring/new"):
            await page.goto(path)
            overflow = await page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (path, overflow)
        await web.shot(page, "phone-recurring-form")
