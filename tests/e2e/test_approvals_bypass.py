"""A key whose policy holds an action back reaches it by no other road: not by creating a key
without the policy (that key could approve), not by mark-paid (a payment) or deleting payments
one by one (unpaid). Each refusal changes nothing."""

from __future__ import annotations

from tests.e2e.test_approvals import agent_of, draft
from tests.stack import Stack, ready_account

async def test_a_held_admin_key_cannot_make_a_key_without_its_policy(stack: Stack) -> None:
    admin = await ready_account(stack, "Key Escape GmbH")
    created = await admin.post("/settings/api-keys", json={"name": "held admin", "scopes": ["read", "write", "admin"],
                                                          "requires_approval": ["finalize", "send"]})
    held = stack.api(created.json()["key"])
    before = len((await admin.get("/settings/api-keys")).json())

    free = await held.post("/settings/api-keys", json={"name": "free", "scopes": ["read", "write"], "requires_approval": ["send"]})
    assert free.status_code == 403 and free.json()["error"]["code"] == "APPROVAL_REQUIRED", free.text
    assert "finalize" in free.json()["error"]["message"]
    assert len((await admin.get("/settings/api-keys")).json()) == before

    same = await held.post("/settings/api-keys", json={"name": "as held", "scopes": ["read"],
                                                       "requires_approval": ["finalize", "send", "cancel"]})
    assert same.status_code == 201, same.text


async def test_a_held_key_cannot_pay_or_unpay_by_the_other_routes(stack: Stack) -> None:
    admin = await ready_account(stack, "Payment Escape GmbH")
    payer = await agent_of(stack, admin, ["record_payment"])
    unpayer = await agent_of(stack, admin, ["mark_unpaid"])
    invoice = await draft(admin)
    assert (await admin.post(f"/invoices/{invoice['id']}/finalize")).status_code == 200

    paid = await payer.post(f"/invoices/{invoice['id']}/mark-paid", json={})
    assert paid.status_code == 403 and paid.json()["error"]["code"] == "APPROVAL_REQUIRED", paid.text
    assert (await admin.get(f"/invoices/{invoice['id']}/payments")).json() == []

    payment = await admin.post(f"/invoices/{invoice['id']}/payments", json={"amount": "238.00"})
    assert payment.status_code == 201, payment.text
    removed = await unpayer.delete(f"/invoices/{invoice['id']}/payments/{payment.json()['id']}")
    assert removed.status_code == 403 and removed.json()["error"]["code"] == "APPROVAL_REQUIRED", removed.text
    assert (await admin.get(f"/invoices/{invoice['id']}")).json()["status"] == "paid"
