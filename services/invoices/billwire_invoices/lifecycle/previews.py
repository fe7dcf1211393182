"""What finalize, send, cancel and mark-unpaid would do, told before they are confirmed: the
number, recipients, subject, attachments and total, and every reason the action would be
refused. It runs the rules the actions run (`finalize_problems`, the e-invoice check,
`send_request`, `cancel`, `ensure_payable`, the mailer's quota), collecting each refusal
instead of stopping at the first, and writes nothing: the next number is read, not taken."""

import asyncio
from collections.abc import Callable
from datetime import date, datetime
from uuid import UUID

import asyncpg
import msgspec

from billwire_invoices.documents import rules as document_rules
from billwire_invoices.documents import sql as documents_sql
from billwire_invoices.documents.einvoice import checks as einvoice
from billwire_invoices.documents.einvoice.validate import run_on_saxon_thread
from billwire_invoices.email import sql as email_sql
from billwire_invoices.lifecycle import rules, sql
from billwire_invoices.lifecycle.sending import Request
from billwire_shared import subjects
from billwire_shared.contracts.accounts import Profile, seller_of
from billwire_shared.contracts.common import Caller
from billwire_shared.contracts.documents import Document
from billwire_shared.contracts.lifecycle import SendInput
from billwire_shared.contracts.mail import EmailQuota, GetEmailQuota
from billwire_shared.contracts.previews import ActionPreview, Attachment, PreviewAction, Problem
from billwire_shared.errors import BillwireError, ErrorCode
from billwire_shared.ids import new_id

WOULD = {
    "finalize": "issue the document with the next number of its series; it can never change again",
    "send": "e-mail the document as a PDF (a draft is issued first)",
    "cancel": "cancel the invoice and issue a credit note that reverses it",
    "mark_unpaid": "remove every payment of the invoice; it is open with its whole balance again",
}


def refusals(check: Callable[[], object]) -> list[Problem]:
    """The problems `check` raises as a domain error, each field its own; none when it passes."""
    try:
        check()
    except BillwireError as exc:
        reply = exc.reply
        if not reply.details:
            return [Problem(code=reply.code, message=reply.message)]
        return [Problem(code=reply.code, message=d.message, field=d.field, rule=d.rule) for d in reply.details]
    return []


def incomplete(doc: Document, profile: Profile) -> list[Problem]:
    found = document_rules.finalize_problems(doc, profile)
    return [Problem(code=ErrorCode.DOCUMENT_INCOMPLETE, message=p.message, field=p.field) for p in found]


def filename_of(doc: Document, number: str | None) -> str:
    """As rendering names the file: the number, only safe characters (layout.filename_of)."""
    stem = number or f"draft-{doc.type.replace('_', '-')}-{str(doc.id)[:8]}"
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "-" for ch in stem).strip(".-") or "document"


def attachments_of(doc: Document, number: str | None) -> list[Attachment]:
    stem = filename_of(doc, number)
    files = [Attachment(filename=f"{stem}.pdf", media_type="application/pdf")]
    if doc.export_type == "xrechnung" and doc.type in ("invoice", "credit_note"):
        files.append(Attachment(filename=f"{stem}.xml", media_type="application/xml"))
    return files


async def peek_number(conn: asyncpg.Connection, account_id: UUID, doc: Document, profile: Profile, on: date) -> str | None:
    """The number a draft would get if it were issued now (read, not taken): an imported draft's
    own, else the series' next one that no imported document holds (as `issue` numbers)."""
    if doc.imported:
        return doc.number
    series = getattr(profile.number_series, doc.type)
    sequence = await sql.peek_in_series(conn, account_id, doc.type, document_rules.series_period(on, series.yearly_reset))
    while await documents_sql.number_taken(conn, account_id, doc.type, number := document_rules.format_number(series.pattern, sequence, on)):
        sequence += 1
    return number


async def einvoice_problems(doc: Document, profile: Profile) -> list[Problem]:
    found = await asyncio.wrap_future(run_on_saxon_thread(einvoice.problems, doc, seller_of(profile)))
    return [Problem(code=ErrorCode.EINVOICE_INVALID, message=p.message, field=p.field, rule=p.rule) for p in found]


async def issued_preview(conn: asyncpg.Connection, ctx: Caller, doc: Document, profile: Profile, now: datetime) -> tuple[Document, list[Problem]]:
    """The document as issuing it now would make it, and why issuing would be refused."""
    issue_date = doc.issue_date or now.date()
    number = doc.number if doc.imported else await peek_number(conn, ctx.account_id, doc, profile, issue_date)
    issued = document_rules.finalize(doc, seller_of(profile), number, issue_date, now)
    problems = incomplete(doc, profile)
    if doc.due_date is not None and doc.due_days is None and doc.due_date < issue_date:
        problems.append(Problem(code=ErrorCode.VALIDATION_ERROR, field="due_date",
                                message=f"must not be before the issue date {issue_date.isoformat()}"))
    if not problems:  # the e-invoice check runs, as in `issue`, on a complete document only
        problems = await einvoice_problems(issued, profile)
    return issued, problems


async def quota_problems(request: Request | None, ctx: Caller) -> list[Problem]:
    if request is None:
        return []
    quota = msgspec.json.decode(await request(subjects.MAILER_QUOTA_GET, msgspec.json.encode(GetEmailQuota(ctx=ctx))), type=EmailQuota)
    if quota.allowed:
        return []
    return [Problem(code=ErrorCode.EMAIL_QUOTA_EXCEEDED, message=f"The daily e-mail limit of {quota.limit} is reached.")]


async def preview_action(conn: asyncpg.Connection, request: Request | None, cmd: PreviewAction, doc: Document, now: datetime) -> ActionPreview:
    profile, templates = await email_sql.get_profile_and_templates(conn, cmd.ctx.account_id)
    preview = ActionPreview(
        action=cmd.action, would=WOULD[cmd.action], document_id=doc.id, type=doc.type, status=doc.status, status_after=doc.status,
        number=doc.number, number_after=doc.number, total=doc.totals.gross, currency=doc.currency, balance_due=doc.balance_due,
        vat_note=doc.vat_note,
    )
    problems: list[Problem] = []
    if cmd.action == "finalize":
        problems += refusals(lambda: document_rules.ensure_draft(doc))
        if doc.status == "draft":
            issued, found = await issued_preview(conn, cmd.ctx, doc, profile, now)
            problems += found
            preview = msgspec.structs.replace(preview, number_after=issued.number, status_after="open")
    elif cmd.action == "send":
        if doc.status == "cancelled":
            problems.append(Problem(code=ErrorCode.INVALID_DOCUMENT_STATE, message="A cancelled invoice is not sent; send its credit note."))
        target = doc
        if doc.status == "draft":
            target, found = await issued_preview(conn, cmd.ctx, doc, profile, now)
            problems += found
        body = cmd.send or SendInput()
        mail: list = []
        problems += refusals(lambda: mail.append(rules.send_request(target, body, profile, cmd.ctx.account_id, new_id(), now, templates)))
        problems += await quota_problems(request, cmd.ctx)
        preview = msgspec.structs.replace(
            preview, number_after=target.number, status_after="open" if doc.status == "draft" else doc.status,
            attachments=attachments_of(target, target.number),
            **({"to": mail[0].to, "cc": mail[0].cc, "bcc": mail[0].bcc, "subject": mail[0].subject, "message": mail[0].body} if mail else
               {"to": [a for a in [body.recipient or doc.client.email] if a], "cc": list(body.cc)}),
        )
    elif cmd.action == "cancel":
        note = rules.credit_note_for(doc, new_id(), now)
        problems += refusals(lambda: rules.cancel(doc, cmd.reason, note, now))
        note_number = await peek_number(conn, cmd.ctx.account_id, note, profile, now.date())
        problems += incomplete(note, profile)
        preview = msgspec.structs.replace(preview, status_after="cancelled", credit_note_number=note_number, balance_due=doc.balance_due)
    else:
        problems += refusals(lambda: rules.ensure_payable(doc))
        payments = await sql.payments_of(conn, cmd.ctx.account_id, doc.id)
        preview = msgspec.structs.replace(preview, status_after="open" if doc.status == "paid" else doc.status, payments_removed=payments,
                                          balance_due=doc.totals.gross if doc.status in ("open", "paid") else doc.balance_due)
    return msgspec.structs.replace(preview, blocking_problems=problems)
