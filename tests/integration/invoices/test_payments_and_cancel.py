"""Payments, paid state and its event, cancellation by credit note, copies and conversion."""

from __future__ import annotations

from tests.events import read_events
from tests.stack import BUYER, Stack, ready_account

LINES = [{"description": "Work", "quantity": "2", "unit_price": "100"}]  # 200.00 + 19 % = 238.00


async def issued_invoice(api) -> dict:
    draft = (await api.post("/invoices", json={"client": BUYER, "lines": LINES})).json()
    response = await api.post(f"/invoices/{draft['id']}/finalize")
    assert response.status_code == 200, response.text
    return response.json()


async def test_partial_payments_settle_the_invoice_and_announce_paid_once(stack: Stack) -> None:
    api = await ready_account(stack, "Payments GmbH")
    invoice = await issued_invoice(api)
    assert invoice["balance_due"] == "238.00"
    base = f"/invoices/{invoice['id']}"

    first = await api.post(f"{base}/payments", json={"amount": "100.00", "date": "2026-11-01", "reference": "bank 1"})
    assert first.status_code == 201, first.text
    partial = (await api.get(base)).json()
    assert (partial["status"], partial["amount_paid"], partial["balance_due"]) == ("open", "100.00", "138.00")
    assert partial["states"] == ["open", "partially_paid"]
    assert (await api.get("/invoices", params={"status": "partially_paid"})).json()["total"] == 1

    over = await api.post(f"{base}/payments", json={"amount": "138.01"})
    assert over.status_code == 422 and over.json()["error"]["details"][0]["field"] == "amount"
    assert (await api.post(f"{base}/payments", json={"amount": "0"})).status_code == 422
    assert (await api.post(f"{base}/payments", json={"amount": "1.001"})).status_code == 422
    for amount in ("NaN", "Infinity", "-5", "1e400"):
        refused = await api.post(f"{base}/payments", json={"amount": amount})
        assert refused.status_code == 422 and refused.json()["error"]["details"][0]["field"] == "amount", (amount, refused.text)
    assert len((await api.get(f"{base}/payments")).json()) == 1  # nothing refused was written

    assert (await api.post(f"{base}/payments", json={"amount": "138.00"})).status_code == 201
    paid = (await api.get(base)).json()
    assert (paid["status"], paid["balance_due"]) == ("paid", "0.00") and paid["paid_at"] and paid["states"] == ["paid"]
    assert [p["amount"] for p in (await api.get(f"{base}/payments")).json()] == ["100.00", "138.00"]
    assert (await api.post(f"{base}/payments", json={"amount": "1"})).status_code == 422  # nothing is due

    # Taking one payment back opens it again; paying again is a new "paid".
    payment_id = first.json()["id"]
    assert (await api.delete(f"{base}/payments/{payment_id}")).status_code == 204
    assert (await api.get(base)).json()["status"] == "open"
    assert (await api.post(f"{base}/mark-paid", json={"note": "cash at the door"})).json()["status"] == "paid"
    assert (await api.post(f"{base}/mark-paid")).json()["status"] == "paid"  # already paid: no change
    unpaid = (await api.post(f"{base}/mark-unpaid")).json()
    assert (unpaid["status"], unpaid["amount_paid"], unpaid["balance_due"]) == ("open", "0.00", "238.00")
    assert unpaid["states"] == ["open", "unpaid"]

    events = await read_events(stack, {"invoice.paid"}, invoice["id"], count=2)
    paid_events = [e for e in events if e["type"] == "invoice.paid"]
    assert len(paid_events) == 2  # first settled by two payments, then again by mark-paid


async def test_each_documents_states_are_exactly_the_status_filters_that_list_it(stack: Stack) -> None:
    """`states` shows what lists filter on: a draft, an unpaid, a partly paid, a paid and a
    cancelled invoice (with its credit note) appear under exactly the filters their states name.
    Sent and overdue invoices: tests/e2e/test_send.py and test_overdue.py."""
    api = await ready_account(stack, "States GmbH")
    draft = (await api.post("/invoices", json={"client": BUYER, "lines": LINES})).json()
    unpaid = await issued_invoice(api)
    partly = await issued_invoice(api)
    assert (await api.post(f"/invoices/{partly['id']}/payments", json={"amount": "38"})).status_code == 201
    paid = await issued_invoice(api)
    assert (await api.post(f"/invoices/{paid['id']}/mark-paid")).status_code == 200
    cancelled = await issued_invoice(api)
    assert (await api.post(f"/invoices/{cancelled['id']}/cancel", json={"reason": "wrong"})).status_code == 201
    refunding = await issued_invoice(api)
    assert (await api.post(f"/invoices/{refunding['id']}/payments", json={"amount": "38"})).status_code == 201
    assert (await api.post(f"/invoices/{refunding['id']}/cancel")).status_code == 201

    documents = (await api.get("/documents", params={"limit": 100})).json()["items"]
    states = {d["id"]: d["states"] for d in documents}
    assert [states[d["id"]] for d in (draft, unpaid, partly, paid, cancelled, refunding)] == [
        ["draft"], ["open", "unpaid"], ["open", "partially_paid"], ["paid"], ["cancelled"], ["cancelled", "refund_due"],
    ]
    for state in ("draft", "open", "paid", "cancelled", "sent", "partially_paid", "overdue", "unpaid", "refund_due"):
        listed = {d["id"] for d in (await api.get("/documents", params={"status": state, "limit": 100})).json()["items"]}
        assert listed == {doc_id for doc_id, its in states.items() if state in its}, state


async def test_payments_need_an_open_invoice(stack: Stack) -> None:
    api = await ready_account(stack, "Strict GmbH")
    draft = (await api.post("/invoices", json={"client": BUYER, "lines": LINES})).json()
    refused = await api.post(f"/invoices/{draft['id']}/payments", json={"amount": "1"})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "INVALID_DOCUMENT_STATE"
    estimate = (await api.post("/documents", json={"type": "estimate", "client": BUYER, "lines": LINES})).json()
    assert (await api.post(f"/invoices/{estimate['id']}/payments", json={"amount": "1"})).status_code == 404


async def test_an_invoice_of_nothing_is_marked_paid_without_a_payment(stack: Stack) -> None:
    api = await ready_account(stack, "Gratis GmbH")
    draft = (await api.post("/invoices", json={"client": BUYER, "lines": [{"description": "Goodwill", "unit_price": "0"}]})).json()
    issued = (await api.post(f"/invoices/{draft['id']}/finalize")).json()
    assert (issued["status"], issued["totals"]["gross"]) == ("open", "0.00")
    paid = await api.post(f"/invoices/{issued['id']}/mark-paid", json={"note": "nothing to pay"})
    assert paid.status_code == 200, paid.text
    assert (paid.json()["status"], paid.json()["balance_due"]) == ("paid", "0.00") and paid.json()["paid_at"]
    assert (await api.get(f"/invoices/{issued['id']}/payments")).json() == []
    assert len(await read_events(stack, {"invoice.paid"}, issued["id"], count=1)) == 1


async def test_cancel_issues_a_credit_note_of_its_own_series(stack: Stack) -> None:
    api = await ready_account(stack, "Storno GmbH")
    invoice = await issued_invoice(api)
    cancelled = await api.post(f"/invoices/{invoice['id']}/cancel", json={"reason": "wrong buyer"})
    assert cancelled.status_code == 201, cancelled.text
    body = cancelled.json()
    assert body["credit_note_number"].startswith("CN-") and body["credit_note_number"].endswith("-0001")

    original = (await api.get(f"/invoices/{invoice['id']}")).json()
    assert original["status"] == "cancelled" and original["cancellation_reason"] == "wrong buyer"
    note = (await api.get(f"/documents/{body['credit_note_id']}")).json()
    assert note["type"] == "credit_note" and note["status"] == "open"
    assert note["preceding"]["number"] == invoice["number"]
    assert note["totals"]["gross"] == "-238.00" and [line["quantity"] for line in note["lines"]] == ["-2"]

    again = await api.post(f"/invoices/{invoice['id']}/cancel", json={"reason": "twice"})
    assert again.status_code == 409
    assert (await api.post(f"/invoices/{invoice['id']}/payments", json={"amount": "1"})).status_code == 409
    events = await read_events(stack, {"invoice.cancelled", "credit_note.finalized"}, invoice["id"], body["credit_note_id"])
    assert {e["type"] for e in events} == {"invoice.cancelled", "credit_note.finalized"}


async def test_cancel_refuses_drafts_and_takes_no_reason(stack: Stack) -> None:
    api = await ready_account(stack, "Careful GmbH")
    draft = (await api.post("/invoices", json={"client": BUYER, "lines": LINES})).json()
    assert (await api.post(f"/invoices/{draft['id']}/cancel", json={"reason": "x"})).status_code == 409
    invoice = await issued_invoice(api)
    assert (await api.post(f"/invoices/{invoice['id']}/cancel", json={"reason": ""})).status_code == 422
    plain = await api.post(f"/invoices/{invoice['id']}/cancel")  # no body: the reason is optional
    assert plain.status_code == 201, plain.text
    assert plain.json()["refund_due"] is None
    cancelled = (await api.get(f"/invoices/{invoice['id']}")).json()
    assert (cancelled["status"], cancelled["cancellation_reason"], cancelled["refund_due"]) == ("cancelled", None, None)
    assert cancelled["cancelled_by"]["id"] == plain.json()["credit_note_id"]
    refused = await api.post(f"/invoices/{invoice['id']}/refunds", json={"amount": "1"})
    assert refused.status_code == 409, refused.text  # nothing was paid: nothing to refund
    other = await issued_invoice(api)
    assert (await api.post(f"/invoices/{other['id']}/cancel", json={})).status_code == 201


async def test_duplicate_and_convert_start_new_drafts(stack: Stack) -> None:
    api = await ready_account(stack, "Copies GmbH")
    invoice = await issued_invoice(api)
    copy = await api.post(f"/invoices/{invoice['id']}/duplicate")
    assert copy.status_code == 201
    assert copy.json()["status"] == "draft" and copy.json()["number"] is None
    assert copy.json()["totals"] == invoice["totals"] and copy.json()["id"] != invoice["id"]

    estimate = (await api.post("/documents", json={"type": "estimate", "client": BUYER, "lines": LINES})).json()
    converted = await api.post(f"/estimates/{estimate['id']}/convert")
    assert converted.status_code == 201
    assert converted.json()["type"] == "invoice" and converted.json()["preceding"]["id"] == estimate["id"]
    assert (await api.post(f"/estimates/{invoice['id']}/convert")).status_code == 404
