"""People who sign in to the web app: users of an account, their roles, and the audit trail they read."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, get_args
from uuid import UUID

import msgspec

from billwire_shared.contracts.common import ById, Command, Input, Language, Short
from billwire_shared.contracts.documents import Document

Role = Literal["owner", "member", "accountant"]
ROLES: tuple[str, ...] = get_args(Role)
# What each role may do, in the API's scope words: the web app checks these where REST checks a key's.
ROLE_SCOPES: dict[str, tuple[str, ...]] = {
    "owner": ("read", "write", "email:send", "admin"),
    "member": ("read", "write", "email:send"),
    "accountant": ("read",),
}
Email = Annotated[str, msgspec.Meta(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")]
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
MIN_PASSWORD_LENGTH = 10


class UserInput(Input, kw_only=True):
    email: Email
    name: Short | None = None
    role: Role = "member"
    language: Language = "en"
    password: Password | None = None  # generated (and shown once) when left out


class User(msgspec.Struct, kw_only=True):
    id: UUID
    account_id: UUID
    email: str
    name: str | None
    role: Role
    language: Language
    must_change_password: bool
    # Bumped by every password change or reset: sessions carry it, an older one is over.
    session_generation: int
    created_at: datetime
    disabled_at: datetime | None = None
    last_login_at: datetime | None = None


class NewUser(msgspec.Struct, kw_only=True):
    """A created user, with the generated password when none was given (shown once)."""

    user: User
    password: str | None = None


class CreateUser(Command, kw_only=True):
    user: UserInput


class Authenticate(msgspec.Struct, kw_only=True):
    """Sign-in by e-mail and password: no Caller yet, the answer says who it is."""

    email: str
    password: str


class Authenticated(msgspec.Struct, kw_only=True):
    """found=False for an unknown e-mail, a wrong password or a disabled user alike."""

    found: bool
    user: User | None = None


class SessionCheck(msgspec.Struct, kw_only=True):
    """Is this signed-in session still good? The user must exist, be enabled and have the same generation."""

    account_id: UUID
    user_id: UUID
    session_generation: int


class ChangePassword(Command, kw_only=True):
    current_password: Password
    new_password: Password


class UpdateMe(Command, kw_only=True):
    language: Language | None = None
    name: Short | None = None


class ResetPassword(ById, kw_only=True):
    """An owner (or the CLI) sets a new generated password; the user must change it at next sign-in."""


class DisableUser(ById, kw_only=True):
    pass


class ListActivity(Command, kw_only=True):
    """The audit log, newest first: the whole account's, or one entity's."""

    entity_id: UUID | None = None
    limit: Annotated[int, msgspec.Meta(ge=1, le=200)] = 20


class Activity(msgspec.Struct, kw_only=True):
    entity: str
    entity_id: UUID
    action: str
    at: datetime
    key_id: UUID | None = None
    key_name: str | None = None
    user_id: UUID | None = None
    user_email: str | None = None
    summary: dict[str, Any] = {}  # a few fields of the entity after (or before) the change: number, name, status


class MonthRevenue(msgspec.Struct, kw_only=True):
    month: date  # its first day
    currency: str
    invoiced: Decimal


class Overview(msgspec.Struct, kw_only=True):
    """The overview page's reads in one call: money per currency (months are the last twelve, oldest
    first), the latest activity, and the open invoices due first."""

    outstanding: dict[str, Decimal]
    overdue: dict[str, Decimal]
    paid_this_month: dict[str, Decimal]
    revenue_by_month: list[MonthRevenue]
    activity: list[Activity] = []
    open_invoices: list[Document] = []


class GetOverview(Command, kw_only=True):
    activity_limit: Annotated[int, msgspec.Meta(ge=0, le=200)] = 12
    open_invoices_limit: Annotated[int, msgspec.Meta(ge=0, le=100)] = 6
