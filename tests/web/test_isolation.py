"""One account's person never reaches another account's data, whatever URL they type; what a
client is called is shown as text, never run; an unknown page is the styled 404; an accountant
reads but cannot change."""

from __future__ import annotations

import uuid

from playwright.async_api import expect

from billwire_shared import subjects
from billwire_shared.contracts.clients import ClientInput, CreateClient
from billwire_shared.contracts.common import Caller
from billwire_shared.contracts.documents import CreateDocument, DocumentInput, LineInput
from tests.web.conftest import Web


async def test_another_accounts_documents_are_not_found(web: Web) -> None:
    first_account, _, _ = await web.new_user("First Isolated GmbH")
    _, email, password = await web.new_user("Second Isolated GmbH", password="second's own password")
    bus = web.stack.gateways[0].state.bus
    owner = Caller(account_id=uuid.UUID(first_account))
    client = ClientInput(name="Secret client of the first account")
    document = DocumentInput(client=client, lines=[LineInput(description="Secret work", unit_price="99")])
    raw = await bus.call(subjects.DOCUMENT_CREATE, CreateDocument(ctx=owner, document=document))
    doc_id = uuid.UUID(raw.decode().split('"id":"')[1][:36])
    client_raw = await bus.call(subjects.CLIENT_CREATE, CreateClient(ctx=owner, client=client))
    client_id = client_raw.decode().split('"id":"')[1][:36]

    async with web.page() as page:
        await web.sign_in(page, email, password)
        for path in (f"/documents/{doc_id}", f"/documents/{doc_id}/edit", f"/documents/{doc_id}/pdf", f"/clients/{client_id}",
                     f"/clients/{client_id}/edit"):
            response = await page.goto(path)
            assert response is not None and response.status == 404, path
            await expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
            await expect(page.locator("body")).not_to_contain_text("Secret")
        await web.shot(page, "not-found")
        csrf = await page.evaluate("document.querySelector('input[name=_csrf]').value")
        posted = await page.request.post(f"/documents/{doc_id}/finalize", form={"_csrf": csrf}, max_redirects=0)
        assert posted.status == 404
        await page.goto("/documents?q=Secret")
        await expect(page.locator("tbody")).to_contain_text("No documents match.")


async def test_a_client_named_like_a_script_is_shown_as_text(web: Web) -> None:
    _, email, password = await web.new_user("Escaping GmbH", password="escaping's password")
    name = "<script>alert(1)</script>"
    async with web.page() as page:
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: dialogs.append(dialog.message))
        await web.sign_in(page, email, password)
        await page.goto("/clients/new")
        await page.get_by_label("Name").fill(name)
        await page.get_by_role("button", name="Save").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text(name)
        await page.goto("/clients")
        await expect(page.locator("tbody")).to_contain_text(name)
        await page.goto("/")
        await expect(page.locator(".activity")).to_contain_text(name)
        assert dialogs == []


async def test_an_unknown_page_is_the_styled_404_and_the_api_keeps_json(web: Web) -> None:
    async with web.page() as page:
        response = await page.goto("/no/such/page")
        assert response is not None and response.status == 404
        await expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
        api = await page.request.get("/api/v1/no-such-thing")
        assert api.status in (401, 404) and api.headers["content-type"].startswith("application/json")


async def test_an_accountant_reads_but_cannot_change(web: Web) -> None:
    async with web.signed_in("Accountant GmbH", role="accountant") as page:
        await page.goto("/clients")
        await expect(page.get_by_role("link", name="+ New client")).to_have_count(0)
        response = await page.goto("/settings/keys")
        assert response is not None and response.status == 403
        csrf = await page.evaluate("document.querySelector('input[name=_csrf]').value")
        refused = await page.request.post("/clients/new", form={"_csrf": csrf, "name": "Not allowed"}, max_redirects=0)
        assert refused.status == 403
        await page.goto("/clients")
        await expect(page.locator("tbody")).not_to_contain_text("Not allowed")
