"""Invoices from text, and saved prompts.

A text is understood (offline parser, or a model), its client matched by name, and the draft
created through the same `create_document` as any other draft, in one transaction with the
idempotency key; a dry run computes the same draft with the domain functions and stores nothing.

No `from __future__ import annotations`: see documents/handlers.py.
"""

from uuid import UUID

import asyncpg
import msgspec

from billwire_invoices import answers
from billwire_invoices.accounts import sql as accounts_sql
from billwire_invoices.documents import quota
from billwire_invoices.documents import rules as document_rules
from billwire_invoices.documents import sql as documents_sql
from billwire_invoices.documents.drafts import buyer, create_draft, draft_of
from billwire_invoices.documents.limits import DocumentLimits, size_problems
from billwire_invoices.text import sql
from billwire_invoices.text.client_match import is_ambiguous, match_client
from billwire_invoices.text.model import (
    TextModelSettings,
    default_provider,
    private_address,
    understand,
)
from billwire_invoices.text.providers import ProviderProblem, resolve_provider
from billwire_invoices.uow import UnitOfWork, utcnow
from billwire_shared import subjects
from billwire_shared.contracts import text as text_contracts
from billwire_shared.contracts.accounts import Profile
from billwire_shared.contracts.clients import Client
from billwire_shared.contracts.common import ById, Caller, Command, Deleted, Page
from billwire_shared.contracts.documents import Document, DocumentInput
from billwire_shared.errors import BillwireError, ErrorCode, FieldError, found, invalid
from billwire_shared.ids import new_id


def check_labels(labels: list[text_contracts.Label]) -> list[text_contracts.Label]:
    seen: set[str] = set()
    problems = []
    for i, label in enumerate(labels):
        name = label.name.strip()
        if not name or name == text_contracts.NO_LABEL:
            problems.append(FieldError(field=f"labels[{i}].name", message=f"must not be empty or {text_contracts.NO_LABEL!r}"))
        elif name.lower() in seen:
            problems.append(FieldError(field=f"labels[{i}].name", message="appears twice"))
        seen.add(name.lower())
    document_rules.check(problems)
    return [text_contracts.Label(name=label.name.strip(), color=label.color.lower() if label.color else None) for label in labels]


class TextHandlers:
    """One method per RPC subject of drafting from text and of saved prompts (each marked with the subject it answers)."""

    def __init__(
        self, pool: asyncpg.Pool, model: TextModelSettings | None = None, limits: DocumentLimits | None = None, documents_quota: int = 0,
    ) -> None:
        self.uow = UnitOfWork(pool)
        self.model = model or TextModelSettings()
        self.limits = limits or DocumentLimits()  # the draft's size, as for any draft
        self.documents_quota = documents_quota  # the monthly document quota, as for any draft

    # -- drafting ------------------------------------------------------------------------------

    @answers(subjects.INVOICE_FROM_TEXT)
    async def draft_from_text(self, cmd: text_contracts.DraftFromText) -> text_contracts.DraftFromTextResult:
        return await self._draft(cmd.ctx, cmd.body.text, cmd.body, None)

    @answers(subjects.PROMPT_RUN)
    async def run_prompt(self, cmd: text_contracts.RunPrompt) -> text_contracts.DraftFromTextResult:
        prompt = await self.get_prompt(cmd)
        return await self._draft(cmd.ctx, prompt.prompt_text, cmd.options, prompt.id)

    async def _draft(self, ctx: Caller, text: str, options: text_contracts.DraftOptions, prompt_id: UUID | None) -> text_contracts.DraftFromTextResult:
        if ctx.idempotency_key and not options.dry_run:
            earlier = await self.uow.read(lambda conn: sql.earlier_reply(conn, ctx.account_id, ctx.idempotency_key))
            if earlier is not None and earlier["fingerprint"] == (ctx.fingerprint or ""):
                return msgspec.json.decode(earlier["reply"], type=text_contracts.DraftFromTextResult)  # no second model call
        asked, field = options.provider, "provider.base_url"
        if asked is None and options.llm_provider:
            try:
                asked, field = resolve_provider(options.llm_provider, options.llm_api_key, options.llm_model), "llm_provider"
            except ProviderProblem as exc:
                raise invalid([exc.error]) from None
        if asked is not None and not self.model.text_model_allow_private:
            refused = await private_address(asked.base_url)
            if refused:
                raise invalid([FieldError(field=field, message=refused)])
        provider = asked or default_provider(self.model)
        parsed, engine, notes = await understand(text, utcnow().date(), provider, self.model.text_model_timeout)

        async def work(conn: asyncpg.Connection) -> text_contracts.DraftFromTextResult:
            return await self._compose(conn, ctx, parsed, options, engine, notes, prompt_id)

        if options.dry_run:
            return await self.uow.read(work)
        return await self.uow.write(ctx, text_contracts.DraftFromTextResult, work)

    async def _compose(
        self, conn: asyncpg.Connection, ctx: Caller, parsed: text_contracts.ParsedInvoice, options: text_contracts.DraftOptions, engine: str,
        notes: list[str], prompt_id: UUID | None,
    ) -> text_contracts.DraftFromTextResult:
        notes = notes + list(parsed.notes)
        problems: list[FieldError] = []
        match, client = await self._client(conn, ctx.account_id, parsed, options.client_id, notes)
        profile = await accounts_sql.get_profile(conn, ctx.account_id)
        if match is None:
            problems.append(FieldError(field="client", message="name the client in the text (\"for Acme Corp\") or give client_id"))
        if not parsed.lines:
            problems.append(FieldError(field="text", message="no invoice line was understood (a quantity and a price, or a flat amount)"))
        body = None
        if not problems:
            language = (client.language if client else None) or profile.language
            body = self._document_input(parsed, match, language, problems)
        result = text_contracts.DraftFromTextResult(
            stored=False, document=None, client=match, parsed=parsed, engine=engine,  # type: ignore[arg-type]
            unparsed=list(parsed.unparsed), notes=notes, prompt_id=prompt_id,
        )
        if options.dry_run:
            if body is not None:
                try:
                    document_rules.check(size_problems(body.lines, self.limits))
                    result.document = draft_document(preview(body, profile, client), stored=False)
                except BillwireError as exc:
                    problems.extend(exc.reply.details or [FieldError(field="text", message=exc.reply.message)])
            result.problems = problems
            return result
        if problems or body is None:
            unparsed = [FieldError(field="text", message=f"not understood: {u.text!r} ({u.reason})") for u in parsed.unparsed]
            raise invalid(problems + unparsed, "The text does not describe a complete invoice.")
        document_rules.check(document_rules.document_problems(body) + size_problems(body.lines, self.limits))
        inner = msgspec.structs.replace(ctx, idempotency_key=None, fingerprint=None)  # the key is ours, claimed already
        created = await quota.within_quota(self.documents_quota, ctx.account_id, lambda c: create_draft(c, inner, body))(conn)
        result.document = draft_document(created, stored=True)
        result.stored = True
        return result

    async def _client(
        self, conn: asyncpg.Connection, account_id: UUID, parsed: text_contracts.ParsedInvoice, client_id: UUID | None, notes: list[str]
    ) -> tuple[text_contracts.ClientMatch | None, Client | None]:
        if client_id is not None:
            client = await documents_sql.get_client(conn, account_id, client_id)
            if client is None:
                raise BillwireError(
                    ErrorCode.CLIENT_NOT_FOUND, f"Client {client_id} was not found.",
                    [FieldError(field="client_id", message="no such client in this account")], status=422,
                )
            if parsed.client_name and match_client(parsed.client_name, [(client.id, client.name)])[0] is None:
                notes.append(f"the text names {parsed.client_name!r}; the invoice is for client_id {client.name!r}")
            return text_contracts.ClientMatch(name=client.name, client_id=client.id, source="client_id"), client
        if not parsed.client_name:
            return None, None
        best, candidates = match_client(parsed.client_name, await sql.client_names(conn, account_id))
        if best is None:
            return text_contracts.ClientMatch(name=parsed.client_name, source="new", candidates=candidates), None
        if is_ambiguous(best, candidates):
            notes.append(f"{parsed.client_name!r} could also mean {candidates[1].name!r}; chose {best.name!r}")
        client = await documents_sql.get_client(conn, account_id, best.id)
        return text_contracts.ClientMatch(name=best.name, client_id=best.id, score=best.score, source="matched", candidates=candidates), client

    @staticmethod
    def _document_input(parsed: text_contracts.ParsedInvoice, match: text_contracts.ClientMatch, language: str, problems: list[FieldError]) -> DocumentInput | None:
        from billwire_invoices.text.parser.lexicon import UNIT_LABELS  # loaded with the first text (see model.understand)

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
            "discount_rate": parsed.discount_rate,
            "due_days": parsed.due_days, "due_date": None if parsed.due_days is not None else parsed.due_date,
            "service_period": msgspec.to_builtins(parsed.service_period) if parsed.service_period else None,
        }
        values |= {"client_id": match.client_id} if match.client_id else {"client": {"name": match.name[:200]}}
        try:  # the same checks as a request body (a model's answer gets no shortcut)
            return msgspec.convert(msgspec.to_builtins(values), DocumentInput)
        except msgspec.ValidationError as exc:
            problems.append(FieldError(field="text", message=f"the draft would be invalid: {exc}"))
            return None

    # -- saved prompts -------------------------------------------------------------------------

    @answers(subjects.PROMPT_CREATE)
    async def create_prompt(self, cmd: text_contracts.CreatePrompt) -> text_contracts.Prompt:
        labels = check_labels(cmd.prompt.labels)

        async def work(conn: asyncpg.Connection) -> text_contracts.Prompt:
            now = utcnow()
            prompt = text_contracts.Prompt(id=new_id(), prompt_text=cmd.prompt.prompt_text, labels=labels, created_at=now, updated_at=now)
            await self.uow.apply(conn, sql.insert_prompt(cmd.ctx.account_id, prompt), cmd.ctx, "prompt", prompt.id, "create", None, prompt, None, now)
            return prompt

        return await self.uow.write(cmd.ctx, text_contracts.Prompt, work, one_write=True)

    @answers(subjects.PROMPT_GET)
    async def get_prompt(self, cmd: ById) -> text_contracts.Prompt:
        prompt = await self.uow.read(lambda conn: sql.get_prompt(conn, cmd.ctx.account_id, cmd.id))
        return found(prompt, ErrorCode.NOT_FOUND, "Prompt", cmd.id)

    @answers(subjects.PROMPT_LIST)
    async def list_prompts(self, cmd: text_contracts.ListPrompts) -> Page[text_contracts.Prompt]:
        return await self.uow.read_page(cmd, lambda conn: sql.list_prompts(conn, cmd))

    @answers(subjects.PROMPT_LABELS)
    async def list_labels(self, cmd: Command) -> list[text_contracts.LabelCount]:
        return await self.uow.read(lambda conn: sql.label_counts(conn, cmd.ctx.account_id))

    @answers(subjects.PROMPT_UPDATE)
    async def update_prompt(self, cmd: text_contracts.UpdatePrompt) -> text_contracts.Prompt:
        labels = check_labels(cmd.prompt.labels)

        async def work(conn: asyncpg.Connection) -> text_contracts.Prompt:
            before = found(await sql.get_prompt(conn, cmd.ctx.account_id, cmd.id, lock=True), ErrorCode.NOT_FOUND, "Prompt", cmd.id)
            now = utcnow()
            after = msgspec.structs.replace(before, prompt_text=cmd.prompt.prompt_text, labels=labels, updated_at=now)
            await self.uow.apply(conn, sql.update_prompt(cmd.ctx.account_id, after), cmd.ctx, "prompt", after.id, "update", before, after, None, now)
            return after

        return await self.uow.write(cmd.ctx, text_contracts.Prompt, work)

    @answers(subjects.PROMPT_DELETE)
    async def delete_prompt(self, cmd: ById) -> Deleted:
        async def work(conn: asyncpg.Connection) -> Deleted:
            before = found(await sql.get_prompt(conn, cmd.ctx.account_id, cmd.id, lock=True), ErrorCode.NOT_FOUND, "Prompt", cmd.id)
            statement = documents_sql.delete_row("prompts", cmd.ctx.account_id, cmd.id)
            await self.uow.apply(conn, statement, cmd.ctx, "prompt", cmd.id, "delete", before, None, None, utcnow())
            return Deleted(id=cmd.id)

        return await self.uow.write(cmd.ctx, Deleted, work)


def draft_document(document: Document, *, stored: bool) -> text_contracts.DraftDocument:
    fields = {name: getattr(document, name) for name in document.__struct_fields__}
    return text_contracts.DraftDocument(**fields | ({} if stored else {"id": None}))


def preview(body: DocumentInput, profile: Profile, client: Client | None) -> Document:
    """The draft `create_document` would store, computed with the same domain functions, stored nowhere."""
    document_rules.check(document_rules.document_problems(body))
    client_id, client_input = buyer(body.client_id, body.client, client)
    currency = body.currency or client_input.currency or profile.default_currency
    lines = document_rules.build_lines(body.lines, {}, profile.default_tax_rate, currency)
    return draft_of(body, profile, client_id, client_input, lines, currency, utcnow())
