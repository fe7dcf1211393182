"""The owner's page for the account's people: add one (a first password shown once), reset a
password, disable a user. The same users wing the CLI uses; every change is in the audit log."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath

from billwire_gateway.bus import ApiError
from billwire_gateway.web.context import PersonDep, attempt, bus_of, decode, page, redirect
from billwire_gateway.web.forms import convert, field_errors, given
from billwire_shared import subjects
from billwire_shared.contracts.users import (
    ROLES,
    CreateUser,
    DisableUser,
    ListUsers,
    NewUser,
    ResetPassword,
    User,
    UserInput,
)


class UsersController(Controller):
    path = "/settings/users"
    opt = {"scope": "admin"}

    @get("/", opt={"scope": "admin"})
    async def users(self, request: Request, person: PersonDep) -> Response:
        return await self._page(request, person, None, {})

    @post("/", opt={"scope": "admin"})
    async def create(self, request: Request, person: PersonDep) -> Response:
        form = await request.form()
        try:
            user_input = convert(given(form, ("email", "name", "role", "language")), UserInput)
            raw = await bus_of(request).call(subjects.USER_CREATE, CreateUser(ctx=person.caller, user=user_input))
        except ApiError as exc:
            return await self._page(request, person, None, field_errors(exc), 422)
        return await self._page(request, person, decode(raw, NewUser), {}, 201)

    @post("/{user_id:uuid}/reset-password", opt={"scope": "admin"})
    async def reset(self, request: Request, person: PersonDep, user_id: FromPath[UUID]) -> Response:
        raw = await bus_of(request).call(subjects.USER_RESET_PASSWORD, ResetPassword(ctx=person.caller, id=user_id))
        return await self._page(request, person, decode(raw, NewUser), {})

    @post("/{user_id:uuid}/disable", opt={"scope": "admin"})
    async def disable(self, request: Request, person: PersonDep, user_id: FromPath[UUID]) -> Response:
        outcome = await attempt(request, subjects.USER_DISABLE, lambda: DisableUser(ctx=person.caller, id=user_id))
        return redirect("/settings/users", outcome.reply.message if isinstance(outcome, ApiError) else "Done.", person)

    @staticmethod
    async def _page(request: Request, person: PersonDep, shown: NewUser | None, errors: dict, status_code: int = 200) -> Response:
        users = decode(await bus_of(request).call(subjects.USER_LIST, ListUsers(ctx=person.caller)), list[User])
        return page(request, "users.html", person, status_code, users=users, shown=shown, errors=errors, roles=ROLES)
