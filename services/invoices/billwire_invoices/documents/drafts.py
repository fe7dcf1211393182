"""Making and issuing documents inside a caller's transaction, shared by every wing that does:
`create_draft` (a new draft from a document input; the documents handler and drafting from text),
`issue` (the one place a draft gets its number and is finalized; finalize, send, cancel and
recurring runs), `draft_of` (the draft computed only, for previews), `buyer` and `locked_document`."""

import contextlib
from datetime import date, datetime
from uuid import UUID

import asyncpg
import msgspec

from billwire_invoices.accounts import sql as accounts_sql
from billwire_invoices.documents import rules, sql
from billwire_invoices.documents.einvoice import checks as einvoice
from billwire_invoices.documents.vat import vat_note
from billwire_invoices.uow import UnitOfWork, refused_if_taken, utcnow
from billwire_shared.contracts.accounts import Profile, seller_of
from billwire_shared.contracts.clients import Client, ClientInput
from billwire_shared.contracts.common import Caller
from billwire_shared.contracts.documents import Document, DocumentInput, ExportType, Line, LineInput
from billwire_shared.errors import BillwireError, ErrorCode, FieldError, found, invalid
from billwire_shared.ids import new_id


async def locked_document(conn: asyncpg.Connection, account_id: UUID, doc_id: UUID, doc_type: str | None = None) -> Document:
    """The account's document, locked until the transaction ends; 404 when it has none by that id."""
    return found(await sql.get_document(conn, account_id, doc_id, doc_type, lock=True), ErrorCode.DOCUMENT_NOT_FOUND, "Document", doc_id)


def number_unique() -> contextlib.AbstractContextManager[None]:
    """An imported document's own number that another document of its type in the account has
    is a 409 naming the field."""
    return refused_if_taken(
        "documents_number", ErrorCode.DOCUMENT_NUMBER_TAKEN, "Another document of this type in the account has that number.",
        "number", "already used by another document of this type",
    )


def issue_action(doc: Document) -> str:
    """The audit log's action for issuing `doc`: an imported one says so."""
    return "import" if doc.imported else "finalize"


def buyer(client_id: UUID | None, inline: ClientInput | None, client: Client | None) -> tuple[UUID | None, ClientInput]:
    """The document's buyer: the stored client `client_id` names (fetched as `client`) or an inline one."""
    if client_id is not None and inline is not None:
        raise invalid([FieldError(field="client", message="give either client_id or client, not both")])
    if client_id is not None:
        if client is None:
            raise BillwireError(
                ErrorCode.CLIENT_NOT_FOUND, f"Client {client_id} was not found.",
                [FieldError(field="client_id", message="no such client in this account")], status=422,
            )
        return client.id, client
    if inline is None:
        raise invalid([FieldError(field="client_id", message="client_id or an inline client is required")])
    return None, rules.validate_client(inline, "client")


async def priced_lines(conn: asyncpg.Connection, account_id: UUID, lines: list[LineInput], profile: Profile, currency: str) -> list[Line]:
    """The lines of a document, with the stored products they name filled in."""
    products = await sql.get_products(conn, account_id, [line.product_id for line in lines if line.product_id])
    return rules.build_lines(lines, products, profile.default_tax_rate, currency)


def draft_of(
    body: DocumentInput, profile: Profile, client_id: UUID | None, client_input: ClientInput, lines: list[Line], currency: str,
    now: datetime, export_type: ExportType = "pdf",
) -> Document:
    """The new draft `body` describes, computed only: neither stored nor checked as an e-invoice."""
    due_days = body.due_days
    if due_days is None and body.due_date is None and body.type == "invoice":
        due_days = profile.default_payment_terms_days
    return rules.refresh(Document(
        id=new_id(), type=body.type, status="draft", client_id=client_id,
        client=rules.snapshot_of(client_input), currency=currency, issue_date=body.issue_date,
        service_date=body.service_date, service_period=body.service_period, due_date=body.due_date,
        due_days=due_days, introduction=body.introduction, notes=body.notes,
        discount_rate=body.discount_rate,
        vat_regulation=body.vat_regulation or client_input.vat_regulation or "standard",
        language=body.language or client_input.language or profile.language,
        lines=lines, totals=rules.compute_totals([], currency, None, "standard"),
        version=1, created_at=now, updated_at=now, tax_exemption_reason=body.tax_exemption_reason,
        export_type=export_type, price_layout=body.price_layout or profile.default_price_layout,
        show_prices=body.show_prices if body.show_prices is not None else body.type != "delivery_note",
        imported=body.imported, number=body.number, custom_status=body.custom_status,
    ))


async def create_draft(conn: asyncpg.Connection, ctx: Caller, body: DocumentInput) -> Document:
    """Store a new draft of `body` (checked with `rules.document_problems` already) with its event."""
    account_id = ctx.account_id
    profile, client = await sql.get_profile_and_client(conn, account_id, body.client_id)
    client_id, client_input = buyer(body.client_id, body.client, client)
    currency = body.currency or client_input.currency or profile.default_currency
    lines = await priced_lines(conn, account_id, body.lines, profile, currency)
    export_type = einvoice.export_type_for(body.type, body.export_type, client_input.export_type, profile.default_export_type)
    doc = draft_of(body, profile, client_id, client_input, lines, currency, utcnow(), export_type)
    doc = msgspec.structs.replace(doc, vat_note=vat_note(body.lines, doc.lines, profile, doc.client.address.country, doc.vat_regulation))
    await einvoice.check(doc, seller_of(profile))
    statement = sql.insert_document(account_id, doc)
    with number_unique():
        await UnitOfWork.apply(conn, statement, ctx, "document", doc.id, "create", None, doc, f"{doc.type}.created", doc.created_at)
    return doc


def due_problems(draft: Document, issue_date: date) -> list[FieldError]:
    """A fixed due date before the day the draft is issued (issue and its preview both check it)."""
    if draft.due_date is not None and draft.due_days is None and draft.due_date < issue_date:
        return [FieldError(field="due_date", message=f"must not be before the issue date {issue_date.isoformat()}")]
    return []


async def issue(conn: asyncpg.Connection, account_id: UUID, draft: Document, profile: Profile | None = None) -> Document:
    """The draft finalized: checked complete, numbered from its series (the counter stays locked
    until the caller's transaction ends), the seller frozen, the e-invoice checked. Not saved:
    the caller saves it with the action (`issue_action`) and event that say why it was issued.

    An imported draft keeps its own number and never touches the series; a series number an
    imported document already holds is passed over (it is used, so the series stays gapless)."""
    profile = profile or await accounts_sql.get_profile(conn, account_id)
    missing = rules.finalize_problems(draft, profile)
    if missing:
        raise BillwireError(ErrorCode.DOCUMENT_INCOMPLETE, "The document is missing what an issued document must carry.", missing)
    issue_date = draft.issue_date or date.today()
    if late := due_problems(draft, issue_date):
        raise invalid(late)
    if draft.imported:
        number = draft.number
    else:
        series = getattr(profile.number_series, draft.type)
        period = rules.series_period(issue_date, series.yearly_reset)
        while True:
            number = rules.format_number(series.pattern, await sql.next_in_series(conn, account_id, draft.type, period), issue_date)
            if not await sql.number_taken(conn, account_id, draft.type, number):
                break
    issued = rules.finalize(draft, seller_of(profile), number, issue_date, utcnow())
    await einvoice.check(issued, issued.seller)
    return issued
