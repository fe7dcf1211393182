"""Approvals: an API key whose policy names an action (`requires_approval`) does not do it alone;
the action waits as a pending approval until a person, or a key without that policy, decides."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal, get_args
from uuid import UUID

import msgspec

from billwire_shared.contracts.accounts import ApprovalAction
from billwire_shared.contracts.common import ById, Command, Deleted, Input, Paged, Short
from billwire_shared.contracts.documents import Document, DocumentType
from billwire_shared.contracts.lifecycle import CancelInput, Cancellation, Payment, PaymentInput, SendInfo, SendInput
from billwire_shared.contracts.previews import ActionPreview

APPROVAL_ACTIONS: tuple[str, ...] = get_args(ApprovalAction)
ApprovalState = Literal["pending", "approved", "rejected", "expired", "failed"]


def needs_approval(requires_approval: list[str] | tuple[str, ...], action: str) -> bool:
    return action in requires_approval


class RequestApproval(Command, kw_only=True):
    """invoices.rpc.approval.request: store `action` on the document as pending, with its preview."""

    action: ApprovalAction
    document_id: UUID
    document_type: DocumentType | None = None  # an /invoices route: a document of another type is not found
    send: SendInput | None = None
    cancel: CancelInput | None = None
    payment: PaymentInput | None = None
    # The web app's address, for the one-time approve/reject link e-mailed to the account's owners.
    web_url: str = ""


class ApprovalResult(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What the approved action answered, under its kind: `document` (finalize, mark_unpaid),
    `send` (send: the queued send, whose state GET /sends tells), `cancellation`, `payment`, `deleted`."""

    document: Document | None = None
    send: SendInfo | None = None
    cancellation: Cancellation | None = None
    payment: Payment | None = None
    deleted: Deleted | None = None


class Approval(msgspec.Struct, kw_only=True):
    """An action an API key asked for that waits for a person's decision (or got it).

    `state`: pending until approved (the action ran once, as the requesting key: `result`),
    rejected, expired (nobody decided before `expires_at`) or failed (approved, but the document
    had changed or the action was refused: `reason` says why; nothing was changed)."""

    id: UUID
    action: ApprovalAction
    document_id: UUID
    state: ApprovalState
    key_id: UUID  # the API key that asked; the action runs as it
    preview: ActionPreview  # what the action would do, as told when it was asked for
    expected_total: Decimal
    reason: str | None = None
    result: ApprovalResult | None = None  # the action's answer once approved
    decided_by_user: UUID | None = None
    decided_by_key: UUID | None = None
    created_at: datetime
    decided_at: datetime | None = None
    expires_at: datetime
    approve_url: str = ""  # where a person approves it: the web app's page (POST .../approve over the API)
    pending: bool = False  # true in the answer to the action that was held back (HTTP 202)


class ListApprovals(Paged, kw_only=True):
    state: ApprovalState | None = None


class DecisionInput(Input, kw_only=True):
    reason: Short | None = None  # why it was rejected (kept with the approval)


class DecideApproval(ById, kw_only=True):
    """invoices.rpc.approval.decide: approve (the action runs now, once) or reject."""

    decision: Literal["approve", "reject"]
    body: DecisionInput = msgspec.field(default_factory=DecisionInput)


class ApprovalLink(msgspec.Struct, kw_only=True):
    """invoices.rpc.approval.link_get: the pending approval an e-mailed link's token names (no
    Caller: the token is the proof, and works once)."""

    token: Annotated[str, msgspec.Meta(min_length=20, max_length=100)]


class DecideByLink(ApprovalLink, kw_only=True):
    """invoices.rpc.approval.link_decide: approve or reject through the e-mailed link."""

    decision: Literal["approve", "reject"]
    body: DecisionInput = msgspec.field(default_factory=DecisionInput)


class ApprovalDecided(msgspec.Struct, kw_only=True):
    """The data of approval.requested | approved | rejected | expired | failed events."""

    approval: Approval
