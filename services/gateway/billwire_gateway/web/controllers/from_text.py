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
from billwire_gateway.calls import text as calls
from billwire_gateway.web.context import PersonDep, bus_of, decode, page, redirect
from billwire_gateway.web.forms import convert, field_errors, given, text
from billwire_shared.contracts.common import Page
from billwire_shared.contracts.text import DraftFromTextResult, DraftOptions, FromTextInput, Prompt, PromptInput

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
            call = calls.DRAFT.ask(bus_of(request), person.caller, body)
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
            await calls.CREATE_PROMPT.ask(bus_of(request), person.caller, prompt)
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
        run = calls.RUN_PROMPT.ask(bus_of(request), person.caller, prompt_id, DraftOptions(dry_run=True))
        raw, prompts = await asyncio.gather(run, self._prompts(request, person, None))
        result = decode(raw, DraftFromTextResult)
        return await self._page(request, person, sentence=text(form, "text") or "", result=result, prompts=prompts, ran=prompt_id)

    @post("/prompts/{prompt_id:uuid}/delete")
    async def delete_prompt(self, request: Request, person: PersonDep, prompt_id: FromPath[UUID]) -> Response:
        await calls.DELETE_PROMPT.ask(bus_of(request), person.caller, prompt_id)
        return redirect("/documents/from-text", "Prompt deleted.", person)

    @staticmethod
    async def _prompts(request: Request, person: PersonDep, label: str | None) -> Page[Prompt]:
        raw = await calls.LIST_PROMPTS.ask(bus_of(request), person.caller, label=(label or None) and label[:50], limit=50)
        return decode(raw, Page[Prompt])

    async def _page(self, request: Request, person: PersonDep, status_code: int = 200, **context: Any) -> Response:
        prompts = context.pop("prompts", None) or await self._prompts(request, person, context.get("label"))
        defaults = {"sentence": "", "result": None, "errors": {}, "labels": "", "label": None, "ran": None, "llm_provider": "", "llm_model": ""}
        return page(request, "from_text.html", person, status_code, prompts=prompts, **(defaults | context))
