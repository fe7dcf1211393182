"""People over REST for an owner's key: list users, invite by a one-time link (once, even when
retried), withdraw an invitation, disable a user. A member's scopes are refused, bad input is a 422
naming the field, and one account never reaches another's people."""

from __future__ import annotations

from uuid import UUID, uuid4

from billwire_shared import subjects
from billwire_shared.contracts.common import Caller
from billwire_shared.contracts.users import CreateUser, NewUser, UserInput
from tests.stack import Stack, unique

MEMBER_SCOPES = ["read", "write", "email:send"]


def email_for(name: str) -> str:
    return f"{unique(name).lower().replace(' ', '.')}@people.example"


async def test_an_owner_key_lists_invites_withdraws_and_disables(stack: Stack) -> None:
    account_id, key = await stack.new_account(unique("People GmbH"))
    owner = stack.api(key)
    bus = stack.gateways[0].state.bus
    ada = email_for("ada")
    made = await bus.call_typed(
        subjects.USER_CREATE, CreateUser(ctx=Caller(account_id=UUID(account_id)), user=UserInput(email=ada, role="member", password="a long enough password")),
        NewUser,
    )
    listed = await owner.get("/users")
    assert listed.status_code == 200, listed.text
    assert [(user["email"], user["role"], user["disabled_at"]) for user in listed.json()] == [(ada, "member", None)]
    assert not {"password", "password_hash"} & set(listed.json()[0])

    grace = email_for("grace")
    body = {"email": grace, "role": "accountant", "language": "de"}
    invited = await owner.post("/users/invitations", json=body, headers={"Idempotency-Key": "invite-grace"})
    assert invited.status_code == 201, invited.text
    invitation = invited.json()
    assert (invitation["email"], invitation["role"], invitation["state"]) == (grace, "accountant", "pending")
    assert "/login/invite/" in invitation["link"] and invitation["link"].startswith("http")
    again = await owner.post("/users/invitations", json=body, headers={"Idempotency-Key": "invite-grace"})
    assert again.status_code == 201 and again.json()["id"] == invitation["id"] and again.json()["link"] == ""  # the link is shown once
    invitations = (await owner.get("/users/invitations")).json()
    assert [(i["id"], i["state"]) for i in invitations] == [(invitation["id"], "pending")] and "link" not in invitations[0]

    for wrong, field in (({"email": "not an address"}, "email"), ({"email": email_for("x"), "role": "boss"}, "role"), ({"email": ada}, "email")):
        refused = await owner.post("/users/invitations", json=wrong)
        assert refused.status_code == 422 and refused.json()["error"]["details"][0]["field"] == field, (wrong, refused.text)
    assert len((await owner.get("/users/invitations")).json()) == 1  # nothing refused was written

    assert (await owner.delete(f"/users/invitations/{invitation['id']}")).status_code == 204
    assert [i["state"] for i in (await owner.get("/users/invitations")).json()] == ["revoked"]
    assert (await owner.delete(f"/users/invitations/{uuid4()}")).status_code == 404

    disabled = await owner.post(f"/users/{made.user.id}/disable")
    assert disabled.status_code == 200, disabled.text
    assert disabled.json()["disabled_at"] is not None and disabled.json()["session_generation"] == made.user.session_generation + 1
    assert (await owner.get("/users")).json()[0]["disabled_at"] is not None
    assert (await owner.post(f"/users/{uuid4()}/disable")).status_code == 404


async def test_a_member_key_is_refused_and_another_account_reaches_nobody(stack: Stack) -> None:
    account_id, key = await stack.new_account(unique("Roles GmbH"))
    owner = stack.api(key)
    member_key = (await owner.post("/settings/api-keys", json={"name": "member", "scopes": MEMBER_SCOPES})).json()["key"]
    member = stack.api(member_key)
    assert (await member.get("/users")).status_code == 403
    assert (await member.get("/users/invitations")).status_code == 403
    assert (await member.post("/users/invitations", json={"email": email_for("eve")})).status_code == 403
    assert (await owner.get("/users/invitations")).json() == []  # the refused invitation was not made

    bus = stack.gateways[0].state.bus
    user = (await bus.call_typed(
        subjects.USER_CREATE, CreateUser(ctx=Caller(account_id=UUID(account_id)), user=UserInput(email=email_for("bob"), password="a long enough password")),
        NewUser,
    )).user
    assert (await member.post(f"/users/{user.id}/disable")).status_code == 403
    invitation = (await owner.post("/users/invitations", json={"email": email_for("carol")})).json()

    _, other_key = await stack.new_account(unique("Elsewhere"))
    other = stack.api(other_key)
    assert (await other.get("/users")).json() == [] and (await other.get("/users/invitations")).json() == []
    assert (await other.post(f"/users/{user.id}/disable")).status_code == 404
    assert (await other.delete(f"/users/invitations/{invitation['id']}")).status_code == 404
    assert (await owner.get("/users")).json()[0]["disabled_at"] is None
    assert [i["state"] for i in (await owner.get("/users/invitations")).json()] == ["pending"]
