"""Approvals over the API, on the real stack: a key whose policy holds an action back gets 202
and a pending approval; another key approves (the action runs once, as the key that asked) or
rejects (nothing happens); a document changed meanwhile, a second decision and an expired
approval change nothing. Sending is checked to the SMTP server: exactly one e-mail."""

from __future__ import annotations

import asyncio

import asyncpg

from billwire_invoices.accounts.approvals.handlers import expire_approvals
from tests.e2e.test_send import Outbox, outbox, wait_for_send  # noqa: F401 - the module's mailer and SMTP server
from tests.events import read_events
from tests.stack import BUYER, Api, Stack, ready_account

LINES = [{"description": "Consulting", "quantity": "2", "unit_price": "100"}]


async def agent_of(stack: Stack, admin: Api, held: list[str]) -> Api:
    created = await admin.post("/settings/api-keys", json={"name": "agent", "scopes": ["read", "write", "email:send"],
                                                          "requires_approval": held})
    assert created.status_code == 201, created.text
    assert created.json()["requires_approval"] == sorted(held)
    return stack.api(created.json()["key"])


async def draft(api: Api, email: str = "ap@globex.example") -> dict:
    response = await api.post("/invoices", json={"client": BUYER | {"email": email}, "lines": LINES})
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_held_finalize_waits_for_approval_and_runs_once_as_the_agent(stack: Stack) -> None:
    admin = await ready_account(stack, "Approvals GmbH")
    agent = await agent_of(stack, admin, ["finalize", "send"])
    invoice = await draft(agent)

    asked = await agent.post(f"/invoices/{invoice['id']}/finalize")
    assert asked.status_code == 202, asked.text
    approval = asked.json()
    assert approval["state"] == "pending" and approval["pending"] is True and approval["action"] == "finalize"
    assert approval["preview"]["number_after"] and approval["expected_total"] == "238.00"
    assert approval["approve_url"] == f"/approvals/{approval['id']}"
    assert (await agent.get(f"/invoices/{invoice['id']}")).json()["status"] == "draft"

    # The agent cannot approve its own action; the service refuses a held action that skips the gateway too.
    refused = await agent.post(f"/approvals/{approval['id']}/approve")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "FORBIDDEN", refused.text
    pending = (await admin.get("/approvals", params={"state": "pending"})).json()
    assert [a["id"] for a in pending["items"]] == [approval["id"]]
    stranger = await ready_account(stack, "Stranger GmbH")  # another account never sees or decides it
    assert (await stranger.get(f"/approvals/{approval['id']}")).status_code == 404
    assert (await stranger.post(f"/approvals/{approval['id']}/approve")).status_code == 404
    assert (await stranger.get("/approvals")).json()["total"] == 0

    first, second = await asyncio.gather(
        admin.post(f"/approvals/{approval['id']}/approve"), admin.post(f"/approvals/{approval['id']}/approve"),
    )
    assert sorted([first.status_code, second.status_code]) == [200, 409], (first.text, second.text)
    done = first.json() if first.status_code == 200 else second.json()
    assert done["state"] == "approved" and done["result"]["document"]["status"] == "open", done
    issued = (await agent.get(f"/invoices/{invoice['id']}")).json()
    assert issued["status"] == "open" and issued["number"] == approval["preview"]["number_after"]
    assert (await agent.get(f"/approvals/{approval['id']}")).json()["state"] == "approved"

    audit = await _audit_keys(stack, invoice["id"])
    agent_key = approval["key_id"]
    assert audit == [("create", agent_key), ("finalize", agent_key)], audit
    events = await read_events(stack, {"approval.requested", "approval.approved"}, approval["id"])
    assert [e["type"] for e in events] == ["approval.requested", "approval.approved"]


async def test_rejected_changed_and_expired_approvals_change_nothing(stack: Stack) -> None:
    admin = await ready_account(stack, "Careful GmbH")
    agent = await agent_of(stack, admin, ["finalize"])

    rejected_doc = await draft(agent)
    asked = (await agent.post(f"/invoices/{rejected_doc['id']}/finalize")).json()
    no = await admin.post(f"/approvals/{asked['id']}/reject", json={"reason": "not this month"})
    assert no.status_code == 200 and no.json()["state"] == "rejected" and no.json()["reason"] == "not this month", no.text
    late = await admin.post(f"/approvals/{asked['id']}/approve")
    assert late.status_code == 409 and late.json()["error"]["code"] == "APPROVAL_NOT_PENDING", late.text
    assert (await agent.get(f"/invoices/{rejected_doc['id']}")).json()["status"] == "draft"

    changed_doc = await draft(agent)
    asked = (await agent.post(f"/invoices/{changed_doc['id']}/finalize")).json()
    edited = await agent.patch(f"/invoices/{changed_doc['id']}", json={"lines": LINES + LINES})
    assert edited.status_code == 200, edited.text
    failed = (await admin.post(f"/approvals/{asked['id']}/approve")).json()
    assert failed["state"] == "failed" and "changed" in failed["reason"], failed
    assert (await agent.get(f"/invoices/{changed_doc['id']}")).json()["status"] == "draft"

    expired_doc = await draft(agent)
    asked = (await agent.post(f"/invoices/{expired_doc['id']}/finalize")).json()
    assert stack.invoices.pool is not None
    async with stack.invoices.pool.acquire() as conn:  # the scheduler's own step, on the service's pool
        await conn.execute("UPDATE approvals SET expires_at = now() - interval '1 minute' WHERE id = $1", asked["id"])
        assert await expire_approvals(conn) >= 1
    assert (await admin.get(f"/approvals/{asked['id']}")).json()["state"] == "expired"
    assert (await admin.post(f"/approvals/{asked['id']}/approve")).status_code == 409
    assert (await agent.get(f"/invoices/{expired_doc['id']}")).json()["status"] == "draft"
    events = await read_events(stack, {"approval.expired"}, asked["id"])
    assert events[0]["data"]["state"] == "expired"


async def test_an_action_that_would_be_refused_is_refused_at_once_without_an_approval(stack: Stack) -> None:
    admin = await ready_account(stack, "Refused GmbH")
    agent = await agent_of(stack, admin, ["finalize"])
    empty = (await agent.post("/invoices", json={"client": BUYER, "lines": []})).json()
    refused = await agent.post(f"/invoices/{empty['id']}/finalize")
    assert refused.status_code == 422, refused.text
    assert (await admin.get("/approvals")).json()["total"] == 0


async def test_an_approved_send_delivers_exactly_one_email(stack: Stack, outbox: Outbox) -> None:  # noqa: F811
    admin = await ready_account(stack, "Sending Approvals GmbH")
    agent = await agent_of(stack, admin, ["send"])
    invoice = await draft(agent, "ap@approved.example")
    asked = await agent.post(f"/invoices/{invoice['id']}/send", json={"cc": ["boss@approved.example"]})
    assert asked.status_code == 202, asked.text
    approval = asked.json()
    assert approval["state"] == "pending" and approval["preview"]["to"] == ["ap@approved.example"]
    assert approval["preview"]["cc"] == ["boss@approved.example"]

    rejected_doc = await draft(agent, "ap@rejected.example")
    no = (await agent.post(f"/invoices/{rejected_doc['id']}/send")).json()
    assert (await admin.post(f"/approvals/{no['id']}/reject")).json()["state"] == "rejected"

    done = (await admin.post(f"/approvals/{approval['id']}/approve")).json()
    assert done["state"] == "approved", done
    sent = await wait_for_send(admin, invoice["id"], {"delivered", "failed"})
    assert sent["state"] == "delivered" and sent["id"] == done["result"]["send"]["id"]
    await asyncio.sleep(1)  # a second e-mail, were there one, would be handed over by now
    assert len(outbox.messages_to("ap@approved.example")) == 1
    assert outbox.messages_to("ap@rejected.example") == []
    assert (await admin.get(f"/invoices/{rejected_doc['id']}/sends")).json() == []


async def _audit_keys(stack: Stack, document_id: str) -> list[tuple[str, str]]:
    conn = await asyncpg.connect(stack.database_url, server_settings={"search_path": "invoices"})
    try:
        rows = await conn.fetch("SELECT action, key_id FROM audit_log WHERE entity_id = $1 ORDER BY id", document_id)
    finally:
        await conn.close()
    return [(row["action"], str(row["key_id"])) for row in rows]
