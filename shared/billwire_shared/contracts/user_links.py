"""One-time links for people: an owner's invitation to join the account with a role, and a
password reset. Both are e-mailed through the mailer; only a hash of the link's token is kept.

Commands that start from a link carry no Caller: the token is who they are for. `web_url` is the
web app's address the link starts with, given by the gateway from its settings (never from a
request's Host header, which a stranger could forge to redirect the link)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from billwire_shared.contracts.common import ById, Command, Input, Language, Short
from billwire_shared.contracts.mail import SendRequest
from billwire_shared.contracts.users import Email, Password, Role, User

LinkPurpose = Literal["invite", "reset"]
# Why a link cannot be used (any more): the page says so plainly, nothing more.
LinkProblem = Literal["unknown", "used", "expired", "revoked"]
InvitationState = Literal["pending", "used", "expired", "revoked"]
Token = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
WebUrl = Annotated[str, msgspec.Meta(min_length=8, max_length=500, pattern=r"^https?://[^\s]+$")]


class InvitationInput(Input, kw_only=True):
    email: Email
    role: Role = "member"
    language: Language = "en"  # of the e-mail, and the new user's to start with


class CreateInvitation(Command, kw_only=True):
    invitation: InvitationInput
    web_url: WebUrl


class Invitation(msgspec.Struct, kw_only=True):
    id: UUID
    email: str
    role: Role
    language: Language
    state: InvitationState
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


class NewInvitation(Invitation, kw_only=True):
    """The answer to an invitation: the only time its link is shown (it was e-mailed too)."""

    link: str


class ListInvitations(Command, kw_only=True):
    pass


class RevokeInvitation(ById, kw_only=True):
    pass


class CheckLink(msgspec.Struct, kw_only=True):
    token: Token
    purpose: LinkPurpose


class LinkState(msgspec.Struct, kw_only=True):
    """Whether a link can be used now; for an invitation also whom it is for and where."""

    problem: LinkProblem | None = None
    email: str | None = None
    company_name: str | None = None
    role: Role | None = None
    language: Language = "en"


class CompletePasswordReset(msgspec.Struct, kw_only=True):
    token: Token
    password: Password


class AcceptInvitation(CompletePasswordReset, kw_only=True):
    """An invitation's link is used as a reset link is, setting a password; it also names the new user."""

    name: Short | None = None
    language: Language | None = None


class RequestPasswordReset(msgspec.Struct, kw_only=True):
    """"Forgot password?": the answer is the same whether the e-mail belongs to a user or not."""

    email: Annotated[str, msgspec.Meta(max_length=254)]
    web_url: WebUrl


class ResetRequested(msgspec.Struct, kw_only=True):
    received: bool = True


class SendPasswordReset(ById, kw_only=True):
    """An owner sends one of the account's users a reset link (the users page)."""

    web_url: WebUrl


class ResetLink(msgspec.Struct, kw_only=True):
    email: str
    expires_at: datetime
    link: str


class LinkUsed(msgspec.Struct, kw_only=True):
    """The user the link made or changed, or why it could not be used (nothing changed)."""

    user: User | None = None
    problem: LinkProblem | None = None


class UserEmailRequested(msgspec.Struct, kw_only=True):
    """events.user.email_requested (internal, never a webhook's): an e-mail to a person, no
    attachment; `send.document_id` is the link's id, so the mailer's Message-ID and its
    exactly-once bookkeeping work as for documents."""

    send: SendRequest
