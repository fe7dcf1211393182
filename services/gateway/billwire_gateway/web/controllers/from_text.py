"""A draft from a sentence: the person writes "10 hours consulting for Globex at 150 EUR/h", sees
the draft the text gives (a dry run: nothing stored), then saves it and corrects it in the form.
Sentences used again and again are saved as prompts with labels, listed beside the box and run
with one click (a dry run too). Every route needs `write`: accountants do not draft."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery

from billwire_gateway.bus import ApiError
from billwire_gateway.web.context import PersonDep, bus_of, decode, page, redirect
from billwire_gateway.web.forms import convert, field_errors, given, text
from billwire_shared import subjects
from billwire_shared.contracts.common import ById, Page
from billwire_shared.contracts.text import (
    CreatePrompt,
    DraftFromText,
    DraftFromTextResult,
    DraftOptions,
    FromTextInput,
    ListPrompts,
    Prompt,
    PromptInput,
    RunPrompt,
)

DRAFT_TIMEOUT = 60.0  # as REST: a configured model may take a while
# The optional model to read the sentence, as REST takes it; the key goes to the one bus call
# and nowhere else: never into the page (the form shows it empty again), a log or storage.
MODEL_FIELDS = ("llm_provider", "llm_model", "llm_api_key")


def label_names(raw: str | None) -> list[dict[str, str]]:
    """"retainer, monthly" as the API's labels, each name once."""
    names = [name.strip() for name in (raw or "").split(",") if name.strip()]
    return [{"name": name} for name in dict.fromkeys(names)]


class FromTextController(Controller):
    path = "/documents/from-text"
    opt = {"scope": "write"}

    @get("/", opt={"scope": "write"})
    async def form(self, request: Request, person: PersonDep, label: FromQuery[str | None] = None) -> Response:
        return await self._page(request, person, label=label)

    @post("/")
    async def draft(self, request: Request, person: PersonDep) -> Response:
        form = await request.form()
        sentence = text(form, "text") or ""
        save = form.get("then") == "save"
        model = given(form, MODEL_FIELDS)
        shown = {"sentence": sentence, "llm_provider": model.get("llm_provider", ""), "llm_model": model.get("llm_model", "")}
        try:
            body = convert({"text": sentence, "dry_run": not save} | model, FromTextInput)
            call = bus_of(request).call(subjects.INVOICE_FROM_TEXT, DraftFromText(ctx=person.caller, body=body), timeout=DRAFT_TIMEOUT)
            raw, prompts = await asyncio.gather(call, self._prompts(request, person, None))
        except ApiError as exc:
            if exc.reply.http_status >= 500:
                raise
            return await self._page(request, person, 422, errors=field_errors(exc), **shown)
        result = decode(raw, DraftFromTextResult)
        if result.stored and result.document is not None:
            return redirect(f"/documents/{result.document.id}/edit", "Saved.", person)
        return await self._page(request, person, result=result, prompts=prompts, **shown)

    @post("/prompts")
    async def save_prompt(self, request: Request, person: PersonDep) -> Response:
        form = await request.form()
        sentence, labels = text(form, "text") or "", text(form, "labels")
        try:
            prompt = convert({"prompt_text": sentence, "labels": label_names(labels)}, PromptInput)
            await bus_of(request).call(subjects.PROMPT_CREATE, CreatePrompt(ctx=person.caller, prompt=prompt))
        except ApiError as exc:
            if exc.reply.http_status >= 500:
                raise
            errors = {("labels" if name.startswith("labels") else "text"): message for name, message in field_errors(exc).items()}
            return await self._page(request, person, 422, sentence=sentence, labels=labels or "", errors=errors)
        return redirect("/documents/from-text", "Prompt saved.", person)

    @post("/prompts/{prompt_id:uuid}/run")
    async def run_prompt(self, request: Request, person: PersonDep, prompt_id: FromPath[UUID]) -> Response:
        """The saved prompt's draft as a preview (nothing stored), its text in the box to correct and save."""
        form = await request.form()
        run = RunPrompt(ctx=person.caller, id=prompt_id, options=DraftOptions(dry_run=True))
        raw, prompts = await asyncio.gather(
            bus_of(request).call(subjects.PROMPT_RUN, run, timeout=DRAFT_TIMEOUT), self._prompts(request, person, None),
        )
        result = decode(raw, DraftFromTextResult)
        return await self._page(request, person, sentence=text(form, "text") or "", result=result, prompts=prompts, ran=prompt_id)

    @post("/prompts/{prompt_id:uuid}/delete")
    async def delete_prompt(self, request: Request, person: PersonDep, prompt_id: FromPath[UUID]) -> Response:
        await bus_of(request).call(subjects.PROMPT_DELETE, ById(ctx=person.caller, id=prompt_id))
        return redirect("/documents/from-text", "Prompt deleted.", person)

    @staticmethod
    async def _prompts(request: Request, person: PersonDep, label: str | None) -> Page[Prompt]:
        query = ListPrompts(ctx=person.caller, label=(label or None) and label[:50], limit=50)
        return decode(await bus_of(request).call(subjects.PROMPT_LIST, query), Page[Prompt])

    async def _page(self, request: Request, person: PersonDep, status_code: int = 200, **context: Any) -> Response:
        prompts = context.pop("prompts", None) or await self._prompts(request, person, context.get("label"))
        defaults = {"sentence": "", "result": None, "errors": {}, "labels": "", "label": None, "ran": None, "llm_provider": "", "llm_model": ""}
        return page(request, "from_text.html", person, status_code, prompts=prompts, **(defaults | context))
