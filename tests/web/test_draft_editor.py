"""The draft editor in Chromium: a client found by search, a product picked (its price filled in),
the server's totals shown as the quantity changes, the gross layout (3 × 100.00 gross at 19 % is
300.00, not 299.99), and a refused value shown at its field — live, and after a plain POST."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal

from playwright.async_api import Page, expect

from billwire_shared import subjects
from billwire_shared.contracts.clients import Client, ClientInput, CreateClient, CreateProduct, Product, ProductInput
from billwire_shared.contracts.common import Caller
from tests.web.conftest import Web


async def seed(web: Web, account_id: str) -> None:
    """A client and a product of the account, made on the bus as the API would."""
    bus, caller = web.stack.gateways[0].state.bus, Caller(account_id=uuid.UUID(account_id))
    await bus.call_typed(subjects.CLIENT_CREATE, CreateClient(ctx=caller, client=ClientInput(name="Globex Corporation", email="ap@globex.example")), Client)
    await bus.call_typed(subjects.CLIENT_CREATE, CreateClient(ctx=caller, client=ClientInput(name="Initech AG")), Client)
    product = ProductInput(title="Workshop day", unit="day", net_price=Decimal("120.00"), tax_rate=Decimal("19"))
    await bus.call_typed(subjects.PRODUCT_CREATE, CreateProduct(ctx=caller, product=product), Product)


def row(page: Page, index: int):
    return page.locator("[data-line]").nth(index)


async def test_product_picker_live_totals_and_field_errors(web: Web) -> None:
    account_id, email, password = await web.new_user("Editor GmbH", password="the editor's password")
    await seed(web, account_id)
    async with web.page() as page:
        await web.sign_in(page, email, password)
        await page.goto("/documents/new")

        # The client picker searches the server.
        await page.get_by_placeholder("Search clients").fill("glob")
        await expect(page.locator("#f-client_id option:checked")).to_have_text("Globex Corporation")

        # A product fills its line; the quantity changes the server's totals at once.
        await row(page, 0).get_by_label("Product 1").select_option(label="Workshop day")
        await expect(row(page, 0).locator("input[name=line_description]")).to_have_value("Workshop day")
        await expect(row(page, 0).locator("input[name=line_unit_price]")).to_have_value(re.compile(r"^120(\.0+)?$"))
        await expect(row(page, 0).locator("input[name=line_unit]")).to_have_value("day")
        await expect(page.locator("#total")).to_have_text("€142.80")
        quantity = row(page, 0).locator("input[name=line_quantity]")
        await quantity.focus()
        await page.keyboard.press("Control+A")
        await page.keyboard.type("3")
        await expect(page.locator("#total")).to_have_text("€428.40")  # 3 × 120 × 1.19
        await expect(row(page, 0).locator("[data-amount]")).to_have_text("€360.00")

        # A refused value is shown at its field while typing.
        discount = row(page, 0).locator("input[name=line_discount_rate]")
        await discount.fill("150")
        await expect(row(page, 0).locator(".has-error .error")).to_be_visible()
        await expect(discount).to_have_attribute("aria-invalid", "true")
        await web.shot(page, "draft-editor-error")
        await discount.fill("")
        await expect(discount).not_to_have_attribute("aria-invalid", "true")
        await expect(page.locator("#total")).to_have_text("€428.40")
        await web.shot(page, "draft-editor")

        # Saved with a plain POST, the server's page shows the same totals.
        await page.get_by_role("button", name=re.compile("Save draft")).click()
        await expect(page).to_have_url(re.compile(r"/documents/[0-9a-f-]{36}/edit$"))
        await expect(page.locator("#total")).to_have_text("€428.40")

        # ... and a refused value after a plain POST is shown at its field too.
        await row(page, 0).locator("input[name=line_tax_rate]").fill("250")
        await page.evaluate("document.querySelector('form[data-totals]').removeAttribute('data-totals')")
        await page.get_by_role("button", name=re.compile("Save draft")).click()
        await expect(page.get_by_role("alert")).to_contain_text("Please correct the marked fields.")
        cell = row(page, 0).locator(".cell.has-error")
        await expect(cell.locator("input[name=line_tax_rate]")).to_have_value("250")
        await expect(cell.locator(".error")).to_be_visible()


async def test_gross_layout_three_times_100_is_300(web: Web) -> None:
    account_id, email, password = await web.new_user("Gross GmbH", password="the gross user's password")
    await seed(web, account_id)
    async with web.page(width=375, height=800) as page:
        await web.sign_in(page, email, password)
        await page.goto("/documents/new")
        await page.get_by_label("Client", exact=True).select_option(label="Initech AG")
        await page.get_by_label("Prices", exact=True).select_option("gross")
        line = row(page, 0)
        await line.locator("input[name=line_description]").fill("Gift box")
        await line.locator("input[name=line_quantity]").fill("3")
        await line.locator("input[name=line_unit_price]").fill("100.00")
        await line.get_by_label("Net or gross price 1").select_option("gross")
        await line.locator("input[name=line_tax_rate]").fill("19")
        await expect(page.locator("#total")).to_have_text("€300.00")
        await expect(line.locator("[data-amount]")).to_have_text("€300.00")
        await expect(page.locator("#totals")).to_contain_text("€47.90")  # the VAT in 300.00 gross at 19 %
        overflow = await page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, overflow
        await web.shot(page, "phone-draft-gross")
        await page.get_by_role("button", name=re.compile("Save draft")).click()
        await expect(page).to_have_url(re.compile(r"/documents/[0-9a-f-]{36}/edit$"))
        await expect(page.locator("#total")).to_have_text("€300.00")
        await expect(page.get_by_label("Net or gross price 1")).to_have_value("gross")
        await expect(page.locator("[data-line]").first.locator("input[name=line_unit_price]")).to_have_value(re.compile(r"^100(\.0+)?$"))


async def test_a_draft_with_payment_terms_saves_again_unchanged(web: Web) -> None:
    """A saved draft's due date follows from its terms: the form shows the terms alone, so a second
    save does not send both (which the API refuses)."""
    account_id, email, password = await web.new_user("Terms GmbH", password="the terms user's password")
    await seed(web, account_id)
    async with web.page() as page:
        await web.sign_in(page, email, password)
        await page.goto("/documents/new")
        await page.get_by_label("Client", exact=True).select_option(label="Initech AG")
        await page.get_by_label("Issue date", exact=True).fill("2026-12-01")
        await page.get_by_label("Payment terms (days)", exact=True).fill("14")
        await row(page, 0).locator("input[name=line_description]").fill("Audit")
        await row(page, 0).locator("input[name=line_quantity]").fill("1")
        await row(page, 0).locator("input[name=line_unit_price]").fill("500")
        await page.get_by_role("button", name=re.compile("Save draft")).click()
        await expect(page).to_have_url(re.compile(r"/documents/[0-9a-f-]{36}/edit$"))
        await expect(page.get_by_label("Payment terms (days)", exact=True)).to_have_value("14")
        await expect(page.get_by_label("Due date", exact=True)).to_have_value("")

        await page.get_by_role("button", name=re.compile("Save draft")).click()
        await expect(page.get_by_role("status")).to_contain_text("Saved.")
        assert await page.get_by_role("alert").count() == 0
        await expect(page.get_by_label("Payment terms (days)", exact=True)).to_have_value("14")
        await page.get_by_label("Payment terms (days)", exact=True).fill("")
        await page.get_by_label("Due date", exact=True).fill("2026-12-31")
        await page.get_by_role("button", name=re.compile("Save draft")).click()
        await expect(page.get_by_label("Due date", exact=True)).to_have_value("2026-12-31")
        await expect(page.get_by_label("Payment terms (days)", exact=True)).to_have_value("")


async def test_a_service_period_is_saved_shown_and_refused_backwards_at_its_end(web: Web) -> None:
    """The draft's service period (the months a retainer covers): from and to on the form, a
    period that ends before it starts refused at its end after a plain POST, kept when right, and
    shown on the document's page."""
    account_id, email, password = await web.new_user("Period GmbH", password="the period user's password")
    await seed(web, account_id)
    async with web.page() as page:
        await web.sign_in(page, email, password)
        await page.goto("/documents/new")
        await page.evaluate("document.querySelector('form[data-totals]').removeAttribute('data-totals')")
        await page.get_by_label("Client", exact=True).select_option(label="Initech AG")
        await row(page, 0).locator("input[name=line_description]").fill("Retainer")
        await row(page, 0).locator("input[name=line_quantity]").fill("1")
        await row(page, 0).locator("input[name=line_unit_price]").fill("900")
        await page.get_by_label("Service period from", exact=True).fill("2026-03-01")
        await page.get_by_label("Service period to", exact=True).fill("2026-02-01")
        await page.get_by_role("button", name=re.compile("Save draft")).click()
        await expect(page.get_by_role("alert")).to_contain_text("Please correct the marked fields.")
        end = page.get_by_label("Service period to", exact=True)
        await expect(end).to_have_attribute("aria-invalid", "true")
        await expect(page.locator("#e-service_period\\.end")).to_contain_text("must not be before start")
        await expect(page.get_by_label("Service period from", exact=True)).to_have_value("2026-03-01")

        await end.fill("2026-03-31")
        await page.get_by_role("button", name=re.compile("Save draft")).click()
        await expect(page).to_have_url(re.compile(r"/documents/[0-9a-f-]{36}/edit$"))
        await expect(page.get_by_label("Service period from", exact=True)).to_have_value("2026-03-01")
        await expect(page.get_by_label("Service period to", exact=True)).to_have_value("2026-03-31")

        await page.goto(page.url.removesuffix("/edit"))
        await expect(page.locator("dl.facts")).to_contain_text("Service period")
        await expect(page.locator("dl.facts")).to_contain_text("1 Mar 2026 – 31 Mar 2026")
