"""Users of an account over the bus: creation, sign-in without enumeration, password change
ending older sessions, reset, disable, and the audit log naming the person who acted."""

from __future__ import annotations

import time
from uuid import UUID

import pytest

from billwire_gateway.bus import ApiError, Bus
from billwire_shared import subjects
from billwire_shared.contracts import users as user_contracts
from billwire_shared.contracts.common import Caller, Command
from tests.stack import Stack


def bus_of(stack: Stack) -> Bus:
    return stack.gateways[0].state.bus


async def test_a_user_signs_in_changes_password_and_older_sessions_end(stack: Stack) -> None:
    bus = bus_of(stack)
    account_id, _ = await stack.new_account("Users GmbH")
    owner = Caller(account_id=UUID(account_id))
    created = await bus.call_typed(subjects.USER_CREATE, user_contracts.CreateUser(ctx=owner, user=user_contracts.UserInput(email="Ada@Users.example", role="owner")), user_contracts.NewUser)
    assert created.password and created.user.must_change_password and created.user.email == "ada@users.example"

    signed_in = await bus.call_typed(subjects.USER_AUTHENTICATE, user_contracts.Authenticate(email="ADA@users.example", password=created.password), user_contracts.Authenticated)
    assert signed_in.found and signed_in.user is not None and signed_in.user.id == created.user.id
    user = signed_in.user

    # A wrong password and an unknown e-mail get the same answer in about the same time.
    started = time.monotonic()
    wrong = await bus.call_typed(subjects.USER_AUTHENTICATE, user_contracts.Authenticate(email=user.email, password="not-it-at-all"), user_contracts.Authenticated)
    wrong_took = time.monotonic() - started
    started = time.monotonic()
    unknown = await bus.call_typed(subjects.USER_AUTHENTICATE, user_contracts.Authenticate(email="nobody@users.example", password="not-it-at-all"), user_contracts.Authenticated)
    unknown_took = time.monotonic() - started
    assert wrong == unknown == user_contracts.Authenticated(found=False)
    assert unknown_took > wrong_took / 3  # the decoy hash is verified too

    session = user_contracts.SessionCheck(account_id=user.account_id, user_id=user.id, session_generation=user.session_generation)
    assert (await bus.call_typed(subjects.USER_SESSION_CHECK, session, user_contracts.Authenticated)).found

    person = Caller(account_id=user.account_id, user_id=user.id)
    with pytest.raises(ApiError) as short:
        await bus.call(subjects.USER_CHANGE_PASSWORD, user_contracts.ChangePassword(ctx=person, current_password=created.password, new_password="short"))
    assert short.value.reply.details[0].field == "new_password"
    with pytest.raises(ApiError) as wrong_current:
        await bus.call(subjects.USER_CHANGE_PASSWORD, user_contracts.ChangePassword(ctx=person, current_password="nope-nope-nope", new_password="a long new secret"))
    assert wrong_current.value.reply.details[0].field == "current_password"
    changed = await bus.call_typed(
        subjects.USER_CHANGE_PASSWORD, user_contracts.ChangePassword(ctx=person, current_password=created.password, new_password="a long new secret"), user_contracts.User
    )
    assert not changed.must_change_password and changed.session_generation == user.session_generation + 1
    assert not (await bus.call_typed(subjects.USER_SESSION_CHECK, session, user_contracts.Authenticated)).found  # logged out everywhere
    assert (await bus.call_typed(subjects.USER_AUTHENTICATE, user_contracts.Authenticate(email=user.email, password="a long new secret"), user_contracts.Authenticated)).found

    activity = await bus.call_typed(subjects.ACTIVITY_LIST, user_contracts.ListActivity(ctx=owner, entity_id=user.id), list[user_contracts.Activity])
    assert activity[0].action == "change_password" and activity[0].user_email == "ada@users.example"


async def test_owner_resets_and_disables_a_member_and_accounts_stay_apart(stack: Stack) -> None:
    bus = bus_of(stack)
    account_id, _ = await stack.new_account("Team GmbH")
    other_account, _ = await stack.new_account("Other GmbH")
    owner = Caller(account_id=UUID(account_id))
    member = (await bus.call_typed(
        subjects.USER_CREATE, user_contracts.CreateUser(ctx=owner, user=user_contracts.UserInput(email="bob@team.example", password="bobs password 1")), user_contracts.NewUser
    )).user
    assert member.role == "member" and not member.must_change_password
    with pytest.raises(ApiError) as taken:
        await bus.call(subjects.USER_CREATE, user_contracts.CreateUser(ctx=Caller(account_id=UUID(other_account)), user=user_contracts.UserInput(email="BOB@team.example")))
    assert taken.value.reply.details[0].field == "email"

    with pytest.raises(ApiError) as elsewhere:
        await bus.call(subjects.USER_RESET_PASSWORD, user_contracts.ResetPassword(ctx=Caller(account_id=UUID(other_account)), id=member.id))
    assert elsewhere.value.reply.http_status == 404
    reset = await bus.call_typed(subjects.USER_RESET_PASSWORD, user_contracts.ResetPassword(ctx=owner, id=member.id), user_contracts.NewUser)
    assert reset.password and reset.user.must_change_password
    assert not (await bus.call_typed(subjects.USER_AUTHENTICATE, user_contracts.Authenticate(email=member.email, password="bobs password 1"), user_contracts.Authenticated)).found
    assert (await bus.call_typed(subjects.USER_AUTHENTICATE, user_contracts.Authenticate(email=member.email, password=reset.password), user_contracts.Authenticated)).found

    await bus.call(subjects.USER_DISABLE, user_contracts.DisableUser(ctx=owner, id=member.id))
    assert not (await bus.call_typed(subjects.USER_AUTHENTICATE, user_contracts.Authenticate(email=member.email, password=reset.password), user_contracts.Authenticated)).found
    listed = await bus.call_typed(subjects.USER_LIST, Command(ctx=owner), list[user_contracts.User])
    assert [(one.email, one.disabled_at is not None) for one in listed] == [("bob@team.example", True)]
    assert await bus.call_typed(subjects.USER_LIST, Command(ctx=Caller(account_id=UUID(other_account))), list[user_contracts.User]) == []
