"""Bus edge of one-time links: an owner's invitations, "forgot password" and owner-sent resets,
and using a link once. Each link's e-mail leaves through the outbox as `user.email_requested`
in the transaction that stores the link, so the mailer sends it exactly once (or the link does
not exist). No `from __future__ import annotations`: see documents/handlers.py.
"""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from billwire_invoices import answers
from billwire_invoices.accounts.approvals.rules import ensure_no_decider_invited
from billwire_invoices.accounts.handlers import Publish
from billwire_invoices.uow import Change, UnitOfWork, new_event, record
from billwire_invoices.users import handlers as users_handlers
from billwire_invoices.users import mails, rules
from billwire_invoices.users import sql as users_sql
from billwire_shared import subjects
from billwire_shared.contracts import user_links as links
from billwire_shared.contracts.common import Caller
from billwire_shared.contracts.mail import SendRequest
from billwire_shared.contracts.users import User, UserInput
from billwire_shared.errors import BillwireError, ErrorCode, FieldError, found
from billwire_shared.ids import new_id

INVITE_PATH = "/login/invite/"
RESET_PATH = "/login/reset/"


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _link(web_url: str, path: str, token: str) -> str:
    return web_url.rstrip("/") + path + token


def _invitation(row: asyncpg.Record, now: datetime) -> links.Invitation:
    problem = rules.link_problem(row["expires_at"], row["used_at"], row["revoked_at"], now)
    state = "pending" if problem is None else problem
    return links.Invitation(
        id=row["id"], email=row["email"], role=row["role"], language=row["language"], state=state,
        created_at=row["created_at"], expires_at=row["expires_at"], used_at=row["used_at"],
    )


def _mail_event(account_id: UUID, link_id: UUID, kind: str, to: str, subject: str, body: str, language: str, sender: str, now: datetime) -> Any:
    send = SendRequest(
        id=new_id(), account_id=account_id, document_id=link_id, document_number=None, document_type=kind, version=1,
        sender_name=sender or None, reply_to=None, to=[to], subject=subject, body=body, language=language, requested_at=now,
        export_type="none",
    )
    return new_event("user.email_requested", account_id, links.UserEmailRequested(send=send), now)


class LinkHandlers:
    """One method per RPC subject of one-time links (each marked with the subject it answers)."""

    def __init__(self, pool: asyncpg.Pool, invite_hours: int, reset_minutes: int, publish: Publish | None = None) -> None:
        self.uow = UnitOfWork(pool)
        self.publish = publish  # core NATS: a reset ends the user's sessions on every gateway
        self.invite_valid, self.reset_valid = timedelta(hours=invite_hours), timedelta(minutes=reset_minutes)
        self.invite_hours, self.reset_minutes = invite_hours, reset_minutes

    @answers(subjects.USER_INVITE)
    async def invite(self, cmd: links.CreateInvitation) -> links.NewInvitation:
        ensure_no_decider_invited(cmd.ctx, cmd.invitation.role)
        body, now = cmd.invitation, _utcnow()
        email = rules.normalized_email(body.email)
        token, token_hash = rules.new_link_token()

        async def work(conn: asyncpg.Connection) -> links.NewInvitation:
            if await users_sql.email_taken(conn, email):
                raise BillwireError(
                    ErrorCode.VALIDATION_ERROR, "A user with this e-mail already exists.", [FieldError(field="email", message="already used by a user")],
                )
            row = await users_sql.insert_link(
                conn, link_id=new_id(), account_id=cmd.ctx.account_id, purpose="invite", token_hash=token_hash, email=email,
                role=body.role, language=body.language, user_id=None, created_by=cmd.ctx.user_id, expires_at=now + self.invite_valid,
            )
            invitation = _invitation(row, now)
            link = _link(cmd.web_url, INVITE_PATH, token)
            company = await users_sql.company_name(conn, cmd.ctx.account_id)
            inviter = await self._inviter(conn, cmd.ctx)
            subject, text = mails.invitation(body.language, company, inviter, body.role, link, self.invite_hours)
            event = _mail_event(cmd.ctx.account_id, row["id"], "invitation", email, subject, text, body.language, company, now)
            change = Change(entity="invitation", entity_id=row["id"], action="invite", after=invitation, event=event)
            await record(conn, ("SELECT 1", []), cmd.ctx, change)
            return links.NewInvitation(**msgspec.structs.asdict(invitation), link=link)

        # With an Idempotency-Key (REST) a replay invites and e-mails no one again; its answer has no link (a secret).
        return await self.uow.write(cmd.ctx, links.NewInvitation, work, kept=lambda made: msgspec.structs.replace(made, link=""))

    @answers(subjects.USER_INVITATION_LIST)
    async def list_invitations(self, cmd: links.ListInvitations) -> list[links.Invitation]:
        now = _utcnow()
        async with self.uow.connection() as conn:
            return [_invitation(row, now) for row in await users_sql.invitations_of(conn, cmd.ctx.account_id)]

    @answers(subjects.USER_INVITATION_REVOKE)
    async def revoke_invitation(self, cmd: links.RevokeInvitation) -> links.Invitation:
        async with self.uow.transaction() as conn:
            row = found(await users_sql.revoke_invitation(conn, cmd.ctx.account_id, cmd.id), ErrorCode.NOT_FOUND, "Invitation", cmd.id)
            invitation = _invitation(row, _utcnow())
            await record(conn, ("SELECT 1", []), cmd.ctx, Change(entity="invitation", entity_id=cmd.id, action="revoke", after=invitation))
        return invitation

    @answers(subjects.USER_LINK_CHECK)
    async def check(self, body: links.CheckLink) -> links.LinkState:
        async with self.uow.connection() as conn:
            row = await users_sql.link_by_token(conn, rules.token_hash(body.token), body.purpose)
            if row is None:
                return links.LinkState(problem="unknown")
            problem = rules.link_problem(row["expires_at"], row["used_at"], row["revoked_at"], _utcnow())
            if problem is not None:
                return links.LinkState(problem=problem, language=row["language"])
            company = await users_sql.company_name(conn, row["account_id"])
        return links.LinkState(email=row["email"], company_name=company, role=row["role"], language=row["language"])

    @answers(subjects.USER_INVITATION_ACCEPT)
    async def accept(self, body: links.AcceptInvitation) -> links.LinkUsed:
        async with self.uow.transaction() as conn:
            row = await users_sql.link_by_token(conn, rules.token_hash(body.token), "invite", lock=True)
            problem = "unknown" if row is None else rules.link_problem(row["expires_at"], row["used_at"], row["revoked_at"], _utcnow())
            if row is None or problem is not None:
                return links.LinkUsed(problem=problem)
            user_input = UserInput(
                email=row["email"], name=body.name, role=row["role"], language=body.language or row["language"], password=body.password,
            )
            created = await users_handlers.add_user(conn, Caller(account_id=row["account_id"], user_id=row["created_by"]), user_input)
            await users_sql.mark_link_used(conn, row["id"], created.user.id)
            ctx = Caller(account_id=row["account_id"], user_id=created.user.id)
            await record(conn, ("SELECT 1", []), ctx, Change(entity="invitation", entity_id=row["id"], action="accept", after=created.user))
        return links.LinkUsed(user=created.user)

    @answers(subjects.USER_RESET_REQUEST)
    async def request_reset(self, body: links.RequestPasswordReset) -> links.ResetRequested:
        """The same answer for a known, an unknown and a disabled e-mail; only a user that may
        sign in gets a link."""
        async with self.uow.transaction() as conn:
            found = await users_sql.by_email_with_hash(conn, rules.normalized_email(body.email))
            user = found[0] if found else None
            if user is not None and user.disabled_at is None:
                await self._send_reset(conn, Caller(account_id=user.account_id), user, body.web_url)
        return links.ResetRequested()

    @answers(subjects.USER_RESET_SEND)
    async def send_reset(self, cmd: links.SendPasswordReset) -> links.ResetLink:
        async with self.uow.transaction() as conn:
            user = found(await users_sql.get(conn, cmd.ctx.account_id, cmd.id), ErrorCode.NOT_FOUND, "User", cmd.id)
            if user.disabled_at is not None:
                raise BillwireError(ErrorCode.INVALID_DOCUMENT_STATE, "This user is disabled.")
            return await self._send_reset(conn, cmd.ctx, user, cmd.web_url)

    @answers(subjects.USER_RESET_COMPLETE)
    async def complete_reset(self, body: links.CompletePasswordReset) -> links.LinkUsed:
        async with self.uow.transaction() as conn:
            row = await users_sql.link_by_token(conn, rules.token_hash(body.token), "reset", lock=True)
            problem = "unknown" if row is None else rules.link_problem(row["expires_at"], row["used_at"], row["revoked_at"], _utcnow())
            before = None if row is None else await users_sql.get(conn, row["account_id"], row["user_id"], lock=True)
            if row is None or problem is not None or before is None or before.disabled_at is not None:
                return links.LinkUsed(problem=problem or "unknown")
            users_handlers.check_problems(rules.password_problems(body.password, email=before.email))
            new_hash = await asyncio.to_thread(rules.hash_password, body.password)
            ctx = Caller(account_id=before.account_id, user_id=before.id)
            after = msgspec.structs.replace(before, must_change_password=False, session_generation=before.session_generation + 1)
            statement = users_sql.set_password(before.account_id, before.id, new_hash, False)
            await record(conn, statement, ctx, Change(entity="user", entity_id=before.id, action="reset_password", before=before, after=after))
            await users_sql.mark_link_used(conn, row["id"], before.id)
        await users_handlers.announce_sessions_changed(self.publish, before.id)
        return links.LinkUsed(user=after)

    async def _send_reset(self, conn: asyncpg.Connection, ctx: Caller, user: User, web_url: str) -> links.ResetLink:
        now = _utcnow()
        token, token_hash = rules.new_link_token()
        await users_sql.revoke_resets_of(conn, user.id)
        row = await users_sql.insert_link(
            conn, link_id=new_id(), account_id=user.account_id, purpose="reset", token_hash=token_hash, email=user.email, role=None,
            language=user.language, user_id=user.id, created_by=ctx.user_id, expires_at=now + self.reset_valid,
        )
        link = _link(web_url, RESET_PATH, token)
        subject, text = mails.password_reset(user.language, link, self.reset_minutes)
        event = _mail_event(user.account_id, row["id"], "password_reset", user.email, subject, text, user.language, "Billwire", now)
        change = Change(entity="user", entity_id=user.id, action="reset_link", after={"expires_at": row["expires_at"]}, event=event)
        await record(conn, ("SELECT 1", []), ctx, change)
        return links.ResetLink(email=user.email, expires_at=row["expires_at"], link=link)

    @staticmethod
    async def _inviter(conn: asyncpg.Connection, ctx: Caller) -> str | None:
        if ctx.user_id is None:
            return None
        inviter = await users_sql.get(conn, ctx.account_id, ctx.user_id)
        return None if inviter is None else (inviter.name or inviter.email)
