"""Sending documents by e-mail: the request, and what became of it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from billwire_shared.contracts.common import Command

SendState = Literal["queued", "rendering", "sending", "delivered", "failed"]


class SendRequest(msgspec.Struct, kw_only=True):
    """One request to e-mail one document version; its id makes the Message-ID, so a retry
    never sends a second e-mail."""

    id: UUID
    account_id: UUID
    document_id: UUID
    document_number: str | None
    document_type: str
    version: int
    sender_name: str | None
    reply_to: str | None  # the account's own address
    to: list[str]
    cc: list[str] = []
    bcc: list[str] = []  # the account's own address when it asked for a copy
    subject: str
    body: str
    language: str = "en"
    requested_at: datetime
    export_type: str = "pdf"  # xrechnung: the XML goes with the PDF
    reminder_level: int | None = None  # a payment reminder of this level, sent by the scheduler


class SendRequested(msgspec.Struct, kw_only=True):
    """events.invoice.send_requested (and events.<type>.send_requested)."""

    send: SendRequest


class EmailDelivered(msgspec.Struct, kw_only=True):
    """events.email.delivered: the relay accepted the message."""

    send_request_id: UUID
    account_id: UUID
    document_id: UUID
    message_id: str
    recipients: list[str]
    delivered_at: datetime


class EmailFailed(msgspec.Struct, kw_only=True):
    """events.email.failed: given up (permanent error, or transient ones past the retries)."""

    send_request_id: UUID
    account_id: UUID
    document_id: UUID
    reason: str
    permanent: bool
    failed_at: datetime


# -- the daily e-mail quota of an account (mailer.rpc.quota.*), counted per UTC day ---------

class ReserveEmailQuota(Command, kw_only=True):
    """mailer.rpc.quota.reserve: take `count` e-mails of today's quota, all or none.

    With `reservation_id` (the send request id) a repeated call (a retry after a lost reply)
    reserves nothing twice and answers as the first did."""

    count: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 1
    reservation_id: UUID | None = None


class ReleaseEmailQuota(Command, kw_only=True):
    """mailer.rpc.quota.release: give a reservation back, when what it was taken for was not
    queued after all (its transaction failed). An unknown or released id changes nothing."""

    reservation_id: UUID


class GetEmailQuota(Command, kw_only=True):
    """mailer.rpc.quota.get: today's usage, reserving nothing."""


class EmailQuota(msgspec.Struct, kw_only=True):
    """The reply to both: `allowed` says whether the reservation was taken (for get: whether
    one more e-mail fits today); `limit` 0 means unlimited."""

    allowed: bool
    used: int
    limit: int
    resets_at: datetime  # the next midnight UTC
