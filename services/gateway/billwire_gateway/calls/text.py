"""Invoices from plain text, and the saved prompts to reuse such texts. A draft may wait for a
configured language model: REST and the web pages give it DRAFT_TIMEOUT."""

from __future__ import annotations

from billwire_gateway.calls.call import Call
from billwire_shared import subjects
from billwire_shared.contracts.common import ById, Deleted, Page
from billwire_shared.contracts.text import (
    CreatePrompt,
    DraftFromText,
    DraftFromTextResult,
    DraftOptions,
    ListPrompts,
    Prompt,
    RunPrompt,
)

DRAFT_TIMEOUT = 60.0

DRAFT = Call(subjects.INVOICE_FROM_TEXT, lambda caller, body: DraftFromText(ctx=caller, body=body), DraftFromTextResult, DRAFT_TIMEOUT)
RUN_PROMPT = Call(
    subjects.PROMPT_RUN, lambda caller, prompt_id, options=None: RunPrompt(ctx=caller, id=prompt_id, options=options or DraftOptions()),
    DraftFromTextResult, DRAFT_TIMEOUT,
)
CREATE_PROMPT = Call(subjects.PROMPT_CREATE, lambda caller, prompt: CreatePrompt(ctx=caller, prompt=prompt), Prompt)
# A page of the saved prompts; `label`, `q` and the page by name.
LIST_PROMPTS = Call(subjects.PROMPT_LIST, lambda caller, **filters: ListPrompts(ctx=caller, **filters), Page[Prompt])
DELETE_PROMPT = Call(subjects.PROMPT_DELETE, lambda caller, prompt_id: ById(ctx=caller, id=prompt_id), Deleted)
