"""Approvals of an agent over MCP and of every held action over REST: a confirmed tool answers
the pending approval (with an absolute approve_url), `get_approval` tells the outcome; cancel,
mark_unpaid, delete and record_payment wait for approval like finalize and send do."""

from __future__ import annotations

from tests.e2e.test_approvals import agent_of, draft
from tests.e2e.test_mcp import call, mcp_session
from tests.stack import Stack, ready_account, unique


async def test_an_agent_over_mcp_gets_the_approval_and_learns_the_outcome(stack: Stack) -> None:
    admin = await ready_account(stack, unique("MCP Approvals GmbH"))
    agent = await agent_of(stack, admin, ["finalize", "record_payment"])
    invoice = await draft(agent)
    async with stack.served() as base, mcp_session(base, agent.key) as session:
        assert {"get_approval", "list_approvals"} <= {t.name for t in (await session.list_tools()).tools}
        preview = await call(session, "finalize_invoice", invoice_id=invoice["id"])
        assert preview["preview"] is True and preview["total"] == "238.00"
        pending = await call(session, "finalize_invoice", invoice_id=invoice["id"], confirm=True, expected_total="238.00")
        assert pending["state"] == "pending" and pending["action"] == "finalize"
        assert pending["approve_url"] == f"{base}/approvals/{pending['id']}"
        assert (await call(session, "get_approval", approval_id=pending["id"]))["state"] == "pending"

        done = await admin.post(f"/approvals/{pending['id']}/approve")
        assert done.status_code == 200 and done.json()["state"] == "approved", done.text
        told = await call(session, "get_approval", approval_id=pending["id"])
        assert told["state"] == "approved" and told["result"]["document"]["status"] == "open"
        assert [a["id"] for a in (await call(session, "list_approvals", state="approved"))["items"]] == [pending["id"]]

        payment = await call(session, "record_payment", invoice_id=invoice["id"], amount="38.00")
        assert payment["state"] == "pending" and payment["action"] == "record_payment"
        assert (await admin.get(f"/invoices/{invoice['id']}/payments")).json() == []
        assert (await admin.post(f"/approvals/{payment['id']}/approve")).json()["state"] == "approved"
        [booked] = (await admin.get(f"/invoices/{invoice['id']}/payments")).json()
        assert booked["amount"] == "38.00"


async def test_cancel_mark_unpaid_delete_and_payments_wait_for_approval(stack: Stack) -> None:
    admin = await ready_account(stack, unique("Held GmbH"))
    agent = await agent_of(stack, admin, ["cancel", "mark_unpaid", "delete", "record_payment"])
    issued = await draft(agent)
    assert (await agent.post(f"/invoices/{issued['id']}/finalize")).status_code == 200  # not held for this key

    asked = await agent.post(f"/invoices/{issued['id']}/payments", json={"amount": "238.00"})
    assert asked.status_code == 202 and asked.json()["preview"]["would"] == "record a payment of 238.00 EUR", asked.text
    assert (await admin.post(f"/approvals/{asked.json()['id']}/approve")).json()["state"] == "approved"
    assert (await agent.get(f"/invoices/{issued['id']}")).json()["status"] == "paid"

    asked = await agent.post(f"/invoices/{issued['id']}/mark-unpaid")
    assert asked.status_code == 202 and len(asked.json()["preview"]["payments_removed"]) == 1, asked.text
    assert (await admin.post(f"/approvals/{asked.json()['id']}/approve")).json()["state"] == "approved"
    assert (await agent.get(f"/invoices/{issued['id']}")).json()["status"] == "open"

    asked = await agent.post(f"/invoices/{issued['id']}/cancel", json={"reason": "wrong client"})
    assert asked.status_code == 202 and asked.json()["preview"]["credit_note_number"], asked.text
    cancelled = (await admin.post(f"/approvals/{asked.json()['id']}/approve")).json()
    assert cancelled["state"] == "approved" and cancelled["result"]["cancellation"]["credit_note_number"], cancelled
    assert (await agent.get(f"/invoices/{issued['id']}")).json()["status"] == "cancelled"

    doomed = await draft(agent)
    asked = await agent.delete(f"/invoices/{doomed['id']}")
    assert asked.status_code == 202 and asked.json()["action"] == "delete", asked.text
    assert (await agent.get(f"/invoices/{doomed['id']}")).status_code == 200
    assert (await admin.post(f"/approvals/{asked.json()['id']}/approve")).json()["state"] == "approved"
    assert (await agent.get(f"/invoices/{doomed['id']}")).status_code == 404
