"""The Approvals inbox in a browser: an agent's key may only ask to send; the owner sees both
requests with their preview and the PDF, approves one (exactly one e-mail reaches the SMTP
server) and rejects the other through the one-time link the owners were e-mailed (nothing is
sent; the link works once); the keys page shows the policy."""

from __future__ import annotations

import asyncio
import email
import email.policy
import uuid
from urllib.parse import urlsplit

from playwright.async_api import expect

from billwire_shared import subjects
from billwire_shared.contracts import users as user_contracts
from billwire_shared.contracts.common import Caller
from tests.stack import BUYER
from tests.web.conftest import Web

PROFILE = {
    "company_name": "Inbox GmbH", "address": {"street": "Hauptstraße 1", "zip": "10115", "city": "Berlin", "country": "DE"},
    "vat_id": "DE136695976", "email": "billing@inbox.example",
    "bank": {"account_holder": "Inbox GmbH", "iban": "DE89370400440532013000", "bic": "COBADEFFXXX"},
}
LINES = [{"description": "Consulting", "quantity": "2", "unit_price": "100"}]
PASSWORD = "a long enough password"


def owner_mails(web: Web, address: str) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(envelope.content, policy=email.policy.SMTP)  # type: ignore[misc]
            for envelope in web.sink.received if address in envelope.rcpt_tos]


def mails_to(web: Web, address: str) -> int:
    return sum(address in envelope.rcpt_tos for envelope in web.sink.received)


async def test_an_owner_approves_one_send_and_rejects_another(web: Web) -> None:
    account_id, admin_key = await web.stack.new_account("Inbox GmbH")
    admin = web.stack.api(admin_key)
    assert (await admin.patch("/settings/profile", json=PROFILE)).status_code == 200
    owner_email = f"owner-{uuid.uuid4().hex[:6]}@inbox.example"
    user = user_contracts.UserInput(email=owner_email, role="owner", password=PASSWORD)
    bus = web.stack.gateways[0].state.bus
    await bus.call_typed(subjects.USER_CREATE, user_contracts.CreateUser(ctx=Caller(account_id=uuid.UUID(account_id)), user=user),
                         user_contracts.NewUser)
    key = await admin.post("/settings/api-keys", json={"name": "agent", "scopes": ["read", "write", "email:send"], "requires_approval": ["send"]})
    agent = web.stack.api(key.json()["key"])
    asked = {}
    for address in ("ap@approve.example", "ap@reject.example"):
        draft = (await agent.post("/invoices", json={"client": BUYER | {"email": address}, "lines": LINES})).json()
        response = await agent.post(f"/invoices/{draft['id']}/send")
        assert response.status_code == 202, response.text
        asked[address] = (draft["id"], response.json()["id"])

    async with web.page() as page:
        await web.sign_in(page, owner_email, PASSWORD)
        await page.get_by_role("link", name="Approvals").click()
        await expect(page.locator("#approvals tbody tr")).to_have_count(2)
        await expect(page.locator("#approvals")).to_contain_text("Send by e-mail")
        await web.shot(page, "approvals")

        document_id, approval_id = asked["ap@approve.example"]
        await page.goto(f"/approvals/{approval_id}")
        preview = page.locator("#preview")
        await expect(preview).to_contain_text("ap@approve.example")
        await expect(preview).to_contain_text("238.00")
        await web.shot(page, "approval")
        pdf = await page.request.get(await page.get_by_role("link", name="PDF").get_attribute("href") or "")
        assert pdf.ok and (await pdf.body()).startswith(b"%PDF")
        await page.get_by_role("button", name="Approve").click()
        await expect(page.get_by_text("Approved: the action ran.")).to_be_visible()
        await expect(page.locator(".badge-approved")).to_be_visible()
        await expect(page.get_by_role("button", name="Approve")).to_have_count(0)

        await page.goto("/settings/keys")
        await expect(page.locator("table")).to_contain_text("Needs approval for: Send by e-mail")

    # The owner was e-mailed about each request, with a one-time link that works signed out.
    async with asyncio.timeout(60):
        while len(owner_mails(web, owner_email)) < 2:
            await asyncio.sleep(0.2)
    _, rejected_id = asked["ap@reject.example"]
    [mail] = [m for m in owner_mails(web, owner_email) if rejected_id in m.get_content() or "reject.example" in m.get_content()]
    assert mail["Subject"].startswith("Approval requested: send") and "238.00 EUR" in mail["Subject"]
    link = urlsplit(next(line for line in mail.get_content().splitlines() if "/login/approval/" in line).strip()).path  # on this run's port
    async with web.page() as signed_out:
        await signed_out.goto(link)
        await expect(signed_out.locator("#preview")).to_contain_text("ap@reject.example")
        await web.shot(signed_out, "approval-link")
        await signed_out.get_by_label("Reason").fill("wrong client")
        await signed_out.get_by_role("button", name="Reject").click()
        await expect(signed_out.locator(".badge-rejected")).to_be_visible()
        await expect(signed_out.locator("#reason")).to_have_text("wrong client")
        await signed_out.goto(link)  # once only
        await expect(signed_out.get_by_text("This link cannot be used")).to_be_visible()
    assert (await admin.get(f"/approvals/{rejected_id}")).json()["state"] == "rejected"

    async with asyncio.timeout(60):
        while mails_to(web, "ap@approve.example") < 1:
            await asyncio.sleep(0.2)
    sends = (await admin.get(f"/invoices/{document_id}/sends")).json()
    assert [send["state"] for send in sends] == ["delivered"] or len(sends) == 1, sends
    await asyncio.sleep(1)  # a second e-mail, were there one, would be handed over by now
    assert mails_to(web, "ap@approve.example") == 1
    assert mails_to(web, "ap@reject.example") == 0
    assert (await admin.get(f"/invoices/{asked['ap@reject.example'][0]}/sends")).json() == []
