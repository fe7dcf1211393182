"""One-time links over the bus: one account never reaches another's invitations or users; an
invitation for an e-mail that already has a user is refused at the field; a disabled user gets
no reset link (and the same answer); a newer reset link replaces the older one; the link is
stored only as a hash and the audit log never holds it."""

from __future__ import annotations

from uuid import UUID

import pytest

from billwire_gateway.bus import ApiError, Bus
from billwire_shared import subjects
from billwire_shared.contracts import user_links as links
from billwire_shared.contracts import users as user_contracts
from billwire_shared.contracts.common import Caller
from tests.stack import Stack

WEB = "http://127.0.0.1:8000"


def bus_of(stack: Stack) -> Bus:
    return stack.gateways[0].state.bus


async def owner_of(stack: Stack, company: str, email: str) -> tuple[Caller, user_contracts.User]:
    account_id, _ = await stack.new_account(company)
    ctx = Caller(account_id=UUID(account_id))
    user = user_contracts.UserInput(email=email, role="owner", password="an owner's password")
    created = await bus_of(stack).call_typed(subjects.USER_CREATE, user_contracts.CreateUser(ctx=ctx, user=user), user_contracts.NewUser)
    return Caller(account_id=ctx.account_id, user_id=created.user.id), created.user


async def test_invitations_and_reset_links_stay_in_their_account(stack: Stack) -> None:
    bus = bus_of(stack)
    first, first_owner = await owner_of(stack, "Links One GmbH", "owner@links-one.example")
    second, _ = await owner_of(stack, "Links Two GmbH", "owner@links-two.example")
    invite = links.CreateInvitation(ctx=first, invitation=links.InvitationInput(email="new@links-one.example", role="member"), web_url=WEB)
    made = await bus.call_typed(subjects.USER_INVITE, invite, links.NewInvitation)
    assert made.link.startswith(f"{WEB}/login/invite/") and made.state == "pending"

    assert await bus.call_typed(subjects.USER_INVITATION_LIST, links.ListInvitations(ctx=second), list[links.Invitation]) == []
    with pytest.raises(ApiError) as refused:
        await bus.call(subjects.USER_INVITATION_REVOKE, links.RevokeInvitation(ctx=second, id=made.id))
    assert refused.value.reply.http_status == 404
    with pytest.raises(ApiError) as refused:
        await bus.call(subjects.USER_RESET_SEND, links.SendPasswordReset(ctx=second, id=first_owner.id, web_url=WEB))
    assert refused.value.reply.http_status == 404

    taken = links.CreateInvitation(ctx=first, invitation=links.InvitationInput(email="OWNER@links-two.example"), web_url=WEB)
    with pytest.raises(ApiError) as refused:
        await bus.call(subjects.USER_INVITE, taken)
    assert refused.value.reply.http_status == 422 and refused.value.reply.details[0].field == "email"

    token = made.link.rsplit("/", 1)[1]
    assert stack.invoices.pool is not None
    async with stack.invoices.pool.acquire() as conn:
        stored = await conn.fetch("SELECT token_hash FROM user_links")
        audit = await conn.fetch("SELECT before::text, after::text FROM audit_log WHERE account_id = $1", first.account_id)
    assert all(token not in row["token_hash"] for row in stored)
    assert not [row for row in audit if token in (row["before"] or "") + (row["after"] or "")]


async def test_a_newer_reset_link_replaces_the_older_and_a_disabled_user_gets_none(stack: Stack) -> None:
    bus = bus_of(stack)
    owner, _ = await owner_of(stack, "Links Three GmbH", "owner@links-three.example")
    member = await bus.call_typed(subjects.USER_CREATE, user_contracts.CreateUser(
        ctx=owner, user=user_contracts.UserInput(email="member@links-three.example", password="a member's password"),
    ), user_contracts.NewUser)
    older = await bus.call_typed(subjects.USER_RESET_SEND, links.SendPasswordReset(ctx=owner, id=member.user.id, web_url=WEB), links.ResetLink)
    newer = await bus.call_typed(subjects.USER_RESET_SEND, links.SendPasswordReset(ctx=owner, id=member.user.id, web_url=WEB), links.ResetLink)
    older_state = await bus.call_typed(subjects.USER_LINK_CHECK, links.CheckLink(token=older.link.rsplit("/", 1)[1], purpose="reset"), links.LinkState)
    newer_state = await bus.call_typed(subjects.USER_LINK_CHECK, links.CheckLink(token=newer.link.rsplit("/", 1)[1], purpose="reset"), links.LinkState)
    assert older_state.problem == "revoked" and newer_state.problem is None and newer_state.email == "member@links-three.example"
    # An invitation's token is no reset token.
    wrong_kind = await bus.call_typed(subjects.USER_LINK_CHECK, links.CheckLink(token=newer.link.rsplit("/", 1)[1], purpose="invite"), links.LinkState)
    assert wrong_kind.problem == "unknown"

    await bus.call(subjects.USER_DISABLE, user_contracts.DisableUser(ctx=owner, id=member.user.id))
    used = await bus.call_typed(subjects.USER_RESET_COMPLETE, links.CompletePasswordReset(
        token=newer.link.rsplit("/", 1)[1], password="a brand new password"), links.LinkUsed)
    assert used.user is None and used.problem == "unknown"  # a disabled user's link changes nothing
    asked = await bus.call_typed(subjects.USER_RESET_REQUEST, links.RequestPasswordReset(email="member@links-three.example", web_url=WEB), links.ResetRequested)
    unknown = await bus.call_typed(subjects.USER_RESET_REQUEST, links.RequestPasswordReset(email="nobody@links-three.example", web_url=WEB), links.ResetRequested)
    assert asked == unknown
    async with stack.invoices.pool.acquire() as conn:  # type: ignore[union-attr]
        count = await conn.fetchval("SELECT count(*) FROM user_links WHERE email = 'member@links-three.example'")
    assert count == 2  # the two the owner sent; the disabled user's request made none
