"""Sending documents by e-mail: the request, and what became of it."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

import msgspec

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
