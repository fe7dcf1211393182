"""A person's day in the web app, in Chromium, end to end on the real services: sign in with the
generated password and choose one's own, set up the company and its logo, create a client, draft
an invoice with two lines and see the server's totals, finalize it, send it (the e-mail arrives
with the PDF), record a partial payment then the rest (paid, `invoice.paid` published), cancel
another invoice with a credit note, create an API key that works and revoke it, switch to German,
sign out. Screenshots of each main page are saved on the way."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
from pathlib import Path

import httpx
from playwright.async_api import Page, expect

from tests.events import read_events
from tests.web.conftest import Web

LOGO = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 40"><rect width="120" height="40" rx="8" fill="#0f766e"/><text x="60" y="26" font-size="16" text-anchor="middle" fill="#fff">DAYCO</text></svg>'


async def fill_line(page: Page, row: int, description: str, quantity: str, price: str) -> None:
    line = page.locator("[data-line]").nth(row)
    await line.locator("input[name=line_description]").fill(description)
    await line.locator("input[name=line_quantity]").fill(quantity)
    await line.locator("input[name=line_unit_price]").fill(price)


async def document_id(page: Page) -> str:
    return re.search(r"/documents/([0-9a-f-]{36})", page.url).group(1)


async def test_a_persons_day(web: Web, tmp_path: Path) -> None:
    _, user_email, first_password = await web.new_user("Day GmbH")
    async with web.page() as page:
        # Sign in with the generated password; choose one's own.
        await web.sign_in(page, user_email, first_password)
        await expect(page).to_have_url(f"{web.base}/password")
        await web.choose_password(page, first_password, "a day to remember")
        await expect(page).to_have_url(f"{web.base}/")

        # Company profile and logo.
        await page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
        for label, value in (("Company name", "Day GmbH"), ("Street", "Hauptstraße 1"), ("ZIP", "10115"), ("City", "Berlin"),
                             ("Country", "DE"), ("VAT ID", "DE136695976"), ("Account holder", "Day GmbH"),
                             ("IBAN", "DE89370400440532013000"), ("BIC", "COBADEFFXXX")):
            await page.get_by_label(label, exact=True).fill(value)
        await page.locator("form[action='/settings/profile'] input[name=email]").fill("billing@day.example")
        await page.get_by_role("button", name="Save").click()
        await expect(page.get_by_role("status")).to_have_text("Saved.")
        logo = tmp_path / "logo.svg"
        logo.write_bytes(LOGO)
        await page.get_by_label(re.compile("Upload logo")).set_input_files(str(logo))
        await page.get_by_role("button", name="Upload logo", exact=True).click()
        await expect(page.get_by_role("img", name="Logo")).to_be_visible()
        await web.shot(page, "settings-profile")

        # A client.
        await page.get_by_role("navigation", name="Main").get_by_role("link", name="Clients").click()
        await page.get_by_role("link", name="+ New client").click()
        await page.get_by_label("Name").fill("Globex Corporation")
        await page.get_by_label("E-mail").fill("ap@globex.example")
        await page.get_by_label("Street").fill("Main Street 5")
        await page.get_by_label("ZIP").fill("12345")
        await page.get_by_label("City").fill("Springfield")
        await page.get_by_label("Country").fill("US")
        await page.get_by_role("button", name="Save").click()
        await expect(page.get_by_role("heading", name="Globex Corporation")).to_be_visible()

        # A draft invoice with two lines; the server's totals.
        await page.get_by_role("link", name="+ New invoice").click()
        await fill_line(page, 0, "Consulting", "10", "150")
        await fill_line(page, 1, "Travel", "1", "80.50")
        await page.get_by_role("button", name=re.compile("Save draft")).click()
        await expect(page.locator("#total")).to_have_text("€1,880.80")  # (1500 + 80.50) × 1.19
        await web.shot(page, "draft")
        invoice_id = await document_id(page)

        # Finalize: the confirmation shows the total.
        await page.get_by_role("button", name=re.compile("Save .* Document")).click()
        await page.locator("summary", has_text="Finalize").click()
        await page.get_by_role("button", name="Finalize · €1,880.80").click()
        await expect(page.locator("h1")).to_contain_text("INV-")
        number = (await page.locator("h1").inner_text()).split()[0]

        # Send: the recipient is prefilled from the client.
        await expect(page.get_by_label("Recipient")).to_have_value("ap@globex.example")
        await expect(page.get_by_label("Subject")).to_have_value(re.compile(re.escape(number)))  # from the account's template
        await expect(page.get_by_label("Message")).to_have_value(re.compile("Day GmbH"))
        await page.get_by_label("Message").fill("Hello Globex, here is the invoice for October.")
        await page.get_by_role("button", name="Send · €1,880.80").click()
        await expect(page.get_by_role("status")).to_have_text("Sent to the mail relay.")
        async with asyncio.timeout(60):  # this invoice's e-mail: a reminder run may have e-mailed too
            while not (mails := [m for m in web.sink.received if "ap@globex.example" in m.rcpt_tos and number.encode() in m.content]):
                await asyncio.sleep(0.25)
        mail = email.message_from_bytes(mails[0].content, policy=email.policy.SMTP)
        assert number in mail["Subject"] and "invoice for October" in mail.get_body(("plain",)).get_content()
        attachment = next(mail.iter_attachments())
        assert attachment.get_filename() == f"{number}.pdf" and attachment.get_content().startswith(b"%PDF")
        await page.reload()
        await expect(page.locator(".sends")).to_contain_text("Delivered")

        # A partial payment, then the rest.
        await page.locator("summary", has_text="Record payment").click()
        await page.get_by_label("Amount").fill("1000")
        await page.get_by_role("button", name="Record payment").click()
        await expect(page.get_by_role("status")).to_have_text("Payment recorded.")
        await expect(page.locator("h1 .badges")).to_contain_text("Partially paid")
        await page.locator("summary", has_text="Record payment").click()
        await expect(page.get_by_label("Amount")).to_have_value("880.80")
        await page.get_by_role("button", name="Record payment").click()
        await expect(page.locator("h1 .badges")).to_contain_text("Paid")
        await page.wait_for_load_state("networkidle")  # the preview's PDF is in, so the screenshot shows it
        await web.shot(page, "document")
        events = await read_events(web.stack, {"invoice.paid"}, invoice_id)
        assert [event["data"]["number"] for event in events] == [number]

        # Another invoice, cancelled with a credit note.
        await page.get_by_role("button", name="Duplicate").click()
        await page.get_by_role("button", name=re.compile("Save .* Document")).click()
        await page.locator("summary", has_text="Finalize").click()
        await page.get_by_role("button", name=re.compile("^Finalize ·")).click()
        await page.locator("summary", has_text="Cancel invoice").click()
        await page.get_by_label("Reason").fill("Ordered twice")
        await page.get_by_role("button", name="Cancel invoice · €1,880.80").click()
        await expect(page.locator(".eyebrow")).to_contain_text("Credit note")

        # The documents list and the overview.
        await page.get_by_role("navigation", name="Main").get_by_role("link", name="Documents").click()
        await expect(page.locator("tbody tr")).to_have_count(3)
        await web.shot(page, "documents")
        await page.get_by_role("navigation", name="Main").get_by_role("link", name="Overview").click()
        await expect(page.locator(".activity")).to_contain_text(user_email)
        chart_numbers = page.get_by_role("table", name="Revenue per month (EUR)")  # the chart, for a screen reader
        await expect(chart_numbers.get_by_role("row")).to_have_count(13)
        await expect(chart_numbers.get_by_role("row").last).to_contain_text("€")
        await web.shot(page, "overview")

        # An API key: shown once, works, revoked.
        await page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
        await page.get_by_role("link", name="API keys").click()
        await page.get_by_label("Name").fill("my agent")
        await page.get_by_role("button", name="Create key").click()
        key = await page.locator("#new-key").input_value()
        assert key.startswith("bw_")
        await page.context.grant_permissions(["clipboard-read", "clipboard-write"])
        await page.get_by_role("button", name="Copy").click()
        await expect(page.get_by_role("button", name="Copied")).to_be_visible()
        assert await page.evaluate("navigator.clipboard.readText()") == key
        async with httpx.AsyncClient(base_url=web.base, headers={"Authorization": f"Bearer {key}"}) as api:
            assert (await api.get("/api/v1/invoices")).json()["total"] == 2
            await web.shot(page, "settings-keys")
            await page.locator("details.inline-confirm summary").last.click()
            await page.locator("details.inline-confirm[open]").get_by_role("button", name="Revoke").click()
            await expect(page.locator("tbody")).to_contain_text("Revoked")
            async with asyncio.timeout(10):
                while (await api.get("/api/v1/invoices")).status_code != 401:
                    await asyncio.sleep(0.2)

        # German, then sign out.
        await page.get_by_role("button", name="Deutsch").click()
        await page.get_by_role("navigation", name="Main").get_by_role("link", name="Dokumente").click()
        await expect(page.locator("tbody")).to_contain_text("1.880,80 €")
        await expect(page.locator("tbody")).to_contain_text("Storniert")
        await web.shot(page, "documents-de")
        await page.get_by_role("button", name="Abmelden").click()
        await expect(page).to_have_url(f"{web.base}/login")
        await page.goto("/documents")
        await expect(page).to_have_url(f"{web.base}/login?next=/documents")
