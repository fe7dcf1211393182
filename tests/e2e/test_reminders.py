"""The account's e-mail templates and payment reminders, end to end: templates saved through
the gateway shape what a send e-mails; the scheduler's reminders go the send path (rendering
makes the PDF, the mailer hands one e-mail with it to a real SMTP server) once per invoice and
level; bad settings are refused with the field and change nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg

from billwire_invoices.lifecycle.scheduler import OverdueScheduler
from tests.e2e import test_send
from tests.e2e.test_send import Outbox, wait_for_send
from tests.stack import BUYER, Stack, ready_account

outbox = test_send.outbox  # this module's own SMTP server and mailer replica
TODAY = datetime.now(UTC).date()
GERMAN = {
    "subject": "Ihre Rechnung {number} von {sender}",
    "body": "Hallo {client},\n\nanbei {title} {number} über {total}, fällig am {due_date}.\n\n{sender}",
}
LINES = [{"description": "Beratung", "quantity": "2", "unit_price": "100"}]


async def invoice(api, email: str, days_overdue: int, **fields) -> dict:
    due = TODAY - timedelta(days=days_overdue)
    draft = (await api.post("/invoices", json={
        "client": BUYER | {"email": email}, "issue_date": (due - timedelta(days=14)).isoformat(),
        "due_date": due.isoformat(), "lines": LINES, **fields,
    })).json()
    issued = await api.post(f"/invoices/{draft['id']}/finalize")
    assert issued.status_code == 200, issued.text
    return issued.json()


def text_of(mail) -> str:
    return mail.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


async def test_a_custom_german_template_is_used_for_a_send(stack: Stack, outbox: Outbox) -> None:
    api = await ready_account(stack, "Vorlagen GmbH")
    saved = await api.put("/settings/email-templates", json={"templates": {"de": {"invoice": GERMAN}}})
    assert saved.status_code == 200, saved.text
    shown = (await api.get("/settings/email-templates")).json()
    assert shown["templates"]["de"]["invoice"] == GERMAN and shown["templates"]["en"]["invoice"] is None
    assert shown["defaults"]["en"]["invoice"]["body"].startswith("Hello,") and "{days_overdue}" in shown["defaults"]["de"]["reminder"]["body"]

    german = await invoice(api, "de@vorlagen.example", -14, language="de")
    sent = await api.post(f"/invoices/{german['id']}/send", params={"wait": 60})
    assert sent.json()["state"] == "delivered", sent.json()
    [mail] = outbox.messages_to("de@vorlagen.example")
    assert mail["Subject"] == f"Ihre Rechnung {german['number']} von Vorlagen GmbH"
    due = datetime.fromisoformat(german["due_date"]).strftime("%d.%m.%Y")
    assert text_of(mail).strip() == f"Hallo Globex Corporation,\n\nanbei Rechnung {german['number']} über 238.00 EUR, fällig am {due}.\n\nVorlagen GmbH"
    assert next(mail.iter_attachments()).get_filename() == f"{german['number']}.pdf"

    english = await invoice(api, "en@vorlagen.example", -14, language="en")  # no English template: the built-in text
    assert (await api.post(f"/invoices/{english['id']}/send", params={"wait": 60})).json()["state"] == "delivered"
    [mail] = outbox.messages_to("en@vorlagen.example")
    assert mail["Subject"] == f"Invoice {english['number']} – Vorlagen GmbH" and "please find attached" in text_of(mail)

    other = await invoice(api, "own@vorlagen.example", -14, language="de")  # the send's own subject still wins
    body = {"subject": "Eigener Betreff", "message": "Eigener Text"}
    assert (await api.post(f"/invoices/{other['id']}/send", params={"wait": 60}, json=body)).json()["state"] == "delivered"
    [mail] = outbox.messages_to("own@vorlagen.example")
    assert mail["Subject"] == "Eigener Betreff" and text_of(mail).strip() == "Eigener Text"


async def reminder_events(stack: Stack, invoice_id: str) -> list[int]:
    conn = await asyncpg.connect(stack.database_url)
    try:
        rows = await conn.fetch(
            "SELECT (convert_from(payload, 'UTF8')::jsonb->'data'->>'level')::int AS level FROM invoices.outbox"
            " WHERE subject = 'events.invoice.reminder_sent' AND published_at IS NOT NULL"
            " AND convert_from(payload, 'UTF8')::jsonb->'data'->>'invoice_id' = $1 ORDER BY id", invoice_id,
        )
    finally:
        await conn.close()
    return [r["level"] for r in rows]


async def test_reminders_arrive_once_with_the_pdf_and_escalate(stack: Stack, outbox: Outbox) -> None:
    api = await ready_account(stack, "Mahnwesen GmbH")
    levels = {"enabled": True, "levels": [{"days_after_due": 7}, {"days_after_due": 14}]}
    assert (await api.put("/settings/reminders", json=levels)).json() == levels
    reminder = {"subject": "{level}. Mahnung: {title} {number}", "body": "Seit {days_overdue} Tagen offen: {balance_due}."}
    assert (await api.put("/settings/email-templates", json={"templates": {"de": {"reminder": reminder}}})).status_code == 200
    first = await invoice(api, "first@mahn.example", 10)  # English, built-in text: level 1 is due
    second = await invoice(api, "second@mahn.example", 20, language="de")  # level 2 is due
    paid = await invoice(api, "paid@mahn.example", 20)
    assert (await api.post(f"/invoices/{paid['id']}/mark-paid")).status_code == 200

    scheduler = OverdueScheduler(stack.invoices.pool, interval=1, today=lambda: TODAY, request=stack.invoices.request)
    await scheduler.send_reminders()
    await scheduler.send_reminders()  # nothing more is due
    for doc in (first, second):
        assert (await wait_for_send(api, doc["id"], {"delivered", "failed"}))["state"] == "delivered"

    [mail] = outbox.messages_to("first@mahn.example")
    assert mail["Subject"] == f"Payment reminder 1: Invoice {first['number']} – Mahnwesen GmbH"
    assert "is 10 days overdue" in text_of(mail)
    attachment = next(mail.iter_attachments())
    pdf = (await api.get(f"/invoices/{first['id']}/pdf")).content
    assert attachment.get_filename() == f"{first['number']}.pdf" and attachment.get_content() == pdf
    [mail] = outbox.messages_to("second@mahn.example")
    assert mail["Subject"] == f"2. Mahnung: Rechnung {second['number']}"
    assert text_of(mail).strip() == "Seit 20 Tagen offen: 238.00 EUR."
    assert outbox.messages_to("paid@mahn.example") == [] and (await api.get(f"/invoices/{paid['id']}/sends")).json() == []

    shown = (await api.get(f"/invoices/{first['id']}")).json()
    assert shown["reminder_level"] == 1 and shown["last_reminder_at"] and shown["sent_at"] is None
    sends = (await api.get(f"/invoices/{first['id']}/sends")).json()
    assert [(s["kind"], s["reminder_level"], s["state"]) for s in sends] == [("reminder", 1, "delivered")]

    later = OverdueScheduler(stack.invoices.pool, interval=1, today=lambda: TODAY + timedelta(days=5), request=stack.invoices.request)
    await later.send_reminders()  # the first invoice is 15 days past due now; the second has had every level
    await later.send_reminders()
    assert (await wait_for_send(api, first["id"], {"delivered", "failed"}))["reminder_level"] == 2
    mails = outbox.messages_to("first@mahn.example")
    assert [m["Subject"].split(":")[0] for m in mails] == ["Payment reminder 1", "Payment reminder 2"]
    assert len(outbox.messages_to("second@mahn.example")) == 1
    assert (await api.get(f"/invoices/{first['id']}")).json()["reminder_level"] == 2
    for doc, expected in ((first, [1, 2]), (second, [2])):
        for _ in range(50):
            if await reminder_events(stack, doc["id"]) == expected:
                break
            await asyncio.sleep(0.2)
        assert await reminder_events(stack, doc["id"]) == expected


async def test_bad_settings_are_refused_with_the_field_and_change_nothing(stack: Stack) -> None:
    api = await ready_account(stack, "Strenge GmbH")
    good = {"templates": {"de": {"invoice": GERMAN}}}
    assert (await api.put("/settings/email-templates", json=good)).status_code == 200
    for field, template in [
        ("templates.de.invoice.subject", {"subject": "Rechnung {nummer}"}),
        ("templates.de.invoice.subject", {"subject": "{number.__class__}"}),
        ("templates.de.invoice.subject", {"subject": "Rechnung\r\nBcc: evil@x.example"}),
        ("templates.de.invoice.body", {"body": "Hallo {client"}),
        ("templates.de.invoice.body", {"body": "{total:.2f}"}),
        ("templates.de.invoice.body", {"body": "{level}. Stufe"}),  # only reminders know their level
        ("templates.de.invoice.subject", {"subject": ""}),
        ("templates.de.invoice.unknown", {"unknown": "x"}),
    ]:
        refused = await api.put("/settings/email-templates", json={"templates": {"de": {"invoice": template}}})
        assert refused.status_code == 422, (template, refused.text)
        assert refused.json()["error"]["details"][0]["field"] == field, (template, refused.json())
    refused = await api.put("/settings/email-templates", json={"templates": {"fr": {}}})
    assert refused.status_code == 422 and refused.json()["error"]["details"][0]["field"] == "templates.fr"
    assert (await api.get("/settings/email-templates")).json()["templates"]["de"]["invoice"] == GERMAN

    levels = {"enabled": True, "levels": [{"days_after_due": 7}, {"days_after_due": 14}]}
    assert (await api.put("/settings/reminders", json=levels)).status_code == 200
    for field, body in [
        ("levels[1].days_after_due", {"enabled": True, "levels": [{"days_after_due": 7}, {"days_after_due": 7}]}),
        ("levels[0].days_after_due", {"enabled": True, "levels": [{"days_after_due": 0}]}),
        ("levels", {"enabled": True, "levels": [{"days_after_due": d} for d in (1, 2, 3, 4)]}),
        ("enabled", {"enabled": "yes"}),
    ]:
        refused = await api.put("/settings/reminders", json=body)
        assert refused.status_code == 422, (body, refused.text)
        assert refused.json()["error"]["details"][0]["field"] == field, (body, refused.json())
    assert (await api.get("/settings/reminders")).json() == levels

    reader = (await api.post("/settings/api-keys", json={"scopes": ["read"]})).json()["key"]  # reminders need `write`, as a member's
    assert (await stack.api(reader).put("/settings/reminders", json={"enabled": False})).status_code == 403
    assert (await stack.api(reader).get("/settings/reminders")).json() == levels
