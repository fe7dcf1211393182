"""Pure rules of approvals: which calls are held back, who may decide, whether an approved
action may still run on the document as it is now, and the preview of the actions that have no
preview of their own (delete, record_payment)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import msgspec

from billwire_shared.contracts.approvals import Approval
from billwire_shared.contracts.common import Caller
from billwire_shared.contracts.documents import Document
from billwire_shared.contracts.lifecycle import PaymentInput
from billwire_shared.contracts.previews import ActionPreview, Problem
from billwire_shared.errors import BillwireError, ErrorCode, FieldError


def held_for_approval(ctx: Caller, action: str) -> None:
    """A key whose policy names `action` never does it directly: the gateway asks for an
    approval instead (POST answers 202). Reaching the action itself is refused, not done."""
    if action in ctx.requires_approval:
        raise BillwireError(
            ErrorCode.APPROVAL_REQUIRED,
            f"This API key's policy requires a person's approval for `{action}`; nothing was done.",
        )


def ensure_policy_kept(ctx: Caller, asked: list[str] | tuple[str, ...]) -> None:
    """A key whose policy holds actions back makes keys only under that policy too: a key without
    it could do, or approve, what this one may only ask for."""
    dropped = [action for action in ctx.requires_approval if action not in asked]
    if dropped:
        names = ", ".join(f"`{action}`" for action in dropped)
        raise BillwireError(
            ErrorCode.APPROVAL_REQUIRED,
            f"This API key's policy requires a person's approval for {names}; a key it creates must require that too. Nothing was done.",
            [FieldError(field="requires_approval", message=f"must include {names}")],
        )


def hold_automatic_issuing(ctx: Caller, auto_finalize: bool, auto_send: bool) -> None:
    """A recurring invoice that finalizes or sends by itself would do, every period and with no
    person asked, what this key's policy holds back; a key under that policy sets up drafts only."""
    field = None
    if auto_send and ("send" in ctx.requires_approval or "finalize" in ctx.requires_approval):
        field = "auto_send"
    elif auto_finalize and "finalize" in ctx.requires_approval:
        field = "auto_finalize"
    if field is not None:
        raise BillwireError(
            ErrorCode.APPROVAL_REQUIRED,
            f"This API key's policy requires a person's approval to finalize or send, so it cannot set `{field}`: nothing was done.",
            [FieldError(field=field, message="a person's approval is required for each invoice this would issue")],
        )


def ensure_no_decider_invited(ctx: Caller, role: str) -> None:
    """A key under a policy invites no one who may decide approvals (owners and members): the
    answer carries the invitation's link, so the key would join as a person and approve itself."""
    if ctx.key_id is not None and ctx.requires_approval and role in ("owner", "member"):
        raise BillwireError(
            ErrorCode.APPROVAL_REQUIRED,
            f"This API key's policy requires a person's approval for some actions, so it cannot invite an {role}, who could"
            " approve them. Nothing was done.",
            [FieldError(field="role", message="a key under an approval policy may invite an accountant only")],
        )


def ensure_may_decide(ctx: Caller, approval: Approval) -> None:
    """A person signed in, or a key whose own policy does not hold the same action back."""
    if ctx.user_id is None and approval.action in ctx.requires_approval:
        raise BillwireError(
            ErrorCode.FORBIDDEN,
            f"This API key needs approval for `{approval.action}` itself, so it cannot approve or reject one.",
        )


def ensure_pending(approval: Approval) -> None:
    if approval.state != "pending":
        raise BillwireError(
            ErrorCode.APPROVAL_NOT_PENDING, f"Approval {approval.id} is {approval.state} already; nothing was done.",
        )


def why_not_now(approval: Approval, doc: Document | None, version: int, total: Decimal, problems: list[Problem]) -> str | None:
    """Why the approved action must not run on the document as it is now (None: it may). It runs
    only on the document the person saw: same version, same total, nothing that would refuse it."""
    if doc is None:
        return "The document no longer exists; nothing was done."
    if doc.version != version:
        return (f"The document changed after the approval was asked for (version {version}, now {doc.version}); "
                "nothing was done. Ask for a new approval to act on it as it is now.")
    if total != approval.expected_total:
        return (f"The document's total is {total} {doc.currency} now, not the expected {approval.expected_total}; "
                "nothing was done.")
    if problems:
        reasons = "; ".join(f"{p.code}: " + (f"{p.field}: " if p.field else "") + p.message for p in problems)
        return f"The {approval.action} would be refused now: {reasons}; nothing was done."
    return None


def plain_preview(action: str, doc: Document, payment: PaymentInput | None) -> ActionPreview:
    """What deleting a draft or recording a payment would do (the other actions have previews.py)."""
    problems: list[Problem] = []
    if action == "delete":
        would = "delete the draft; it is gone for good"
        if doc.status != "draft":
            problems.append(Problem(code=ErrorCode.DOCUMENT_FINALIZED, message="Only a draft can be deleted."))
    else:
        amount = payment.amount if payment else Decimal(0)
        would = f"record a payment of {amount} {doc.currency}"
        if doc.status not in ("open", "paid") or doc.type != "invoice":
            problems.append(Problem(code=ErrorCode.INVALID_DOCUMENT_STATE, message="Only an issued invoice takes payments."))
    return ActionPreview(
        action=action, would=would, document_id=doc.id, type=doc.type, status=doc.status,
        status_after=doc.status, number=doc.number, number_after=doc.number, total=doc.totals.gross,
        currency=doc.currency, balance_due=doc.balance_due, vat_note=doc.vat_note, blocking_problems=problems,
    )


def refusal(preview: ActionPreview) -> BillwireError:
    """What asking for an action that would be refused answers at once: the first problem's code,
    every problem named (no approval is stored for an action that cannot run)."""
    first = preview.blocking_problems[0]
    details = [FieldError(field=p.field or "", message=p.message, rule=p.rule) for p in preview.blocking_problems]
    return BillwireError(ErrorCode(first.code), f"The {preview.action} would be refused, so no approval was asked for: {first.message}", details)


def approval_of(row: Any) -> Approval:
    data = {name: row[name] for name in (
        "id", "action", "document_id", "state", "key_id", "preview", "expected_total", "reason", "result",
        "decided_by_user", "decided_by_key", "created_at", "decided_at", "expires_at",
    )}
    return msgspec.convert(data | {"approve_url": f"/approvals/{row['id']}"}, Approval, strict=False)


def decided(approval: Approval, state: str, ctx: Caller, now: datetime, reason: str | None = None, result: Any = None) -> Approval:
    return msgspec.structs.replace(
        approval, state=state, reason=reason, result=result, decided_at=now, pending=False,
        decided_by_user=ctx.user_id, decided_by_key=ctx.key_id if ctx.user_id is None else None,
    )
