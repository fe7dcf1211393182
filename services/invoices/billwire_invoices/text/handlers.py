"""Invoices from text, and saved prompts.

A text is understood (offline parser, or a model), its client matched by name, and the draft
created through the same `create_document` as any other draft, in one transaction with the
idempotency key; a dry run computes the same draft with the domain functions and stores nothing.

No `from __future__ import annotations`: see handlers.py.
"""

import contextlib
import copy
from collections.abc import AsyncIterator
from uuid import UUID

import asyncpg
import msgspec

from billwire_invoices import domain
from billwire_invoices import repository as repo
from billwire_invoices.handlers import InvoicesHandlers, utcnow
from billwire_invoices.text import sql
from billwire_invoices.text.client_match import is_ambiguous, match_client
from billwire_invoices.text.model import (
    TextModelSettings,
    default_provider,
    private_address,
    understand,
)
from billwire_invoices.text.parser.lexicon import UNIT_LABELS
from billwire_shared import subjects as s
from billwire_shared.contracts import accounts as a
from billwire_shared.contracts import clients as c
from billwire_shared.contracts import documents as d
from billwire_shared.contracts import text as t
from billwire_shared.contracts.common import ById, Caller, Deleted, Page
from billwire_shared.errors import BillwireError, ErrorCode, FieldError, invalid
from billwire_shared.ids import new_id


class _OnConnection:
    """A pool stand-in that hands out one connection: runs `create_document` inside our transaction."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    @contextlib.asynccontextmanager
    async def acquire(self, *args, **kwargs) -> AsyncIterator[asyncpg.Connection]:
        yield self.conn


def _prompt_not_found(prompt_id: UUID) -> BillwireError:
    return BillwireError(ErrorCode.NOT_FOUND, f"Prompt {prompt_id} was not found.")


def check_labels(labels: list[t.Label]) -> list[t.Label]:
    seen: set[str] = set()
    problems = []
    for i, label in enumerate(labels):
        name = label.name.strip()
        if not name or name == t.NO_LABEL:
            problems.append(FieldError(field=f"labels[{i}].name", message=f"must not be empty or {t.NO_LABEL!r}"))
        elif name.lower() in seen:
            problems.append(FieldError(field=f"labels[{i}].name", message="appears twice"))
        seen.add(name.lower())
    domain.check(problems)
    return [t.Label(name=label.name.strip(), color=label.color.lower() if label.color else None) for label in labels]


class TextHandlers(InvoicesHandlers):
    def __init__(self, pool: asyncpg.Pool, documents: InvoicesHandlers, model: TextModelSettings | None = None) -> None:
        super().__init__(pool)
        self.documents = documents  # the service's handlers: their create_document makes the draft
        self.model = model or TextModelSettings()

    # -- drafting ------------------------------------------------------------------------------

    async def draft_from_text(self, cmd: t.DraftFromText) -> t.DraftFromTextResult:
        return await self._draft(cmd.ctx, cmd.body.text, cmd.body, None)

    async def run_prompt(self, cmd: t.RunPrompt) -> t.DraftFromTextResult:
        prompt = await self._read(lambda conn: sql.get_prompt(conn, cmd.ctx.account_id, cmd.id))
        if prompt is None:
            raise _prompt_not_found(cmd.id)
        return await self._draft(cmd.ctx, prompt.prompt_text, cmd.options, prompt.id)

    async def _draft(self, ctx: Caller, text: str, options: t.DraftOptions, prompt_id: UUID | None) -> t.DraftFromTextResult:
        if ctx.idempotency_key and not options.dry_run:
            earlier = await self._read(lambda conn: sql.earlier_reply(conn, ctx.account_id, ctx.idempotency_key))
            if earlier is not None and earlier["fingerprint"] == (ctx.fingerprint or ""):
                return msgspec.json.decode(earlier["reply"], type=t.DraftFromTextResult)  # no second model call
        if options.provider is not None and not self.model.text_model_allow_private:
            refused = await private_address(options.provider.base_url)
            if refused:
                raise invalid([FieldError(field="provider.base_url", message=refused)])
        provider = options.provider or default_provider(self.model)
        parsed, engine, notes = await understand(text, utcnow().date(), provider, self.model.text_model_timeout)

        async def work(conn: asyncpg.Connection) -> t.DraftFromTextResult:
            return await self._compose(conn, ctx, parsed, options, engine, notes, prompt_id)

        if options.dry_run:
            return await self._read(work)
        return await self._write(ctx, t.DraftFromTextResult, work)

    async def _compose(
        self, conn: asyncpg.Connection, ctx: Caller, parsed: t.ParsedInvoice, options: t.DraftOptions, engine: str,
        notes: list[str], prompt_id: UUID | None,
    ) -> t.DraftFromTextResult:
        notes = notes + list(parsed.notes)
        problems: list[FieldError] = []
        match, client = await self._client(conn, ctx.account_id, parsed, options.client_id, notes)
        profile = await repo.get_profile(conn, ctx.account_id)
        if match is None:
            problems.append(FieldError(field="client", message="name the client in the text (\"for Acme Corp\") or give client_id"))
        if not parsed.lines:
            problems.append(FieldError(field="text", message="no invoice line was understood (a quantity and a price, or a flat amount)"))
        body = None
        if not problems:
            language = (client.language if client else None) or profile.language
            body = self._document_input(parsed, match, language, problems)
        result = t.DraftFromTextResult(
            stored=False, document=None, client=match, parsed=parsed, engine=engine,  # type: ignore[arg-type]
            unparsed=list(parsed.unparsed), notes=notes, prompt_id=prompt_id,
        )
        if options.dry_run:
            if body is not None:
                try:
                    result.document = preview(body, profile, client)
                except BillwireError as exc:
                    problems.extend(exc.reply.details or [FieldError(field="text", message=exc.reply.message)])
            result.problems = problems
            return result
        if problems or body is None:
            unparsed = [FieldError(field="text", message=f"not understood: {u.text!r} ({u.reason})") for u in parsed.unparsed]
            raise invalid(problems + unparsed, "The text does not describe a complete invoice.")
        creator = copy.copy(self.documents)
        creator.pool = _OnConnection(conn)  # type: ignore[assignment]
        inner = msgspec.structs.replace(ctx, idempotency_key=None, fingerprint=None)
        result.document = await creator.create_document(d.CreateDocument(ctx=inner, document=body))
        result.stored = True
        return result

    async def _client(
        self, conn: asyncpg.Connection, account_id: UUID, parsed: t.ParsedInvoice, client_id: UUID | None, notes: list[str]
    ) -> tuple[t.ClientMatch | None, c.Client | None]:
        if client_id is not None:
            client = await repo.get_client(conn, account_id, client_id)
            if client is None:
                raise BillwireError(
                    ErrorCode.CLIENT_NOT_FOUND, f"Client {client_id} was not found.",
                    [FieldError(field="client_id", message="no such client in this account")], status=422,
                )
            if parsed.client_name and match_client(parsed.client_name, [(client.id, client.name)])[0] is None:
                notes.append(f"the text names {parsed.client_name!r}; the invoice is for client_id {client.name!r}")
            return t.ClientMatch(name=client.name, client_id=client.id, source="client_id"), client
        if not parsed.client_name:
            return None, None
        best, candidates = match_client(parsed.client_name, await sql.client_names(conn, account_id))
        if best is None:
            return t.ClientMatch(name=parsed.client_name, source="new", candidates=candidates), None
        if is_ambiguous(best, candidates):
            notes.append(f"{parsed.client_name!r} could also mean {candidates[1].name!r}; chose {best.name!r}")
        client = await repo.get_client(conn, account_id, best.id)
        return t.ClientMatch(name=best.name, client_id=best.id, score=best.score, source="matched", candidates=candidates), client

    @staticmethod
    def _document_input(parsed: t.ParsedInvoice, match: t.ClientMatch, language: str, problems: list[FieldError]) -> d.DocumentInput | None:
        labels = UNIT_LABELS.get(language, UNIT_LABELS["en"])
        lines = [
            {
                "description": line.description[:2000], "quantity": line.quantity, "unit_price": line.unit_price,
                "unit": labels.get(line.unit) if line.unit else None, "tax_rate": line.tax_rate,
            }
            for line in parsed.lines
        ]
        values = {
            "type": "invoice", "lines": lines, "currency": parsed.currency, "vat_regulation": parsed.vat_regulation,
            "due_days": parsed.due_days, "due_date": None if parsed.due_days is not None else parsed.due_date,
            "service_period": msgspec.to_builtins(parsed.service_period) if parsed.service_period else None,
        }
        values |= {"client_id": match.client_id} if match.client_id else {"client": {"name": match.name[:200]}}
        try:  # the same checks as a request body (a model's answer gets no shortcut)
            return msgspec.convert(msgspec.to_builtins(values), d.DocumentInput)
        except msgspec.ValidationError as exc:
            problems.append(FieldError(field="text", message=f"the draft would be invalid: {exc}"))
            return None

    # -- saved prompts -------------------------------------------------------------------------

    async def create_prompt(self, cmd: t.CreatePrompt) -> t.Prompt:
        labels = check_labels(cmd.prompt.labels)

        async def work(conn: asyncpg.Connection) -> t.Prompt:
            now = utcnow()
            prompt = t.Prompt(id=new_id(), prompt_text=cmd.prompt.prompt_text, labels=labels, created_at=now, updated_at=now)
            await self._apply(conn, sql.insert_prompt(cmd.ctx.account_id, prompt), cmd.ctx, "prompt", prompt.id, "create", None, prompt, None, now)
            return prompt

        return await self._write(cmd.ctx, t.Prompt, work, one_write=True)

    async def get_prompt(self, cmd: ById) -> t.Prompt:
        prompt = await self._read(lambda conn: sql.get_prompt(conn, cmd.ctx.account_id, cmd.id))
        if prompt is None:
            raise _prompt_not_found(cmd.id)
        return prompt

    async def list_prompts(self, cmd: t.ListPrompts) -> Page[t.Prompt]:
        items, total = await self._read(lambda conn: sql.list_prompts(conn, cmd))
        return Page(items=items, total=total, limit=cmd.limit, offset=cmd.offset)

    async def list_labels(self, cmd: t.ListLabels) -> list[t.LabelCount]:
        return await self._read(lambda conn: sql.label_counts(conn, cmd.ctx.account_id))

    async def update_prompt(self, cmd: t.UpdatePrompt) -> t.Prompt:
        labels = check_labels(cmd.prompt.labels)

        async def work(conn: asyncpg.Connection) -> t.Prompt:
            before = await sql.get_prompt(conn, cmd.ctx.account_id, cmd.id, lock=True)
            if before is None:
                raise _prompt_not_found(cmd.id)
            now = utcnow()
            after = msgspec.structs.replace(before, prompt_text=cmd.prompt.prompt_text, labels=labels, updated_at=now)
            await self._apply(conn, sql.update_prompt(cmd.ctx.account_id, after), cmd.ctx, "prompt", after.id, "update", before, after, None, now)
            return after

        return await self._write(cmd.ctx, t.Prompt, work)

    async def delete_prompt(self, cmd: ById) -> Deleted:
        async def work(conn: asyncpg.Connection) -> Deleted:
            before = await sql.get_prompt(conn, cmd.ctx.account_id, cmd.id, lock=True)
            if before is None:
                raise _prompt_not_found(cmd.id)
            statement = repo.delete_row("prompts", cmd.ctx.account_id, cmd.id)
            await self._apply(conn, statement, cmd.ctx, "prompt", cmd.id, "delete", before, None, None, utcnow())
            return Deleted(id=cmd.id)

        return await self._write(cmd.ctx, Deleted, work)


def preview(body: d.DocumentInput, profile: a.Profile, client: c.Client | None) -> d.Document:
    """The draft `create_document` would store, computed with the same domain functions, stored nowhere."""
    domain.check(domain.document_problems(body))
    client_id, buyer = InvoicesHandlers._buyer(body.client_id, body.client, client)
    currency = body.currency or buyer.currency or profile.default_currency
    lines = domain.build_lines(body.lines, {}, profile.default_tax_rate, currency)
    due_days = body.due_days
    if due_days is None and body.due_date is None:
        due_days = profile.default_payment_terms_days
    now = utcnow()
    return domain.refresh(d.Document(
        id=new_id(), type="invoice", status="draft", number=None, client_id=client_id, client=domain.snapshot_of(buyer),
        currency=currency, issue_date=body.issue_date, service_date=body.service_date, service_period=body.service_period,
        due_date=body.due_date, due_days=due_days, introduction=body.introduction, notes=body.notes,
        discount_rate=body.discount_rate, vat_regulation=body.vat_regulation or buyer.vat_regulation or "standard",
        language=body.language or buyer.language or profile.language, lines=lines,
        totals=domain.compute_totals([], currency, None, "standard"), version=1, created_at=now, updated_at=now,
    ))


TEXT_ROUTES: dict[str, str] = {
    s.INVOICE_FROM_TEXT: "draft_from_text",
    s.PROMPT_CREATE: "create_prompt",
    s.PROMPT_GET: "get_prompt",
    s.PROMPT_LIST: "list_prompts",
    s.PROMPT_LABELS: "list_labels",
    s.PROMPT_UPDATE: "update_prompt",
    s.PROMPT_DELETE: "delete_prompt",
    s.PROMPT_RUN: "run_prompt",
}
