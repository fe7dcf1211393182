"""Sending, end to end: HTTP send → rendering renders the PDF in Chromium → the mailer hands one
e-mail with that PDF to a real SMTP server → the invoice shows sent → the example subscriber
prints `invoice.sent`; every event an invoice's life causes is in the public catalog as
documented, or internal."""

from __future__ import annotations

import asyncio
import email
import email.policy
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import msgspec
import nats
import pytest_asyncio
from aiosmtpd.controller import Controller

from billwire_cli.embedded import free_port
from billwire_mailer.app import MailerService, MailerSettings
from billwire_shared.contracts.public_events import PUBLIC_EVENTS
from billwire_shared.subjects import Names
from tests.e2e.test_subscriber import Subscriber
from tests.events import read_events
from tests.integration.mailer.conftest import SmtpSink
from tests.stack import BUYER, Stack, ready_account

QUOTA = 3  # e-mails per account and day, for this module's mailer


class Outbox:
    """The module's SMTP server, and the mailer replica that talks to it."""

    def __init__(self, sink: SmtpSink, port: int) -> None:
        self.sink, self.port = sink, port
        self.relay: Controller | None = None

    def relay_up(self) -> None:
        self.relay = Controller(self.sink, hostname="127.0.0.1", port=self.port)
        self.relay.start()

    def relay_down(self) -> None:
        """Nothing listens on the relay's port: connections are refused."""
        if self.relay is not None:
            self.relay.stop()
            self.relay = None

    def messages_to(self, address: str) -> list[email.message.EmailMessage]:
        found = [email.message_from_bytes(r.content, policy=email.policy.SMTP) for r in self.sink.received if address in r.rcpt_tos]
        return found  # type: ignore[return-value]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def outbox(stack: Stack, rendering) -> AsyncIterator[Outbox]:
    box = Outbox(SmtpSink(), free_port())
    box.relay_up()
    try:
        settings = stack.settings(
            MailerSettings, smtp_port=box.port, smtp_from="billing@billwire.test", send_retry_delays="0.5,1,1,1",
            send_attempts=5, outbox_poll_interval=0.2, email_daily_quota=QUOTA,
        )
        async with MailerService(settings).running():
            yield box
    finally:
        box.relay_down()


async def wait_for_send(api, invoice_id: str, states: set[str], timeout: float = 60) -> dict:
    async with asyncio.timeout(timeout):
        while True:
            sends = (await api.get(f"/invoices/{invoice_id}/sends")).json()
            if sends and sends[-1]["state"] in states:
                return sends[-1]
            await asyncio.sleep(0.2)


async def test_send_delivers_one_email_with_the_pdf_and_marks_the_invoice_sent(stack: Stack, outbox: Outbox) -> None:
    api = await ready_account(stack, "Sender GmbH")
    buyer = BUYER | {"email": "ap@sendee.example"}
    draft = (await api.post("/invoices", json={"client": buyer, "lines": [{"description": "Consulting", "quantity": "4", "unit_price": "120"}]})).json()

    async with Subscriber(stack, "test-send-subscriber") as subscriber:  # examples/subscriber.py, its own process
        sent = await api.post(f"/invoices/{draft['id']}/send", params={"wait": 60}, json={"cc": ["boss@sendee.example"], "send_copy": True})
        assert sent.status_code == 202, sent.text
        assert sent.json()["state"] == "delivered", sent.json()
        seen = await subscriber.wait_for(draft["id"])

    invoice = (await api.get(f"/invoices/{draft['id']}")).json()
    assert seen.startswith(f"invoice.sent {invoice['number']} sent to {BUYER['name']}"), seen
    assert invoice["status"] == "open" and invoice["number"] and invoice["sent_at"]
    assert invoice["states"] == ["open", "sent", "unpaid"]
    mails = outbox.messages_to("ap@sendee.example")
    assert len(mails) == 1
    mail = mails[0]
    assert invoice["number"] in mail["Subject"] and "boss@sendee.example" in mail["Cc"]
    assert mail["Message-ID"].startswith(f"<{sent.json()['id']}@")
    assert "Bcc" not in mail and "billing@acme.example" in outbox.sink.received[-1].rcpt_tos
    attachment = next(part for part in mail.iter_attachments())
    assert attachment.get_filename() == f"{invoice['number']}.pdf"
    pdf = (await api.get(f"/invoices/{draft['id']}/pdf")).content
    assert attachment.get_content() == pdf and pdf.startswith(b"%PDF")

    events = await read_events(stack, {"invoice.sent"}, draft["id"])
    assert [e["data"]["number"] for e in events] == [invoice["number"]]
    assert (await api.get("/invoices", params={"status": "sent"})).json()["total"] == 1

    # Revenue statistics count it as sent; an issued invoice not sent is invoiced, not sent.
    unsent = (await api.post("/invoices", json={"client": buyer, "lines": [{"description": "x", "unit_price": "10"}]})).json()
    assert (await api.post(f"/invoices/{unsent['id']}/finalize")).status_code == 200
    stats = (await api.get("/stats", params={"period": "day", "date": invoice["issue_date"]})).json()
    [today] = stats["periods"]
    assert (today["invoiced_count"], today["sent_count"], today["sent"]) == (2, 1, invoice["totals"]["gross"]), today


async def test_a_rejected_recipient_ends_as_failed_with_the_reason(stack: Stack, outbox: Outbox) -> None:
    api = await ready_account(stack, "Bounce GmbH")
    outbox.sink.reject.add("nobody@sendee.example")
    draft = (await api.post("/invoices", json={"client": BUYER | {"email": "nobody@sendee.example"},
                                               "lines": [{"description": "x", "unit_price": "10"}]})).json()
    sent = await api.post(f"/invoices/{draft['id']}/send", params={"wait": 60})
    assert sent.json()["state"] == "failed" and "550" in sent.json()["reason"]
    assert (await api.get(f"/invoices/{draft['id']}")).json()["sent_at"] is None
    assert outbox.messages_to("nobody@sendee.example") == []


async def test_smtp_trouble_is_retried_and_still_sends_exactly_once(stack: Stack, outbox: Outbox) -> None:
    api = await ready_account(stack, "Patience GmbH")
    outbox.sink.fail_data = 2  # the relay answers 451 twice, then accepts
    draft = (await api.post("/invoices", json={"client": BUYER | {"email": "later@sendee.example"},
                                               "lines": [{"description": "x", "unit_price": "10"}]})).json()
    accepted = await api.post(f"/invoices/{draft['id']}/send")
    assert accepted.status_code == 202 and accepted.json()["state"] == "queued", accepted.text
    final = await wait_for_send(api, draft["id"], {"delivered", "failed"})
    assert final["state"] == "delivered"
    same = ("id", "document_id", "version", "to", "cc", "subject", "requested_at", "kind", "reminder_level")
    assert {k: final[k] for k in same} == {k: accepted.json()[k] for k in same}  # the answer is what was stored
    assert len(outbox.messages_to("later@sendee.example")) == 1


async def test_with_the_relay_down_then_up_the_invoice_is_sent_exactly_once(stack: Stack, outbox: Outbox) -> None:
    """Nothing listens on the relay's port for the first tries (connection refused); once the
    relay is back on the same port, the retried send delivers one e-mail."""
    api = await ready_account(stack, "Downtime GmbH")
    draft = (await api.post("/invoices", json={"client": BUYER | {"email": "outage@sendee.example"},
                                               "lines": [{"description": "x", "unit_price": "10"}]})).json()
    outbox.relay_down()
    try:
        accepted = await api.post(f"/invoices/{draft['id']}/send")
        assert accepted.status_code == 202, accepted.text
        conn = await asyncpg.connect(stack.database_url)
        try:
            async with asyncio.timeout(30):
                while not (refused := await conn.fetch(
                    "SELECT detail FROM mailer.attempts WHERE send_request_id = $1 AND outcome = 'transient'",
                    uuid.UUID(accepted.json()["id"]),
                )):
                    await asyncio.sleep(0.1)
        finally:
            await conn.close()
        assert all("could not reach the relay" in r["detail"] for r in refused)
        assert (await api.get(f"/invoices/{draft['id']}/sends")).json()[-1]["state"] == "queued"
    finally:
        outbox.relay_up()
    final = await wait_for_send(api, draft["id"], {"delivered", "failed"})
    assert final["state"] == "delivered", final
    assert len(outbox.messages_to("outage@sendee.example")) == 1
    assert (await api.get(f"/invoices/{draft['id']}")).json()["states"] == ["open", "sent", "unpaid"]


async def test_header_injection_and_bad_recipients_are_refused_before_anything_is_queued(stack: Stack, outbox: Outbox) -> None:
    api = await ready_account(stack, "Careful GmbH")
    draft = (await api.post("/invoices", json={"client": BUYER, "lines": [{"description": "x", "unit_price": "10"}]})).json()
    for body in ({"recipient": "a@b.example\r\nBcc: evil@x.example"}, {"recipient": "not an address"},
                 {"recipient": "a@b.example", "subject": "Hi\nBcc: evil@x.example"}, {"cc": ["x@y.example\n"]}):
        refused = await api.post(f"/invoices/{draft['id']}/send", json=body)
        assert refused.status_code == 422, (body, refused.text)
    assert (await api.get(f"/invoices/{draft['id']}")).json()["status"] == "draft"  # not even finalized
    assert (await api.get(f"/invoices/{draft['id']}/sends")).json() == []


async def test_a_copy_to_an_account_without_an_address_is_refused_naming_send_copy(stack: Stack, outbox: Outbox) -> None:
    api = await ready_account(stack, "Anonym GmbH")
    assert (await api.patch("/settings/profile", json={"email": None})).status_code == 200
    draft = (await api.post("/invoices", json={"client": BUYER, "lines": [{"description": "x", "unit_price": "10"}]})).json()
    refused = await api.post(f"/invoices/{draft['id']}/send", json={"send_copy": True})
    assert refused.status_code == 422 and [d["field"] for d in refused.json()["error"]["details"]] == ["send_copy"], refused.text
    assert (await api.get(f"/invoices/{draft['id']}")).json()["status"] == "draft"
    assert (await api.get(f"/invoices/{draft['id']}/sends")).json() == []


async def test_over_the_daily_quota_a_send_answers_429_and_queues_nothing(stack: Stack, outbox: Outbox) -> None:
    api = await ready_account(stack, "Busy GmbH")
    drafts = [
        (await api.post("/invoices", json={"client": BUYER | {"email": "busy@sendee.example"}, "lines": [{"description": "x", "unit_price": "10"}]})).json()
        for _ in range(QUOTA + 1)
    ]
    for draft in drafts[:QUOTA]:
        assert (await api.post(f"/invoices/{draft['id']}/send")).status_code == 202

    refused = await api.post(f"/invoices/{drafts[-1]['id']}/send")
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "EMAIL_QUOTA_EXCEEDED", refused.text
    last = (await api.get(f"/invoices/{drafts[-1]['id']}")).json()
    assert last["status"] == "draft" and last["number"] is None  # its finalize rolled back with it: no number spent
    assert (await api.get(f"/invoices/{drafts[-1]['id']}/sends")).json() == []
    usage = (await api.get("/usage")).json()
    assert (usage["emails_today"], usage["emails_daily_limit"]) == (QUOTA, QUOTA)
    emails = usage["emails"]
    assert (emails["max"], emails["used"], emails["remaining"], emails["unlimited"]) == (QUOTA, QUOTA, 0, False)
    assert emails["day"] == datetime.now(UTC).date().isoformat() and emails["resets_at"].startswith(
        (datetime.now(UTC).date() + timedelta(days=1)).isoformat())


async def test_a_send_whose_transaction_fails_after_its_reservation_gives_the_quota_back(stack: Stack, outbox: Outbox) -> None:
    api = await ready_account(stack, "Unlucky GmbH")
    draft = (await api.post("/invoices", json={"client": BUYER | {"email": "unlucky@sendee.example"},
                                               "lines": [{"description": "x", "unit_price": "10"}]})).json()
    conn = await asyncpg.connect(stack.database_url)
    try:  # the database refuses this account's send row: the failure comes after the quota was taken
        account_id = await conn.fetchval("SELECT account_id FROM invoices.documents WHERE id = $1::uuid", draft["id"])
        await conn.execute(f"""
            CREATE FUNCTION invoices.refuse_unlucky_send() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.account_id = '{account_id}'::uuid THEN RAISE EXCEPTION 'refused by the test'; END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER refuse_unlucky_send BEFORE INSERT ON invoices.sends FOR EACH ROW EXECUTE FUNCTION invoices.refuse_unlucky_send();
        """)
        failed = await api.post(f"/invoices/{draft['id']}/send")
        assert failed.status_code == 500, failed.text
        assert (await api.get("/usage")).json()["emails_today"] == 0
        assert (await api.get(f"/invoices/{draft['id']}")).json()["status"] == "draft"
    finally:
        await conn.execute("DROP TRIGGER IF EXISTS refuse_unlucky_send ON invoices.sends; DROP FUNCTION IF EXISTS invoices.refuse_unlucky_send()")
        await conn.close()

    assert (await api.post(f"/invoices/{draft['id']}/send", params={"wait": 60})).json()["state"] == "delivered"
    assert (await api.get("/usage")).json()["emails_today"] == 1


# What the services tell each other, not offered to outside subscribers (not in the catalog).
INTERNAL = {"invoice.send_requested", "document.rendered", "email.delivered", "email.failed",
            "estimate.created", "estimate.updated", "estimate.finalized"}
# Emitted by the schedulers: tests/e2e/test_reminders.py, tests/integration/invoices/test_recurring.py,
# tests/e2e/test_approvals.py (expiry)
SCHEDULED = {"invoice.overdue", "invoice.reminder_sent", "recurring_invoice.run_failed", "approval.expired"}


async def test_every_event_of_an_invoices_life_is_in_the_public_catalog_as_documented(stack: Stack, outbox: Outbox) -> None:
    """An account's whole life through the API (a recurring invoice's too); every event it causes is either public, with
    a payload its documented envelope (the AsyncAPI schema) decodes (every required field, every
    type), or one the services keep among themselves; the catalog lists nothing that never happens."""
    api = await ready_account(stack, "Catalog GmbH")
    client = (await api.post("/clients", json=BUYER | {"email": "ap@catalog.example"})).json()
    assert (await api.patch(f"/clients/{client['id']}", json={"notes": "pays fast"})).status_code == 200
    gone = (await api.post("/clients", json=BUYER | {"name": "Short-lived Ltd"})).json()
    assert (await api.delete(f"/clients/{gone['id']}")).status_code == 204
    lines = [{"description": "Consulting", "quantity": "2", "unit_price": "100"}]
    invoice = (await api.post("/invoices", json={"client_id": client["id"], "lines": lines})).json()
    assert (await api.patch(f"/invoices/{invoice['id']}", json={"notes": "Thank you"})).status_code == 200
    assert (await api.post(f"/invoices/{invoice['id']}/send", json={})).status_code == 202
    assert (await api.post(f"/invoices/{invoice['id']}/payments", json={"amount": "50"})).status_code == 201
    assert (await api.post(f"/invoices/{invoice['id']}/mark-paid")).status_code == 200
    wrong = (await api.post("/invoices", json={"client_id": client["id"], "lines": lines})).json()
    assert (await api.post(f"/invoices/{wrong['id']}/finalize")).status_code == 200
    assert (await api.post(f"/invoices/{wrong['id']}/payments", json={"amount": "20"})).status_code == 201
    assert (await api.post(f"/invoices/{wrong['id']}/cancel", json={"reason": "wrong client"})).status_code == 201
    assert (await api.post(f"/invoices/{wrong['id']}/refunds", json={})).status_code == 201  # the payment paid back
    scrap = (await api.post("/invoices", json={"client_id": client["id"], "lines": lines})).json()
    assert (await api.delete(f"/invoices/{scrap['id']}")).status_code == 204
    estimate = (await api.post("/documents", json={"type": "estimate", "client_id": client["id"], "lines": lines})).json()
    assert (await api.post(f"/documents/{estimate['id']}/finalize")).status_code == 200
    assert (await api.post(f"/estimates/{estimate['id']}/convert")).status_code == 201
    recurring = (await api.post("/recurring-invoices", json={
        "client_id": client["id"], "lines": lines, "schedule": {"frequency": "monthly", "start": "2045-01-01"}})).json()
    assert (await api.patch(f"/recurring-invoices/{recurring['id']}", json={"notes": "{month}"})).status_code == 200
    for action in ("pause", "resume", "end"):
        assert (await api.post(f"/recurring-invoices/{recurring['id']}/{action}")).status_code == 200
    assert (await api.delete(f"/recurring-invoices/{recurring['id']}")).status_code == 204
    key = (await api.post("/settings/api-keys", json={"name": "agent", "requires_approval": ["finalize"]})).json()
    agent = stack.api(key["key"])
    decided = []
    for decision in ("approve", "reject", "changed"):  # approved, rejected, failed
        held = (await agent.post("/invoices", json={"client_id": client["id"], "lines": lines})).json()
        asked = (await agent.post(f"/invoices/{held['id']}/finalize")).json()
        if decision == "changed":
            assert (await agent.patch(f"/invoices/{held['id']}", json={"notes": "changed"})).status_code == 200
        decided.append((await api.post(f"/approvals/{asked['id']}/{'reject' if decision == 'reject' else 'approve'}")).json())
    assert [approval["state"] for approval in decided] == ["approved", "rejected", "failed"]
    await read_events(stack, {"invoice.sent"}, invoice["id"], timeout=60)
    await read_events(stack, {"recurring_invoice.deleted"}, recurring["id"])
    await read_events(stack, {"approval.failed"}, decided[-1]["id"])

    account_id = (await read_events(stack, {"client.created"}, client["id"]))[0]["account_id"]
    raw = await _account_events(stack, account_id)
    catalog = {event.type: event for event in PUBLIC_EVENTS}
    types = [msgspec.json.decode(data)["type"] for _, data in raw]
    assert set(types) - set(catalog) - INTERNAL == set(), "emitted, neither public nor known internal"
    assert set(catalog) - SCHEDULED - set(types) == set(), "in the catalog, never emitted here"
    for subject, data in raw:
        event_type = msgspec.json.decode(data)["type"]
        assert subject == f"{stack.prefix}.events.{event_type}"
        if event_type in catalog:
            typed = msgspec.json.decode(data, type=catalog[event_type].envelope)  # fails on a missing field or a wrong type
            assert str(typed.account_id) == account_id


async def _account_events(stack: Stack, account_id: str) -> list[tuple[str, bytes]]:
    """(subject, payload) of every event of the account on the run's EVENTS stream, in order,
    up to the stream's last message when asked."""
    nc = await nats.connect(stack.nats_url)
    try:
        js = nc.jetstream()
        last = (await js.stream_info(Names(stack.prefix).events_stream)).state.last_seq
        sub = await js.subscribe(f"{stack.prefix}.events.>", ordered_consumer=True)
        found: list[tuple[str, bytes]] = []
        while True:
            msg = await sub.next_msg(timeout=10)
            if msgspec.json.decode(msg.data)["account_id"] == account_id:
                found.append((msg.subject, msg.data))
            if msg.metadata.sequence.stream >= last:
                return found
    finally:
        await nc.close()
