"""A client's page in Chromium: their documents and what they still owe, and deleting a client
after a confirmation."""

from __future__ import annotations

from playwright.async_api import expect

from tests.web.conftest import Web
from tests.web.test_issued_document import issued


async def test_a_clients_documents_balance_and_deletion(web: Web) -> None:
    account_id, email, password = await web.new_user("Client Page GmbH", password="the client page password")
    invoice = await issued(web, account_id, paid="19.00")  # 119.00, of which 100.00 still owed
    async with web.page() as page:
        await web.sign_in(page, email, password)
        await page.goto(f"/clients/{invoice.client_id}")
        await expect(page.locator(".kpi .kpi-value")).to_have_text("€100.00")
        documents = page.locator("section", has=page.get_by_role("heading", name="Documents of this client"))
        await expect(documents.locator("tbody tr")).to_have_count(1)
        await expect(documents.locator("tbody tr")).to_contain_text(invoice.number or "")
        await expect(documents.locator("tbody tr")).to_contain_text("Partially paid")

        await page.goto("/clients/new")
        await page.get_by_label("Name").fill("Gone Soon Ltd")
        await page.get_by_role("button", name="Save").click()
        await expect(page.get_by_role("heading", name="Gone Soon Ltd")).to_be_visible()
        await page.locator("summary", has_text="Delete").click()
        await page.locator("details[open]").get_by_role("button", name="Delete").click()
        await expect(page).to_have_url(f"{web.base}/clients")
        await expect(page.locator("tbody")).not_to_contain_text("Gone Soon Ltd")
        await expect(page.locator("tbody")).to_contain_text("Globex")
