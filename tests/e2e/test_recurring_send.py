"""Recurring invoices that e-mail themselves, end to end: a scheduler replica (injected clock)
issues each period's invoice and queues its e-mail through the normal send path (the mailer's
quota, rendering's PDF in Chromium, the mailer's SMTP) → one e-mail per period arrives at the
SMTP server, with the period in its subject, and each invoice shows sent."""

from __future__ import annotations

from datetime import date

import pytest

from tests.e2e.test_send import Outbox, outbox, wait_for_send  # noqa: F401 - the module's SMTP server and mailer
from tests.integration.invoices.recurring_support import (  # noqa: F401 - settled is a fixture
    at,
    documents_of,
    events_about,
    new_client,
    new_template,
    replicas,
    settled,
)
from tests.stack import Stack, ready_account

pytestmark = pytest.mark.usefixtures("settled")


async def test_auto_send_delivers_one_email_per_period(stack: Stack, outbox: Outbox) -> None:  # noqa: F811 - the fixture
    api = await ready_account(stack, "Auto Sender GmbH")
    client = await new_client(api, email="sarah@retainer.example")
    template = await new_template(
        api, client["id"], {"frequency": "monthly", "start": "2043-01-01"},
        auto_send={"subject": "Rechnung {number} – Retainer {period}", "message": "Hallo Sarah,\n\nanbei die Rechnung für {month}."},
    )
    async with replicas(stack, request=stack.invoices.request) as [replica]:
        replica.clock = lambda: at(date(2043, 2, 10))  # January and February have come
        assert await replica.tick() == 2
        assert await replica.tick() == 0
    docs = await documents_of(api, template["id"])
    assert [d["period"]["start"] for d in docs] == ["2043-01-01", "2043-02-01"]
    for doc in docs:
        assert (await wait_for_send(api, doc["id"], {"delivered", "failed"}))["state"] == "delivered"
    mails = outbox.messages_to("sarah@retainer.example")
    assert sorted(mail["Subject"] for mail in mails) == [
        f"Rechnung {docs[0]['number']} – Retainer Januar 2043", f"Rechnung {docs[1]['number']} – Retainer Februar 2043"]
    for mail in mails:
        attachment = next(part for part in mail.iter_attachments())
        assert attachment.get_content().startswith(b"%PDF")
        assert "anbei die Rechnung für" in mail.get_body(("plain",)).get_content()
    after = [(await api.get(f"/invoices/{doc['id']}")).json() for doc in docs]
    assert all(doc["sent_at"] and doc["recurring_id"] == template["id"] for doc in after)
    sent = await events_about(stack, {"invoice.sent"}, "recurring_id", template["id"], count=2)
    assert sorted(e["data"]["period"]["start"] for e in sent) == ["2043-01-01", "2043-02-01"]
    runs = (await api.get(f"/recurring-invoices/{template['id']}")).json()["runs"]
    assert [r["state"] for r in runs] == ["queued", "queued"]
