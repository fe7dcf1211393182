"""Settings of the account's e-mails: its own templates per language and document kind (empty
fields keep the built-in text, shown beside them), and payment reminders by days past due.
Reading needs `read`; saving needs `write` (an owner or a member; an accountant only reads).
Each request is one bus call, the one REST makes for the same page of settings."""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import FormMultiDict

from billwire_gateway.bus import ApiError
from billwire_gateway.web.context import PersonDep, bus_of, decode, page, redirect
from billwire_gateway.web.forms import convert, field_errors, text
from billwire_shared import subjects
from billwire_shared.contracts.email_settings import (
    MAX_REMINDER_LEVELS,
    EmailTemplateSettings,
    EmailTemplatesView,
    GetEmailTemplates,
    GetReminderSettings,
    KindTemplates,
    ReminderSettings,
    UpdateEmailTemplates,
    UpdateReminderSettings,
)

LANGUAGES = ("en", "de")
KINDS = tuple(KindTemplates.__struct_fields__)
LEVEL = re.compile(r"levels\[(\d+)\]")


def templates_from(form: FormMultiDict) -> dict[str, Any]:
    """`en.invoice.subject` / `en.invoice.body` fields as the API's `templates`; a kind with
    both fields empty is left out (the built-in text)."""
    templates: dict[str, Any] = {}
    for language in LANGUAGES:
        kinds = {}
        for kind in KINDS:
            values = {part: value for part in ("subject", "body") if (value := text(form, f"{language}.{kind}.{part}")) is not None}
            if values:
                kinds[kind] = values
        templates[language] = kinds
    return {"templates": templates}


def own_texts(templates: Any) -> dict[str, dict[str, dict[str, str]]]:
    """{language: {kind: {"subject", "body"}}} of the account's own texts (or the form's values)."""
    plain = msgspec.to_builtins(templates)
    return {language: {kind: (plain.get(language) or {}).get(kind) or {} for kind in KINDS} for language in LANGUAGES}


def _error_names(errors: dict[str, str]) -> dict[str, str]:
    """`settings.templates.en.invoice.subject` (the API's field) as the form's `en.invoice.subject`."""
    return {name.removeprefix("settings.").removeprefix("templates."): message for name, message in errors.items()}


def _level_errors(errors: dict[str, str]) -> dict[str, str]:
    """`levels[1].days_after_due` as the form's `level_2`; anything else belongs to the form."""
    named = {}
    for name, message in errors.items():
        found = LEVEL.search(name)
        named[f"level_{int(found.group(1)) + 1}" if found else "form"] = message
    return named


def reminders_from(form: FormMultiDict) -> dict[str, Any]:
    """The form's values; `levels` as the days typed (the page shows them again after an error)."""
    levels = [days for index in range(1, MAX_REMINDER_LEVELS + 1) if (days := text(form, f"level_{index}"))]
    return {"enabled": form.get("enabled") == "on", "levels": levels}


class MailSettingsController(Controller):
    path = "/settings"

    @get("/email-templates")
    async def templates_page(self, request: Request, person: PersonDep) -> Response:
        view = decode(await bus_of(request).call(subjects.EMAIL_TEMPLATES_GET, GetEmailTemplates(ctx=person.caller)), EmailTemplatesView)
        return page(request, "email_templates.html", person, view=view, own=own_texts(view.templates), errors={}, languages=LANGUAGES, kinds=KINDS)

    @post("/email-templates", opt={"scope": "write"})
    async def save_templates(self, request: Request, person: PersonDep) -> Response:
        form = await request.form()
        values = templates_from(form)
        try:
            settings = convert(values, EmailTemplateSettings)
            await bus_of(request).call(subjects.EMAIL_TEMPLATES_UPDATE, UpdateEmailTemplates(ctx=person.caller, settings=settings))
        except ApiError as exc:
            if exc.reply.http_status >= 500:
                raise
            view = decode(await bus_of(request).call(subjects.EMAIL_TEMPLATES_GET, GetEmailTemplates(ctx=person.caller)), EmailTemplatesView)
            return page(
                request, "email_templates.html", person, 422, view=view, own=own_texts(values["templates"]),
                errors=_error_names(field_errors(exc)), languages=LANGUAGES, kinds=KINDS,
            )
        return redirect("/settings/email-templates", "Saved.", person)

    @get("/reminders")
    async def reminders_page(self, request: Request, person: PersonDep) -> Response:
        settings = decode(await bus_of(request).call(subjects.REMINDERS_GET, GetReminderSettings(ctx=person.caller)), ReminderSettings)
        return page(request, "reminders.html", person, settings=settings, values=None, errors={}, max_levels=MAX_REMINDER_LEVELS)

    @post("/reminders", opt={"scope": "write"})
    async def save_reminders(self, request: Request, person: PersonDep) -> Response:
        form = await request.form()
        values = reminders_from(form)
        try:
            settings = convert(values | {"levels": [{"days_after_due": days} for days in values["levels"]]}, ReminderSettings)
            await bus_of(request).call(subjects.REMINDERS_UPDATE, UpdateReminderSettings(ctx=person.caller, settings=settings))
        except ApiError as exc:
            if exc.reply.http_status >= 500:
                raise
            errors = _level_errors(field_errors(exc))
            return page(request, "reminders.html", person, 422, settings=None, values=values, errors=errors, max_levels=MAX_REMINDER_LEVELS)
        return redirect("/settings/reminders", "Saved.", person)
