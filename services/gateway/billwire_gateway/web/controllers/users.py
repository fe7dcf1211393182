"""The owner's page for the account's people: invite one by a one-time link (e-mailed, and shown
once), revoke an invitation, send a password-reset link, disable a user, or add one with a first
password shown once. The same users wing the CLI uses; every change is in the audit log."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath

from billwire_gateway.bus import ApiError
from billwire_gateway.web.context import PersonDep, attempt, bus_of, decode, page, redirect
from billwire_gateway.web.forms import convert, field_errors, given
from billwire_shared import subjects
from billwire_shared.contracts.common import Command
from billwire_shared.contracts.user_links import (
    CreateInvitation,
    Invitation,
    InvitationInput,
    ListInvitations,
    NewInvitation,
    ResetLink,
    RevokeInvitation,
    SendPasswordReset,
)
from billwire_shared.contracts.users import ROLES, CreateUser, DisableUser, NewUser, User, UserInput


class UsersController(Controller):
    path = "/settings/users"
    opt = {"scope": "admin"}

    @get("/", opt={"scope": "admin"})
    async def users(self, request: Request, person: PersonDep) -> Response:
        return await self._page(request, person)

    @post("/invite", opt={"scope": "admin"})
    async def invite(self, request: Request, person: PersonDep) -> Response:
        form = await request.form()
        values = given(form, ("email", "role", "language"))
        try:
            invitation = convert(values, InvitationInput)
            command = CreateInvitation(ctx=person.caller, invitation=invitation, web_url=request.app.state.web.public_url)
            raw = await bus_of(request).call(subjects.USER_INVITE, command)
        except ApiError as exc:
            return await self._page(request, person, invite_errors=field_errors(exc), invite_values=values, status_code=422)
        return await self._page(request, person, invited=decode(raw, NewInvitation), status_code=201)

    @post("/invitations/{invitation_id:uuid}/revoke", opt={"scope": "admin"})
    async def revoke(self, request: Request, person: PersonDep, invitation_id: FromPath[UUID]) -> Response:
        await bus_of(request).call(subjects.USER_INVITATION_REVOKE, RevokeInvitation(ctx=person.caller, id=invitation_id))
        return redirect("/settings/users", "Invitation withdrawn.", person)

    @post("/", opt={"scope": "admin"})
    async def create(self, request: Request, person: PersonDep) -> Response:
        form = await request.form()
        try:
            user_input = convert(given(form, ("email", "name", "role", "language")), UserInput)
            raw = await bus_of(request).call(subjects.USER_CREATE, CreateUser(ctx=person.caller, user=user_input))
        except ApiError as exc:
            return await self._page(request, person, errors=field_errors(exc), status_code=422)
        return await self._page(request, person, shown=decode(raw, NewUser), status_code=201)

    @post("/{user_id:uuid}/reset-password", opt={"scope": "admin"})
    async def reset(self, request: Request, person: PersonDep, user_id: FromPath[UUID]) -> Response:
        """A reset link, e-mailed to the user like one they asked for (shown here once as well)."""
        command = SendPasswordReset(ctx=person.caller, id=user_id, web_url=request.app.state.web.public_url)
        try:
            raw = await bus_of(request).call(subjects.USER_RESET_SEND, command)
        except ApiError as exc:
            if exc.reply.http_status == 404:
                raise
            return redirect("/settings/users", exc.reply.message, person)
        return await self._page(request, person, reset=decode(raw, ResetLink))

    @post("/{user_id:uuid}/disable", opt={"scope": "admin"})
    async def disable(self, request: Request, person: PersonDep, user_id: FromPath[UUID]) -> Response:
        outcome = await attempt(request, subjects.USER_DISABLE, lambda: DisableUser(ctx=person.caller, id=user_id))
        request.app.state.web.checked.forget_user(str(user_id))  # signed out here at once; other replicas hear it from the users wing
        return redirect("/settings/users", outcome.reply.message if isinstance(outcome, ApiError) else "Done.", person)

    @staticmethod
    async def _page(request: Request, person: PersonDep, status_code: int = 200, **shown: Any) -> Response:
        """The users and the invitations, read at once (two reads of the one wing, side by side)."""
        bus = bus_of(request)
        users_raw, invitations_raw = await asyncio.gather(
            bus.call(subjects.USER_LIST, Command(ctx=person.caller)), bus.call(subjects.USER_INVITATION_LIST, ListInvitations(ctx=person.caller)),
        )
        context = {"shown": None, "invited": None, "reset": None, "errors": {}, "invite_errors": {}, "invite_values": {}} | shown
        return page(
            request, "users.html", person, status_code, users=decode(users_raw, list[User]),
            invitations=decode(invitations_raw, list[Invitation]), roles=ROLES, **context,
        )
