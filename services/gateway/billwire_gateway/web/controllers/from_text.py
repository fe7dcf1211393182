"""A draft from a sentence: the person writes "10 hours consulting for Globex at 150 EUR/h", sees
the draft the text gives (a dry run: nothing stored), then saves it and corrects it in the form."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post

from billwire_gateway.bus import ApiError
from billwire_gateway.web.context import PersonDep, bus_of, decode, page, redirect
from billwire_gateway.web.forms import convert, field_errors, text
from billwire_shared import subjects
from billwire_shared.contracts.text import DraftFromText, DraftFromTextResult, FromTextInput


class FromTextController(Controller):
    path = "/documents/from-text"

    @get("/", opt={"scope": "write"})
    async def form(self, request: Request, person: PersonDep) -> Response:
        return page(request, "from_text.html", person, sentence="", result=None, errors={})

    @post("/")
    async def draft(self, request: Request, person: PersonDep) -> Response:
        form = await request.form()
        sentence = text(form, "text") or ""
        save = form.get("then") == "save"
        try:
            body = convert({"text": sentence, "dry_run": not save}, FromTextInput)
            raw = await bus_of(request).call(subjects.INVOICE_FROM_TEXT, DraftFromText(ctx=person.caller, body=body))
        except ApiError as exc:
            if exc.reply.http_status >= 500:
                raise
            return page(request, "from_text.html", person, 422, sentence=sentence, result=None, errors=field_errors(exc))
        result = decode(raw, DraftFromTextResult)
        if result.stored and result.document is not None:
            return redirect(f"/documents/{result.document.id}/edit", "Saved.", person)
        return page(request, "from_text.html", person, sentence=sentence, result=result, errors={})
