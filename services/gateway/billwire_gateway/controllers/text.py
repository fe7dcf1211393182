"""Drafting invoices from text, and saved prompts. One bus call per route."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Response, get, post, put
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody

from billwire_gateway.calls import text as calls
from billwire_gateway.controllers.items import change_one, create_one, delete_one, read_account, read_one
from billwire_gateway.deps import BusDep, CallerDep, Limit, Offset, json_reply
from billwire_shared import subjects
from billwire_shared.contracts.common import Command, Page
from billwire_shared.contracts.text import (
    DraftFromTextResult,
    DraftOptions,
    FromTextInput,
    LabelCount,
    Prompt,
    PromptInput,
    UpdatePrompt,
)

# Documented as it is: Litestar's generated examples are random (and made-up data is no example).
DRY_RUN = {200: ResponseSpec(DraftFromTextResult, description="The preview of a dry run; nothing was stored", generate_examples=False)}

# A model may take a while to answer; the offline parser answers at once either way.


class FromTextController(Controller):
    path = "/invoices/from-text"
    tags = ["invoices"]

    @post(
        summary="Draft an invoice from plain English or German text",
        description=(
            "Understands items, quantities and units, rates, currencies, tax, payment terms, service periods and "
            "the client (matched to your clients by name, or a new inline client). Returns the draft (201) or, with "
            "`dry_run`, the computed preview (200, nothing stored), plus the parts of the text it did not understand. "
            "Uses the offline parser unless a `provider` (an OpenAI-compatible endpoint) is given or configured."
        ),
        responses=DRY_RUN,
    )
    async def from_text(self, data: JSONBody[FromTextInput], caller: CallerDep, bus: BusDep) -> Response[DraftFromTextResult]:
        raw = await calls.DRAFT.ask(bus, caller, data)
        return json_reply(raw, 200 if data.dry_run else 201)


class PromptController(Controller):
    path = "/prompts"
    tags = ["prompts"]

    create_prompt = create_one(
        None, calls.CREATE_PROMPT.subject, calls.CREATE_PROMPT.command, PromptInput, Prompt,
        name="create_prompt", summary="Save a prompt (an invoice text to reuse) with labels",
    )

    @get(summary="List saved prompts; label filters by label name (__no_label__: unlabelled), q searches the text")
    async def list_prompts(
        self, caller: CallerDep, bus: BusDep, label: FromQuery[str | None] = None, q: FromQuery[str | None] = None,
        limit: Limit = 50, offset: Offset = 0,
    ) -> Response[Page[Prompt]]:
        return json_reply(await calls.LIST_PROMPTS.ask(bus, caller, label=label, q=q, limit=limit, offset=offset))

    list_labels = read_account(
        "/labels", subjects.PROMPT_LABELS, Command, list[LabelCount], name="list_labels",
        summary="Every label in use, with how many prompts carry it",
    )
    get_prompt = read_one("prompt_id", subjects.PROMPT_GET, Prompt, name="get_prompt", summary="Get a saved prompt")
    update_prompt = change_one(
        "prompt_id", subjects.PROMPT_UPDATE, lambda caller, prompt_id, data: UpdatePrompt(ctx=caller, id=prompt_id, prompt=data),
        PromptInput, Prompt, name="update_prompt", summary="Replace a saved prompt's text and labels", method=put,
    )
    delete_prompt = delete_one("prompt_id", calls.DELETE_PROMPT.subject, name="delete_prompt", summary="Delete a saved prompt")

    @post("/{prompt_id:uuid}/run", summary="Draft an invoice from a saved prompt (201; 200 with dry_run)",
          responses=DRY_RUN)
    async def run_prompt(
        self, prompt_id: FromPath[UUID], caller: CallerDep, bus: BusDep, data: JSONBody[DraftOptions | None] = None,
    ) -> Response[DraftFromTextResult]:
        options = data or DraftOptions()
        raw = await calls.RUN_PROMPT.ask(bus, caller, prompt_id, options)
        return json_reply(raw, 200 if options.dry_run else 201)
