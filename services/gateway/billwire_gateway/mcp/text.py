"""MCP tools that read invoices from plain text, and the saved prompts to reuse such texts
(REST: controllers/text.py)."""

from __future__ import annotations

from uuid import UUID

from mcp.server.mcpserver import Context

from billwire_gateway.calls import text as calls
from billwire_gateway.mcp.arguments import Arguments, IdempotencyKey, Paging
from billwire_gateway.mcp.toolbox import READ, WRITE, Toolbox, derived
from billwire_shared.contracts.common import Page
from billwire_shared.contracts.text import (
    DraftFromTextResult,
    DraftOptions,
    FromTextInput,
    Prompt,
    PromptInput,
)

# What drafting from a text and running a saved prompt take: the REST body's fields (a model to read
# the text, else the configured one or the offline parser; the key is for this call only: never
# stored, logged or answered), but a dry run unless told otherwise, and an idempotency key.
AGENT_DRAFTING = [("dry_run", bool, True), ("idempotency_key", IdempotencyKey | None, None)]
FromText = derived("FromText", FromTextInput, without=("provider", "dry_run"), extra=AGENT_DRAFTING)
RunSaved = derived("RunSaved", DraftOptions, without=("provider", "dry_run"), extra=[("prompt_id", UUID), *AGENT_DRAFTING])


class PromptFilters(Paging, kw_only=True):
    label: str | None = None
    query: str | None = None


class NewPrompt(Arguments, kw_only=True):
    prompt: PromptInput
    idempotency_key: IdempotencyKey | None = None


def model_choice(args: FromText | RunSaved) -> dict[str, str | None]:
    return {"llm_provider": args.llm_provider, "llm_model": args.llm_model, "llm_api_key": args.llm_api_key}


def register(tools: Toolbox) -> None:
    @tools.tool(WRITE, FromText, DraftFromTextResult)
    async def draft_invoice_from_text(ctx: Context, args: FromText) -> DraftFromTextResult:
        """Draft an invoice from how people write one, in English or German ("10 hours consulting for
        Acme at 150 EUR/h plus 19% VAT, due in 14 days"). With dry_run (the default) nothing is stored;
        the answer lists the parts of the text that were not understood, never a silent guess.
        `llm_provider` (with `llm_api_key`, used for this call only) has a language model read it."""
        body = FromTextInput(text=args.text, client_id=args.client_id, dry_run=args.dry_run, **model_choice(args))
        return await tools.ask(ctx, calls.DRAFT, body, key=args.idempotency_key, scope="write")

    @tools.tool(READ, PromptFilters, Page[Prompt])
    async def list_saved_prompts(ctx: Context, args: PromptFilters) -> Page[Prompt]:
        """Saved prompts (invoice texts to reuse, e.g. a monthly retainer), newest first; `label`
        filters by label name, `query` searches the text."""
        return await tools.ask(ctx, calls.LIST_PROMPTS, label=args.label, q=args.query, limit=args.limit, offset=args.offset)

    @tools.tool(WRITE, NewPrompt, Prompt)
    async def create_saved_prompt(ctx: Context, args: NewPrompt) -> Prompt:
        """Save an invoice text to draft from again later, with labels."""
        return await tools.ask(ctx, calls.CREATE_PROMPT, args.prompt, key=args.idempotency_key, scope="write")

    @tools.tool(WRITE, RunSaved, DraftFromTextResult)
    async def run_saved_prompt(ctx: Context, args: RunSaved) -> DraftFromTextResult:
        """Draft an invoice from a saved prompt, as draft_invoice_from_text does (dry_run by default)."""
        options = DraftOptions(client_id=args.client_id, dry_run=args.dry_run, **model_choice(args))
        return await tools.ask(ctx, calls.RUN_PROMPT, args.prompt_id, options, key=args.idempotency_key, scope="write")
