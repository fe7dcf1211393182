"""A key whose policy holds an action back reaches it by no other road: not by creating a key
without the policy (that key could approve), not by a recurring invoice that finalizes or sends by
itself, not by mark-paid (a payment) or deleting payments one by one (unpaid). Each refusal
changes nothing."""

from __future__ import annotations

from uuid import UUID, uuid4

from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from billwire_shared import subjects
from billwire_shared.contracts.common import Caller
from billwire_shared.contracts.users import CreateUser, NewUser, UserInput
from tests.e2e.test_approvals import agent_of, draft
from tests.e2e.test_mcp import call
from tests.events import collect_events
from tests.stack import BUYER, Stack, ready_account, unique

SCHEDULE = {"frequency": "monthly", "start": "2040-01-01"}
LINES = [{"description": "Retainer {month}", "quantity": "1", "unit_price": "100"}]


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


async def test_a_held_key_cannot_set_up_a_recurring_invoice_that_issues_by_itself(stack: Stack) -> None:
    admin = await ready_account(stack, "Recurring Escape GmbH")
    agent = await agent_of(stack, admin, ["finalize"])
    sender = await agent_of(stack, admin, ["send"])
    client = (await admin.post("/clients", json=BUYER | {"email": "ap@recurring.example"})).json()
    body = {"client_id": client["id"], "schedule": SCHEDULE, "lines": LINES}

    for api, extra, field in ((agent, {"auto_finalize": True}, "auto_finalize"), (agent, {"auto_send": {}}, "auto_send"),
                              (sender, {"auto_send": {}}, "auto_send")):
        refused = await api.post("/recurring-invoices", json=body | extra)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "APPROVAL_REQUIRED", refused.text
        assert refused.json()["error"]["details"][0]["field"] == field
    assert (await admin.get("/recurring-invoices")).json()["total"] == 0

    plain = await agent.post("/recurring-invoices", json=body)  # drafts only: a person finalizes each
    assert plain.status_code == 201, plain.text
    changed = await agent.patch(f"/recurring-invoices/{plain.json()['id']}", json={"auto_finalize": True})
    assert changed.status_code == 403 and changed.json()["error"]["code"] == "APPROVAL_REQUIRED", changed.text
    assert (await admin.get(f"/recurring-invoices/{plain.json()['id']}")).json()["auto_finalize"] is False
    assert (await sender.post("/recurring-invoices", json=body | {"auto_finalize": True})).status_code == 201


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


async def test_the_owners_link_names_this_server_whatever_host_the_agent_claims(stack: Stack) -> None:
    """The e-mailed one-time link decides the approval: were it built from the agent's Host
    header, the agent could send the owner to its own server, read the token and approve itself."""
    admin = await ready_account(stack, unique("Host Header GmbH"))
    assert stack.invoices.pool is not None
    account_id = await stack.invoices.pool.fetchval(
        "SELECT account_id FROM api_keys WHERE prefix = $1", (await admin.get("/settings/api-keys")).json()[0]["prefix"],
    )
    owner = UserInput(email=f"owner-{uuid4().hex[:10]}@host-header.example", role="owner", password=None)
    await stack.gateways[0].state.bus.call_typed(subjects.USER_CREATE, CreateUser(ctx=Caller(account_id=UUID(str(account_id))), user=owner), NewUser)
    agent = await agent_of(stack, admin, ["finalize"])
    invoice = await draft(agent)
    async with stack.served() as base:
        client = create_mcp_http_client(headers={"Authorization": f"Bearer {agent.key}", "Host": "evil.example"})
        async with client, streamable_http_client(f"{base}/api/mcp", http_client=client) as (read, write, *_), \
                ClientSession(read, write) as session:
            await session.initialize()
            pending = await call(session, "finalize_invoice", invoice_id=invoice["id"], confirm=True, expected_total="238.00")
    [mail] = await collect_events(stack, "user.email_requested",
                                  lambda _, event: event["data"]["send"]["document_id"] == pending["id"], 1, 20, 1)
    [link] = [line for line in mail["data"]["send"]["body"].splitlines() if "/login/approval/" in line]
    assert link.startswith(f"{base}/login/approval/"), link  # the served gateway's own address


async def test_a_held_admin_key_cannot_invite_someone_who_could_approve(stack: Stack) -> None:
    """The invitation's answer carries its link: the key would join as a person and approve itself."""
    admin = await ready_account(stack, unique("Invite Escape GmbH"))
    created = await admin.post("/settings/api-keys", json={"name": "held admin", "scopes": ["read", "write", "admin"],
                                                          "requires_approval": ["send"]})
    held = stack.api(created.json()["key"])
    for role in ("owner", "member"):
        refused = await held.post("/users/invitations", json={"email": f"{role}-{uuid4().hex[:8]}@invite.example", "role": role})
        assert refused.status_code == 403 and refused.json()["error"]["details"][0]["field"] == "role", refused.text
    assert (await admin.get("/users/invitations")).json() == []
    reader = await held.post("/users/invitations", json={"email": f"reader-{uuid4().hex[:8]}@invite.example", "role": "accountant"})
    assert reader.status_code == 201, reader.text
