"""Recurring invoices for people: the list; one template's page with its schedule, the next runs as
the invoices service previews them and every document it generated, with pause, resume and end;
and the form that creates or edits one (its Preview button shows the runs before anything is
stored), prefilled from an invoice by the document page's "Make recurring"."""

from __future__ import annotations

import asyncio
import calendar
from datetime import date
from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath

from billwire_gateway.bus import ApiError
from billwire_gateway.calls import recurring as calls
from billwire_gateway.calls.call import Call
from billwire_gateway.web.context import Person, PersonDep, bus_of, decode, page, redirect
from billwire_gateway.web.forms import convert, field_errors, given, lines, text
from billwire_gateway.web.i18n import Texts
from billwire_shared import subjects
from billwire_shared.contracts.clients import Client, ListClients, ListProducts, Product
from billwire_shared.contracts.common import ById, Page
from billwire_shared.contracts.documents import Document, DocumentById
from billwire_shared.contracts.recurring import RecurringInput, RecurringInvoice, RecurringPatch, RecurringPreview, Schedule
from billwire_shared.errors import ErrorCode, ErrorReply, FieldError

TEMPLATE_FIELDS = ("name", "currency", "language", "due_days", "export_type", "discount_rate", "introduction", "notes", "vat_regulation")
SCHEDULE_FIELDS = ("frequency", "interval", "day_of_month", "start", "end_date", "max_runs")
STATUSES = ("active", "paused", "ended")
# (singular, plural) of a schedule's unit, per language.
UNITS = {
    "en": {"weekly": ("week", "weeks"), "monthly": ("month", "months"), "quarterly": ("quarter", "quarters"), "yearly": ("year", "years")},
    "de": {"weekly": ("Woche", "Wochen"), "monthly": ("Monat", "Monate"), "quarterly": ("Quartal", "Quartale"), "yearly": ("Jahr", "Jahre")},
}
EVERY_ONE_DE = {"weekly": "Jede", "monthly": "Jeden", "quarterly": "Jedes", "yearly": "Jedes"}


def schedule_text(schedule: Schedule, texts: Texts) -> str:
    """"Every 2 months on day 31" / "Alle 2 Monate am 31.": the schedule as a person says it."""
    one, many = UNITS[texts.language][schedule.frequency]
    if texts.language == "de":
        every = f"{EVERY_ONE_DE[schedule.frequency]} {one}" if schedule.interval == 1 else f"Alle {schedule.interval} {many}"
        return every + (f" am {schedule.day_of_month}." if schedule.day_of_month and schedule.frequency != "weekly" else "")
    every = f"Every {one}" if schedule.interval == 1 else f"Every {schedule.interval} {many}"
    return every + (f" on day {schedule.day_of_month}" if schedule.day_of_month and schedule.frequency != "weekly" else "")


def next_month(today: date) -> date:
    """The same day next month (clamped to its last day): where a retainer made from today's invoice starts."""
    year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    return date(year, month, min(today.day, calendar.monthrange(year, month)[1]))


def from_invoice(doc: Document, today: date) -> dict[str, Any]:
    """A new template's values from an invoice: its client, lines (net or gross as they were given) and terms, monthly from next month."""
    rows = []
    for line in doc.lines:
        price = {"gross_unit_price": line.gross_unit_price} if line.price_basis == "gross" else {"unit_price": line.unit_price}
        rows.append({
            "description": line.description, "quantity": line.quantity, "unit": line.unit, "tax_rate": line.tax_rate,
            "discount_rate": line.discount_rate, "product_id": line.product_id, **price,
        })
    start = next_month(today)
    return {
        "name": f"{doc.client.name} · {doc.number or ''}".strip(" ·"), "client_id": doc.client_id, "lines": rows,
        "currency": doc.currency, "language": doc.language, "due_days": doc.due_days, "export_type": doc.export_type,
        "discount_rate": doc.discount_rate, "introduction": doc.introduction, "notes": doc.notes, "vat_regulation": doc.vat_regulation,
        "schedule": {"frequency": "monthly", "interval": 1, "day_of_month": start.day, "start": start},
        "auto_finalize": False, "catch_up": "all",
    }


def form_values(form: Any) -> dict[str, Any]:
    """The form as the API's template body: the same field names, `schedule.*` and `auto_send.*` nested."""
    values: dict[str, Any] = given(form, TEMPLATE_FIELDS) | {"lines": lines(form), "catch_up": text(form, "catch_up") or "all"}
    values["schedule"] = given(form, SCHEDULE_FIELDS, "schedule.")
    if text(form, "client_id"):
        values["client_id"] = text(form, "client_id")
    values["auto_finalize"] = bool(text(form, "auto_finalize"))
    if text(form, "auto_send"):
        values["auto_send"] = given(form, ("recipient", "subject"), "auto_send.")
    return values


def as_patch(values: dict[str, Any]) -> dict[str, Any]:
    """An edit sends the whole form: an emptied field clears what the template had."""
    return {name: values.get(name) for name in (*TEMPLATE_FIELDS, "auto_send")} | {
        name: values[name] for name in ("client_id", "lines", "schedule", "auto_finalize", "catch_up") if name in values
    }


async def client_names(request: Request, person: Person, client_ids: set[UUID]) -> dict[UUID, str]:
    """The names of the clients the templates bill: the first page of clients, then any missing one by id."""
    bus = bus_of(request)
    listed = decode(await bus.call(subjects.CLIENT_LIST, ListClients(ctx=person.caller, limit=100)), Page[Client])
    names = {client.id: client.name for client in listed.items}
    missing = [client_id for client_id in client_ids if client_id not in names]
    for client_id, raw in zip(missing, await asyncio.gather(
        *(bus.call(subjects.CLIENT_GET, ById(ctx=person.caller, id=client_id)) for client_id in missing), return_exceptions=True,
    ), strict=True):
        names[client_id] = decode(raw, Client).name if isinstance(raw, bytes) else "–"
    return names


class RecurringController(Controller):
    path = "/recurring"

    @get("/")
    async def list_templates(self, request: Request, person: PersonDep) -> Response:
        wanted = request.query_params.get("status")
        status = wanted if wanted in STATUSES else None
        raw = await calls.LIST.ask(bus_of(request), person.caller, status=status, limit=100)
        templates = decode(raw, Page[RecurringInvoice])
        names = await client_names(request, person, {template.client_id for template in templates.items})
        return page(
            request, "recurring_list.html", person, templates=templates, names=names, status=status, statuses=STATUSES,
            schedule_text=schedule_text,
        )

    @get("/new")
    async def new_form(self, request: Request, person: PersonDep) -> Response:
        source = request.query_params.get("from")
        values: dict[str, Any] = {"schedule": {"frequency": "monthly", "interval": 1, "start": next_month(date.today())}, "lines": []}
        if source:
            try:
                doc_id = UUID(source)
            except ValueError:
                doc_id = None
            if doc_id is not None:
                doc = decode(await bus_of(request).call(subjects.DOCUMENT_GET, DocumentById(ctx=person.caller, id=doc_id)), Document)
                values = from_invoice(doc, date.today())
        return await self._form(request, person, None, values, {}, preview=bool(source))

    @post("/new")
    async def create(self, request: Request, person: PersonDep) -> Response:
        form = await request.form()
        values = form_values(form)
        try:
            self._may_send(person, values)
            body = convert(values, RecurringInput)
            if text(form, "then") == "preview":
                return await self._form(request, person, None, values, {}, preview=True)
            raw = await calls.CREATE.ask(bus_of(request), person.caller, body)
        except ApiError as exc:
            if exc.reply.http_status >= 500:
                raise
            return await self._form(request, person, None, values, field_errors(exc), 422)
        return redirect(f"/recurring/{decode(raw, RecurringInvoice).id}", "Saved.", person)

    @get("/{recurring_id:uuid}")
    async def show(self, request: Request, person: PersonDep, recurring_id: FromPath[UUID]) -> Response:
        bus = bus_of(request)
        raw_template, raw_preview = await asyncio.gather(
            calls.GET.ask(bus, person.caller, recurring_id), calls.PREVIEW.ask(bus, person.caller, recurring_id, count=6),
            return_exceptions=True,
        )
        if isinstance(raw_template, BaseException):
            raise raw_template
        template = decode(raw_template, RecurringInvoice)
        preview = decode(raw_preview, RecurringPreview) if isinstance(raw_preview, bytes) else None
        problem = raw_preview.reply.message if isinstance(raw_preview, ApiError) else None
        names = await client_names(request, person, {template.client_id})
        return page(
            request, "recurring.html", person, rec=template, preview=preview, problem=problem, client_name=names[template.client_id],
            schedule_text=schedule_text,
        )

    @get("/{recurring_id:uuid}/edit")
    async def edit_form(self, request: Request, person: PersonDep, recurring_id: FromPath[UUID]) -> Response:
        raw = await calls.GET.ask(bus_of(request), person.caller, recurring_id)
        template = decode(raw, RecurringInvoice)
        return await self._form(request, person, template, msgspec.to_builtins(template), {}, preview=True)

    @post("/{recurring_id:uuid}/edit")
    async def update(self, request: Request, person: PersonDep, recurring_id: FromPath[UUID]) -> Response:
        form = await request.form()
        values = form_values(form)
        bus = bus_of(request)
        template = decode(await calls.GET.ask(bus, person.caller, recurring_id), RecurringInvoice)
        try:
            self._may_send(person, values)
            if text(form, "then") == "preview":
                convert(values, RecurringInput)
                return await self._form(request, person, template, values, {}, preview=True)
            patch = convert(as_patch(values), RecurringPatch)
            await calls.UPDATE.ask(bus, person.caller, recurring_id, patch)
        except ApiError as exc:
            if exc.reply.http_status >= 500 or exc.reply.http_status == 404:
                raise
            return await self._form(request, person, template, values, field_errors(exc), 422)
        return redirect(f"/recurring/{recurring_id}", "Saved.", person)

    async def _act(self, request: Request, person: Person, recurring_id: UUID, call: Call, done: str) -> Response:
        try:
            await call.ask(bus_of(request), person.caller, recurring_id)
        except ApiError as exc:
            if exc.reply.http_status == 404:
                raise
            return redirect(f"/recurring/{recurring_id}", exc.reply.message, person)
        return redirect(f"/recurring/{recurring_id}", done, person)

    @post("/{recurring_id:uuid}/pause")
    async def pause(self, request: Request, person: PersonDep, recurring_id: FromPath[UUID]) -> Response:
        return await self._act(request, person, recurring_id, calls.PAUSE, "Paused: no invoices until resumed.")

    @post("/{recurring_id:uuid}/resume")
    async def resume(self, request: Request, person: PersonDep, recurring_id: FromPath[UUID]) -> Response:
        return await self._act(request, person, recurring_id, calls.RESUME, "Resumed.")

    @post("/{recurring_id:uuid}/end")
    async def end(self, request: Request, person: PersonDep, recurring_id: FromPath[UUID]) -> Response:
        return await self._act(request, person, recurring_id, calls.END, "Ended: no more invoices from it.")

    @staticmethod
    def _may_send(person: Person, values: dict[str, Any]) -> None:
        """E-mailing each invoice is sending it: the role must be allowed to send, as by hand."""
        if "auto_send" in values and not person.may("email:send"):
            raise ApiError(ErrorReply(
                code=ErrorCode.FORBIDDEN, message="Your role may not do this.",
                details=[FieldError(field="auto_send", message="your role may not send e-mail")],
            ))

    @staticmethod
    async def _form(
        request: Request, person: Person, template: RecurringInvoice | None, values: dict[str, Any], errors: dict[str, str],
        status_code: int = 200, preview: bool = False,
    ) -> Response:
        """The form, with the next runs of what it holds when asked (the same checks as saving: its
        problems are shown at their fields)."""
        bus = bus_of(request)
        raw_clients, raw_products = await asyncio.gather(
            bus.call(subjects.CLIENT_LIST, ListClients(ctx=person.caller, limit=100)),
            bus.call(subjects.PRODUCT_LIST, ListProducts(ctx=person.caller, limit=100)),
        )
        runs = None
        if preview and not errors:
            try:
                body = convert(values, RecurringInput)
                raw = await calls.PREVIEW_NEW.ask(bus, person.caller, body, count=6)
                runs = decode(raw, RecurringPreview).runs
            except ApiError as exc:
                if exc.reply.http_status >= 500:
                    raise
                errors = field_errors(exc)
                status_code = 422 if request.method == "POST" else status_code
        return page(
            request, "recurring_form.html", person, status_code, rec=template, values=values, errors=errors, runs=runs,
            clients=decode(raw_clients, Page[Client]).items, products=decode(raw_products, Page[Product]).items,
        )
