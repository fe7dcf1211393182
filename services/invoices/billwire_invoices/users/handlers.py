"""Bus edge of the users wing: sign-in, session checks, password changes and the owner's user admin.

Hashing runs in a worker thread (argon2 is deliberately slow); every change is written with its
audit row like any other. No `from __future__ import annotations`: see documents/handlers.py.
"""

import asyncio
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from billwire_invoices import answers
from billwire_invoices.accounts.handlers import Publish
from billwire_invoices.uow import Change, UnitOfWork, record
from billwire_invoices.users import rules
from billwire_invoices.users import sql as users_sql
from billwire_shared import subjects
from billwire_shared.contracts import users as user_contracts
from billwire_shared.contracts.common import Caller, Command
from billwire_shared.errors import BillwireError, ErrorCode, FieldError, found
from billwire_shared.ids import new_id


def _utcnow() -> datetime:
    return datetime.now(UTC)


def check_problems(problems: list[FieldError]) -> None:
    if problems:
        raise BillwireError(ErrorCode.VALIDATION_ERROR, "The request has invalid fields.", problems)


async def add_user(conn: asyncpg.Connection, ctx: Caller, user_input: user_contracts.UserInput) -> user_contracts.NewUser:
    """Create a user of ctx's account; without a password one is generated and must be changed at first sign-in."""
    email = rules.normalized_email(user_input.email)
    generated = rules.generated_password() if user_input.password is None else None
    password = generated or user_input.password or ""
    check_problems(rules.password_problems(password, email=email))
    if await users_sql.email_taken(conn, email):
        raise BillwireError(
            ErrorCode.VALIDATION_ERROR, "A user with this e-mail already exists.",
            [FieldError(field="email", message="already used by a user")],
        )
    user = user_contracts.User(
        id=new_id(), account_id=ctx.account_id, email=email, name=user_input.name, role=user_input.role,
        language=user_input.language, must_change_password=generated is not None, session_generation=1, created_at=_utcnow(),
    )
    await users_sql.insert(conn, user, await asyncio.to_thread(rules.hash_password, password))
    await _audit(conn, ctx, user.id, "create", None, user)
    return user_contracts.NewUser(user=user, password=generated)


async def save_password(conn: asyncpg.Connection, ctx: Caller, before: user_contracts.User, new_hash: str, must_change: bool, action: str) -> user_contracts.User:
    after = msgspec.structs.replace(before, must_change_password=must_change, session_generation=before.session_generation + 1)
    statement = users_sql.set_password(ctx.account_id, before.id, new_hash, must_change)
    await record(conn, statement, ctx, Change(entity="user", entity_id=before.id, action=action, before=before, after=after))
    return after


async def regenerate_password(conn: asyncpg.Connection, ctx: Caller, before: user_contracts.User) -> user_contracts.NewUser:
    """A generated password the user must change at the next sign-in; every session of theirs ends."""
    password = rules.generated_password()
    new_hash = await asyncio.to_thread(rules.hash_password, password)
    after = await save_password(conn, ctx, before, new_hash, must_change=True, action="reset_password")
    return user_contracts.NewUser(user=after, password=password)


async def _audit(conn: asyncpg.Connection, ctx: Caller, user_id: UUID, action: str, before: Any, after: Any) -> None:
    statement = ("SELECT 1", [])
    await record(conn, statement, ctx, Change(entity="user", entity_id=user_id, action=action, before=before, after=after))


async def announce_sessions_changed(publish: Publish | None, user_id: UUID) -> None:
    """After the commit: every gateway drops what it cached of this user's sessions (core NATS;
    a gateway that misses it still checks again within its few seconds of caching)."""
    if publish is not None:
        await publish(subjects.USER_SESSIONS_CHANGED, msgspec.json.encode({"user_id": str(user_id)}))


class UsersHandlers:
    """One method per RPC subject of users (each marked with the subject it answers)."""

    def __init__(self, pool: asyncpg.Pool, publish: Publish | None = None) -> None:
        self.uow = UnitOfWork(pool)
        self.publish = publish  # core NATS: a change to a user's sessions, heard by every gateway

    @answers(subjects.USER_CREATE)
    async def create(self, cmd: user_contracts.CreateUser) -> user_contracts.NewUser:
        async with self.uow.transaction() as conn:
            return await add_user(conn, cmd.ctx, cmd.user)

    @answers(subjects.USER_LIST)
    async def list(self, cmd: Command) -> list[user_contracts.User]:
        async with self.uow.connection() as conn:
            return await users_sql.list_for(conn, cmd.ctx.account_id)

    @answers(subjects.USER_AUTHENTICATE)
    async def authenticate(self, body: user_contracts.Authenticate) -> user_contracts.Authenticated:
        """The same answer, in about the same time, for an unknown e-mail, a wrong password or a disabled user."""
        async with self.uow.connection() as conn:
            found = await users_sql.by_email_with_hash(conn, rules.normalized_email(body.email))
        user, password_hash = found if found else (None, None)
        matches = await asyncio.to_thread(rules.password_matches, password_hash, body.password)
        if user is None or not matches or user.disabled_at is not None:
            return user_contracts.Authenticated(found=False)
        async with self.uow.connection() as conn:
            await users_sql.touch_login(conn, user.id)
        return user_contracts.Authenticated(found=True, user=user)

    @answers(subjects.USER_SESSION_CHECK)
    async def session_check(self, body: user_contracts.SessionCheck) -> user_contracts.Authenticated:
        async with self.uow.connection() as conn:
            user = await users_sql.get(conn, body.account_id, body.user_id)
        if user is None or user.disabled_at is not None or user.session_generation != body.session_generation:
            return user_contracts.Authenticated(found=False)
        return user_contracts.Authenticated(found=True, user=user)

    @answers(subjects.USER_CHANGE_PASSWORD)
    async def change_password(self, cmd: user_contracts.ChangePassword) -> user_contracts.User:
        user_id = self._person(cmd.ctx)
        async with self.uow.transaction() as conn:
            before = found(await users_sql.get(conn, cmd.ctx.account_id, user_id, lock=True), ErrorCode.NOT_FOUND, "User", user_id)
            current_hash = await users_sql.password_hash_of(conn, user_id)
            if not await asyncio.to_thread(rules.password_matches, current_hash, cmd.current_password):
                raise BillwireError(
                    ErrorCode.VALIDATION_ERROR, "The current password is not right.",
                    [FieldError(field="current_password", message="does not match")],
                )
            problems = rules.password_problems(cmd.new_password, "new_password", before.email)
            if cmd.new_password == cmd.current_password:
                problems.append(FieldError(field="new_password", message="must differ from the current password"))
            check_problems(problems)
            new_hash = await asyncio.to_thread(rules.hash_password, cmd.new_password)
            after = await save_password(conn, cmd.ctx, before, new_hash, must_change=False, action="change_password")
        await announce_sessions_changed(self.publish, user_id)
        return after

    @answers(subjects.USER_UPDATE_ME)
    async def update_me(self, cmd: user_contracts.UpdateMe) -> user_contracts.User:
        user_id = self._person(cmd.ctx)
        async with self.uow.transaction() as conn:
            before = found(await users_sql.get(conn, cmd.ctx.account_id, user_id, lock=True), ErrorCode.NOT_FOUND, "User", user_id)
            after = msgspec.structs.replace(
                before, language=cmd.language or before.language, name=cmd.name if cmd.name is not None else before.name
            )
            statement = users_sql.update_me(cmd.ctx.account_id, user_id, after.language, after.name)
            await record(conn, statement, cmd.ctx, Change(entity="user", entity_id=user_id, action="update", before=before, after=after))
        await announce_sessions_changed(self.publish, user_id)  # the pages show the new language at once
        return after

    @answers(subjects.USER_RESET_PASSWORD)
    async def reset_password(self, cmd: user_contracts.ResetPassword) -> user_contracts.NewUser:
        async with self.uow.transaction() as conn:
            before = found(await users_sql.get(conn, cmd.ctx.account_id, cmd.id, lock=True), ErrorCode.NOT_FOUND, "User", cmd.id)
            reset = await regenerate_password(conn, cmd.ctx, before)
        await announce_sessions_changed(self.publish, cmd.id)
        return reset

    @answers(subjects.USER_DISABLE)
    async def disable(self, cmd: user_contracts.DisableUser) -> user_contracts.User:
        async def work(conn: asyncpg.Connection) -> user_contracts.User:
            before = found(await users_sql.get(conn, cmd.ctx.account_id, cmd.id, lock=True), ErrorCode.NOT_FOUND, "User", cmd.id)
            if cmd.ctx.user_id == cmd.id:
                raise BillwireError(ErrorCode.INVALID_DOCUMENT_STATE, "You cannot disable yourself.")
            after = msgspec.structs.replace(before, disabled_at=_utcnow(), session_generation=before.session_generation + 1)
            statement = users_sql.disable(cmd.ctx.account_id, cmd.id)
            await record(conn, statement, cmd.ctx, Change(entity="user", entity_id=cmd.id, action="disable", before=before, after=after))
            return after

        after = await self.uow.write(cmd.ctx, user_contracts.User, work)  # a replay (REST's Idempotency-Key) disables once
        await announce_sessions_changed(self.publish, cmd.id)
        return after

    @staticmethod
    def _person(ctx: Caller) -> UUID:
        if ctx.user_id is None:
            raise BillwireError(ErrorCode.FORBIDDEN, "Only a signed-in person can do this, not an API key.")
        return ctx.user_id
