"""Issued documents through the real gateway (issue 20, "Documents"): the status fields a
finalized or cancelled document may still change, an estimate converted once, and dates (a due
date before the issue date; paid on the date of the payment that settled it)."""

from __future__ import annotations

import asyncpg

from tests.events import read_events
from tests.stack import BUYER, Stack, created, ready_account, unique

LINES = [{"description": "Work", "quantity": "2", "unit_price": "100"}]  # 200.00 + 19 % = 238.00


async def audit_actions(stack: Stack, entity_id: str) -> list[str]:
    conn = await asyncpg.connect(stack.database_url)
    try:
        rows = await conn.fetch("SELECT action FROM invoices.audit_log WHERE entity_id = $1 ORDER BY id", entity_id)
    finally:
        await conn.close()
    return [row["action"] for row in rows]


async def test_an_issued_document_changes_only_its_sent_and_custom_status(stack: Stack) -> None:
    api = await ready_account(stack, unique("Status GmbH"))
    draft = await created(api, "/invoices", {"client": BUYER, "lines": LINES, "issue_date": "2026-11-02", "due_date": "2099-01-31"})
    refused = await api.patch(f"/invoices/{draft['id']}", json={"sent": True})
    assert refused.status_code == 409 and [d["field"] for d in refused.json()["error"]["details"]] == ["sent"], refused.text
    issued = (await api.post(f"/invoices/{draft['id']}/finalize")).json()
    path = f"/invoices/{issued['id']}"

    content = await api.patch(path, json={"notes": "changed", "custom_status": {"name": "disputed"}})
    assert content.status_code == 409 and content.json()["error"]["code"] == "DOCUMENT_FINALIZED", content.text
    assert [d["field"] for d in content.json()["error"]["details"]] == ["notes"]
    assert "notes" in content.json()["error"]["message"]
    assert (await api.get(path)).json() == issued  # nothing of the refused patch was written
    assert (await api.patch(path, json={})).json() == issued  # an empty patch changes nothing (and is not audited)
    for field, value in (("lines", LINES), ("due_date", "2026-12-31"), ("client", BUYER)):
        answer = await api.patch(path, json={field: value})
        assert answer.status_code == 409 and answer.json()["error"]["details"][0]["field"] == field, (field, answer.text)

    early = await api.patch(path, json={"sent": True, "sent_date": "2026-11-01"})
    assert early.status_code == 422 and early.json()["error"]["details"][0]["field"] == "sent_date", early.text
    posted = await api.patch(path, json={"sent": True, "sent_date": "2026-11-03", "sent_notes": "posted, first class"})
    assert posted.status_code == 200, posted.text
    body = posted.json()
    assert (body["sent_date"], body["sent_notes"], body["sent_via"]) == ("2026-11-03", "posted, first class", "manual")
    assert body["sent_at"].startswith("2026-11-03") and body["states"] == ["open", "sent", "unpaid"]
    assert body["version"] == issued["version"] and body["totals"] == issued["totals"]  # the document itself is unchanged
    assert [d["id"] for d in (await api.get("/invoices", params={"status": "sent"})).json()["items"]] == [issued["id"]]

    status = await api.patch(path, json={"custom_status": {"name": "disputed", "date": "2026-11-10", "notes": "client called"}})
    assert status.status_code == 200, status.text
    assert status.json()["custom_status"] == {"name": "disputed", "date": "2026-11-10", "notes": "client called"}
    assert status.json()["sent_date"] == "2026-11-03"  # untouched
    taken_back = (await api.patch(path, json={"sent": False})).json()
    assert (taken_back["sent_at"], taken_back["sent_date"], taken_back["states"]) == (None, None, ["open", "unpaid"])
    assert (await api.patch(path, json={"sent_notes": "handed over"})).json()["sent_via"] == "manual"  # details imply sent

    # Paid follows the payments, never a patch.
    paid = await api.patch(path, json={"status": "paid"})
    assert paid.status_code == 422 and paid.json()["error"]["details"][0]["field"] == "status", paid.text
    assert (await api.post(f"{path}/cancel", json={"reason": "wrong client"})).status_code == 201
    cancelled_sent = await api.patch(path, json={"sent": False})
    assert cancelled_sent.status_code == 409, cancelled_sent.text
    assert [d["field"] for d in cancelled_sent.json()["error"]["details"]] == ["sent"]
    assert "cancelled" in cancelled_sent.json()["error"]["message"]
    archived = await api.patch(path, json={"custom_status": {"name": "archived"}})
    assert archived.status_code == 200 and archived.json()["custom_status"]["name"] == "archived", archived.text
    assert (await api.patch(path, json={"custom_status": None})).json()["custom_status"] is None

    assert await audit_actions(stack, issued["id"]) == [
        "create", "finalize", "mark-sent", "custom-status", "unmark-sent", "mark-sent", "cancel", "custom-status", "custom-status",
    ]
    sent_events = await read_events(stack, {"invoice.sent"}, issued["id"], count=2)
    assert len(sent_events) == 2  # marked sent twice (the mark was taken back in between), each time announced


async def test_an_estimate_is_converted_once(stack: Stack) -> None:
    api = await ready_account(stack, unique("Angebot GmbH"))
    estimate = await created(api, "/documents", {"type": "estimate", "client": BUYER, "lines": LINES})
    first = await api.post(f"/estimates/{estimate['id']}/convert")
    assert first.status_code == 201, first.text
    invoice = first.json()
    assert (await api.get(f"/documents/{estimate['id']}")).json()["converted_to"]["id"] == invoice["id"]

    again = await api.post(f"/estimates/{estimate['id']}/convert")
    assert again.status_code == 409 and again.json()["error"]["code"] == "INVALID_DOCUMENT_STATE", again.text
    assert invoice["id"] in again.json()["error"]["message"]
    issued = (await api.post(f"/invoices/{invoice['id']}/finalize")).json()
    named = (await api.post(f"/estimates/{estimate['id']}/convert")).json()["error"]
    assert issued["number"] in named["message"] and named["details"][0]["field"] == "converted_to"
    assert (await api.get("/invoices")).json()["total"] == 1  # no second invoice was made

    other = await created(api, "/documents", {"type": "estimate", "client": BUYER, "lines": LINES})
    dropped = (await api.post(f"/estimates/{other['id']}/convert")).json()
    assert (await api.delete(f"/invoices/{dropped['id']}")).status_code == 204
    redone = await api.post(f"/estimates/{other['id']}/convert")  # the draft it became is gone: it converts again
    assert redone.status_code == 201 and redone.json()["id"] != dropped["id"], redone.text
    assert "convert" in await audit_actions(stack, estimate["id"])


async def test_due_before_issue_is_refused_and_paid_is_the_payments_date(stack: Stack) -> None:
    api = await ready_account(stack, unique("Datum GmbH"))
    refused = await api.post("/invoices", json={"client": BUYER, "lines": LINES, "issue_date": "2026-11-10", "due_date": "2026-11-09"})
    assert refused.status_code == 422 and [d["field"] for d in refused.json()["error"]["details"]] == ["due_date"], refused.text
    draft = await created(api, "/invoices", {"client": BUYER, "lines": LINES, "due_date": "2026-01-31"})
    moved = await api.patch(f"/invoices/{draft['id']}", json={"issue_date": "2026-02-01"})
    assert moved.status_code == 422 and moved.json()["error"]["details"][0]["field"] == "due_date", moved.text
    late = await api.post(f"/invoices/{draft['id']}/finalize")  # issued today, after its due date
    assert late.status_code == 422 and late.json()["error"]["details"][0]["field"] == "due_date", late.text
    assert (await api.get(f"/invoices/{draft['id']}")).json()["status"] == "draft"

    invoice = await created(api, "/invoices", {"client": BUYER, "lines": LINES, "issue_date": "2026-10-01", "due_days": 30})
    invoice = (await api.post(f"/invoices/{invoice['id']}/finalize")).json()
    path = f"/invoices/{invoice['id']}"
    assert (await api.post(f"{path}/payments", json={"amount": "100.00", "date": "2026-10-05"})).status_code == 201
    assert (await api.post(f"{path}/payments", json={"amount": "138.00", "date": "2026-10-20"})).status_code == 201
    paid = (await api.get(path)).json()
    assert (paid["status"], paid["paid_date"]) == ("paid", "2026-10-20")
    assert paid["paid_at"].startswith("2026-10-20")  # the settling payment's date, not when it was recorded

    other = (await api.post(f"/invoices/{(await created(api, '/invoices', {'client': BUYER, 'lines': LINES}))['id']}/finalize")).json()
    marked = (await api.post(f"/invoices/{other['id']}/mark-paid", json={"date": "2026-09-30"})).json()
    assert (marked["paid_date"], marked["paid_at"][:10]) == ("2026-09-30", "2026-09-30")
    events = await read_events(stack, {"invoice.paid"}, invoice["id"])
    assert events[0]["data"]["paid_date"] == "2026-10-20"
