"""An issued document's status on its page, in Chromium: marked sent by hand (a future day refused
at its field) and taken back, the account's own status set and cleared, a partly paid invoice
cancelled (the confirmation names the amount to refund) with its refund due recorded (too much
refused at the field) down to zero, the credit note and its PDF linked; an estimate converted
once links to the invoice it became."""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal

import msgspec
from playwright.async_api import Page, expect

from billwire_shared import subjects
from billwire_shared.contracts.accounts import ProfilePatch, UpdateProfile
from billwire_shared.contracts.clients import Client, ClientInput, CreateClient
from billwire_shared.contracts.common import Caller
from billwire_shared.contracts.documents import CreateDocument, Document, DocumentById, DocumentInput, LineInput
from billwire_shared.contracts.lifecycle import Payment, PaymentInput, RecordPayment
from tests.stack import BUYER
from tests.web.conftest import Web

SELLER = {
    "company_name": "Status GmbH", "vat_id": "DE136695976", "email": "billing@status.example",
    "address": {"street": "Hauptstraße 1", "zip": "10115", "city": "Berlin", "country": "DE"},
    "bank": {"account_holder": "Status GmbH", "iban": "DE89370400440532013000", "bic": "COBADEFFXXX"},
}


async def issued(web: Web, account_id: str, doc_type: str = "invoice", paid: str | None = None) -> Document:
    """A finalized document over 100.00 net at 19 % (119.00), with a payment of `paid` if given, made on the bus as the API would."""
    bus, caller = web.stack.gateways[0].state.bus, Caller(account_id=uuid.UUID(account_id))
    await bus.call(subjects.PROFILE_UPDATE, UpdateProfile(ctx=caller, patch=msgspec.convert(SELLER, ProfilePatch)))
    client = await bus.call_typed(subjects.CLIENT_CREATE, CreateClient(ctx=caller, client=msgspec.convert(BUYER, ClientInput)), Client)
    line = LineInput(description="Workshop day", quantity=Decimal("1"), unit_price=Decimal("100.00"), tax_rate=Decimal("19"))
    document_input = DocumentInput(type=doc_type, client_id=client.id, lines=[line], language="en")
    draft = await bus.call_typed(subjects.DOCUMENT_CREATE, CreateDocument(ctx=caller, document=document_input), Document)
    document = await bus.call_typed(subjects.DOCUMENT_FINALIZE, DocumentById(ctx=caller, id=draft.id), Document)
    if paid:
        await bus.call_typed(subjects.PAYMENT_RECORD, RecordPayment(ctx=caller, id=document.id, payment=PaymentInput(amount=Decimal(paid))), Payment)
    return document


@contextlib.asynccontextmanager
async def on_its_page(
    web: Web, company: str, password: str, doc_type: str = "invoice", paid: str | None = None,
) -> AsyncIterator[tuple[Page, Document]]:
    """A new user's issued document (as `issued` makes it), open on its page in the user's signed-in browser."""
    account_id, email, password = await web.new_user(company, password=password)
    document = await issued(web, account_id, doc_type, paid)
    async with web.page() as page:
        await web.sign_in(page, email, password)
        await page.goto(f"/documents/{document.id}")
        yield page, document


async def open_action(page: Page, name: str) -> None:
    await page.locator("aside summary", has_text=name).click()


async def submit(page: Page, button: str, status: str, exact: bool = False) -> None:
    """Press a form's button and see the status line the page answers with."""
    await page.get_by_role("button", name=button, exact=exact).click()
    await expect(page.get_by_role("status")).to_have_text(status)


async def take_back(page: Page, action: str, button: str, status: str, mark: str) -> None:
    """Undo a mark from its action's form: the status line says so and the mark is gone from the page."""
    await open_action(page, action)
    await submit(page, button, status)
    await expect(page.locator(mark)).to_have_count(0)


async def test_sent_by_hand_and_own_status(web: Web) -> None:
    async with on_its_page(web, "Post GmbH", "the post password") as (page, invoice):

        # A day in the future is refused at its field; the form stays open with what was typed.
        await open_action(page, "Mark as sent by hand")
        await page.get_by_label("Sent on").fill((date.today() + timedelta(days=3)).isoformat())
        await page.get_by_label("Notes").first.fill("Posted with Deutsche Post")
        await page.get_by_role("button", name="Mark as sent", exact=True).click()
        await expect(page.locator("#sent-sent_date-error")).to_contain_text("future")
        await expect(page.get_by_label("Sent on")).to_have_attribute("aria-invalid", "true")
        await expect(page.locator("#sent-sent_notes")).to_have_value("Posted with Deutsche Post")

        await page.get_by_label("Sent on").fill(date.today().isoformat())
        await submit(page, "Mark as sent", "Marked as sent.", exact=True)
        await expect(page.locator("h1 .badges")).to_contain_text("Sent")
        await expect(page.locator(".sent-fact")).to_contain_text("by hand")
        await expect(page.locator(".sent-fact")).to_contain_text("Posted with Deutsche Post")
        await web.shot(page, "document-sent-by-hand")

        # Taken back: no longer sent.
        await take_back(page, "Edit sent by hand", "Undo: not sent", "No longer marked as sent.", ".sent-fact")
        await expect(page.locator("h1 .badges")).not_to_contain_text("Sent")

        # The account's own status: set (shown as a badge and a fact), then cleared.
        await open_action(page, "Own status")
        await page.get_by_label("Status name").fill("Disputed")
        await page.locator("#status-date").fill(date.today().isoformat())
        await page.locator("#status-notes").fill("The client counts one day less")
        await submit(page, "Set status", "Status set.")
        await expect(page.locator("h1 .badge-custom")).to_have_text("Disputed")
        await expect(page.locator(".custom-status-fact")).to_contain_text("The client counts one day less")
        await web.shot(page, "document-own-status")
        await take_back(page, "Own status", "Clear status", "Status cleared.", "h1 .badge-custom")

        # Paid in full: the day it was paid is shown.
        await page.get_by_role("button", name=re.compile("^Mark paid")).click()
        await expect(page.locator("h1 .badges")).to_contain_text("Paid")
        await expect(page.locator(".facts")).to_contain_text("Paid on")


async def test_cancel_a_partly_paid_invoice_and_refund(web: Web) -> None:
    async with on_its_page(web, "Refund GmbH", "the refund password", paid="50.00") as (page, invoice):
        await expect(page.locator("h1 .badges")).to_contain_text("Partially paid")

        # The confirmation names what will be due for refund; the reason may stay empty.
        await open_action(page, "Cancel invoice")
        await expect(page.locator(".refund-warning")).to_contain_text("€50.00")
        await web.shot(page, "document-cancel-with-payments")
        await submit(page, "Cancel invoice · €119.00", "Cancelled.")
        await expect(page).to_have_url(re.compile(f"/documents/{invoice.id}$"))
        await expect(page.locator("h1 .badges")).to_contain_text("Refund due")
        await expect(page.locator(".refund-due")).to_have_text("€50.00")
        await expect(page.locator(".refunds")).to_contain_text("No refunds yet.")

        # More than is due is refused at the field; the amount comes prefilled with what is due.
        await open_action(page, "Record refund")
        amount = page.locator("#refund-amount")
        await expect(amount).to_have_value("50.00")
        await amount.fill("80.00")
        await page.get_by_role("button", name="Record refund").click()
        await expect(page.locator("#refund-amount-error")).to_be_visible()
        await web.shot(page, "document-refund-refused")
        await expect(amount).to_have_value("80.00")
        await amount.fill("50.00")
        await submit(page, "Record refund", "Refund recorded.")
        await expect(page.locator(".refund-due")).to_have_text("€0.00")
        await expect(page.locator(".refunds tbody tr")).to_have_count(1)
        await expect(page.locator("aside summary", has_text="Record refund")).to_have_count(0)
        await web.shot(page, "document-refunded")

        # The credit note and its PDF, linked from the cancelled invoice.
        pdf_link = page.get_by_role("link", name="Cancellation PDF")
        pdf = await page.request.get(await pdf_link.get_attribute("href") or "")
        assert pdf.ok and (await pdf.body()).startswith(b"%PDF")
        await page.locator("a.cancelled-by").click()
        await expect(page.locator(".eyebrow")).to_contain_text("Credit note")
        await expect(page.get_by_role("link", name=re.compile(f"Invoice {invoice.number}"))).to_be_visible()


async def test_deleting_a_payment_asks_first_naming_its_amount(web: Web) -> None:
    async with on_its_page(web, "Payment Delete GmbH", "the payment password", paid="50.00") as (page, invoice):
        await expect(page.locator("h1 .badges")).to_contain_text("Partially paid")
        await page.locator(".inline-confirm summary", has_text="Delete").click()
        await page.get_by_role("button", name="Delete payment · €50.00").click()
        await expect(page.get_by_role("status")).to_have_text("Payment deleted.")
        await expect(page.get_by_text("No payments yet.")).to_be_visible()
        await expect(page.locator("h1 .badges")).not_to_contain_text("Partially paid")

        # The payment methods read as words, in the person's language.
        await open_action(page, "Record payment")
        await expect(page.get_by_label("Method").locator("option:checked")).to_have_text("Bank transfer")
        await page.get_by_role("button", name="Deutsch").click()
        await open_action(page, "Zahlung erfassen")
        await expect(page.get_by_label("Art", exact=True).locator("option:checked")).to_have_text("Überweisung")


async def test_a_converted_estimate_links_to_its_invoice(web: Web) -> None:
    async with on_its_page(web, "Estimate GmbH", "the estimate password", "estimate") as (page, estimate):
        await page.get_by_role("button", name="Convert to invoice").click()
        await expect(page).to_have_url(re.compile(r"/documents/[0-9a-f-]{36}/edit$"))
        invoice_id = page.url.split("/")[-2]

        await page.goto(f"/documents/{estimate.id}")
        await expect(page.get_by_role("button", name="Convert to invoice")).to_have_count(0)  # converted once
        await page.locator("a.converted-to").click()
        await expect(page).to_have_url(re.compile(f"/documents/{invoice_id}(/edit)?$"))


async def test_an_imported_invoice_keeps_its_number(web: Web) -> None:
    account_id, email, password = await web.new_user("Import GmbH", password="the import password")
    await issued(web, account_id)  # the profile and a client; the series has issued INV-…-0001
    async with web.page() as page:
        await web.sign_in(page, email, password)
        await page.goto("/documents/new")
        await page.locator("#f-client_id").select_option(label="Globex Corporation")
        await page.get_by_label("Imported from another system").check()
        await page.get_by_label("Its number in the other system").fill("ALT-2019-117")
        await page.get_by_label("Issue date", exact=True).fill("2019-03-01")
        await page.locator("input[name=line_description]").first.fill("Consulting, March 2019")
        await page.locator("input[name=line_unit_price]").first.fill("500")
        await page.get_by_role("button", name=re.compile("Save draft")).click()
        await expect(page).to_have_url(re.compile(r"/documents/[0-9a-f-]{36}/edit$"))
        await expect(page.get_by_label("Imported from another system")).to_be_checked()
        await page.goto(page.url.removesuffix("/edit"))
        await page.locator("summary", has_text="Finalize").click()
        await page.get_by_role("button", name=re.compile("^Finalize ·")).click()
        await expect(page.locator("h1")).to_contain_text("ALT-2019-117")
        await expect(page.locator("h1 .badge-imported")).to_have_text("Imported")
        await expect(page.locator(".facts")).to_contain_text("1 Mar 2019")
        await web.shot(page, "document-imported")
