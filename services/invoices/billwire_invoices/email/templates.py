"""The subject and body of a document's e-mail, pure: built-in texts per language, an
account's own templates over them, and placeholders checked when templates are saved, so a
send never fails on a template."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from string import Formatter

from billwire_shared.contracts.accounts import Profile
from billwire_shared.contracts.documents import Document
from billwire_shared.contracts.email_settings import (
    EmailTemplate,
    EmailTemplates,
    KindTemplates,
)
from billwire_shared.document_titles import TITLES
from billwire_shared.errors import FieldError
from billwire_shared.validation import header_break

LANGUAGES: tuple[str, ...] = tuple(EmailTemplates.__struct_fields__)
KINDS: tuple[str, ...] = tuple(KindTemplates.__struct_fields__)
PLACEHOLDERS = frozenset({"number", "title", "total", "balance_due", "due_date", "issue_date", "client", "sender"})
REMINDER_PLACEHOLDERS = PLACEHOLDERS | {"level", "days_overdue"}

SUBJECTS = {"en": "{title} {number} – {sender}", "de": "{title} {number} – {sender}"}
BODIES = {
    "en": "Hello,\n\nplease find attached {title} {number} over {total}.\n\nKind regards\n{sender}",
    "de": "Guten Tag,\n\nanbei erhalten Sie {title} {number} über {total}.\n\nMit freundlichen Grüßen\n{sender}",
}
REMINDER_SUBJECTS = {
    "en": "Payment reminder {level}: {title} {number} – {sender}",
    "de": "{level}. Zahlungserinnerung: {title} {number} – {sender}",
}
REMINDER_BODIES = {
    "en": "Hello,\n\n{title} {number} over {total} was due on {due_date} and is {days_overdue} days overdue;"
          " {balance_due} is still open. Please find it attached again. If you have paid in the meantime,"
          " please disregard this reminder.\n\nKind regards\n{sender}",
    "de": "Guten Tag,\n\ndie {title} {number} über {total} war am {due_date} fällig und ist seit {days_overdue} Tagen"
          " überfällig; offen sind noch {balance_due}. Anbei erhalten Sie sie erneut. Sollten Sie inzwischen"
          " gezahlt haben, betrachten Sie diese Erinnerung bitte als gegenstandslos.\n\nMit freundlichen Grüßen\n{sender}",
}  # fmt: skip


def defaults() -> EmailTemplates:
    """The built-in texts as templates, per language and kind."""

    def kinds(language: str) -> KindTemplates:
        built_in = {kind: EmailTemplate(subject=SUBJECTS[language], body=BODIES[language]) for kind in KINDS if kind != "reminder"}
        return KindTemplates(**built_in, reminder=EmailTemplate(subject=REMINDER_SUBJECTS[language], body=REMINDER_BODIES[language]))

    return EmailTemplates(**{language: kinds(language) for language in LANGUAGES})


def allowed_for(kind: str) -> frozenset[str]:
    return REMINDER_PLACEHOLDERS if kind == "reminder" else PLACEHOLDERS


def text_problems(text: str, allowed: frozenset[str], field: str, *, header: bool) -> list[FieldError]:
    """What is wrong with one template text: bad braces, unknown placeholders, any attribute,
    index, format or conversion (only plain names are filled in), line breaks in a subject."""
    problems = []
    if header and (found := header_break(text)):
        problems.append(FieldError(field=field, message=f"must not contain line breaks or NUL characters (it has {found})"))
    elif "\x00" in text:
        problems.append(FieldError(field=field, message="must not contain NUL characters"))
    try:
        parsed = list(Formatter().parse(text))
    except ValueError as exc:
        return problems + [FieldError(field=field, message=f"has unbalanced braces ({exc}); write {{{{ or }}}} for a brace")]
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in allowed:
            problems.append(FieldError(
                field=field, message=f"unknown placeholder {{{name}}}; known: {', '.join(sorted(allowed))}"
            ))
        elif spec or conversion:
            problems.append(FieldError(field=field, message=f"placeholder {{{name}}} takes no format or conversion"))
    return problems


def problems(templates: EmailTemplates) -> list[FieldError]:
    found: list[FieldError] = []
    for language in LANGUAGES:
        for kind in KINDS:
            template: EmailTemplate | None = getattr(getattr(templates, language), kind)
            if template is None:
                continue
            where = f"templates.{language}.{kind}"
            if template.subject is not None:
                found += text_problems(template.subject, allowed_for(kind), f"{where}.subject", header=True)
            if template.body is not None:
                found += text_problems(template.body, allowed_for(kind), f"{where}.body", header=False)
    return found


def render(text: str, values: Mapping[str, str]) -> str:
    """Fill in plain names from `values`; anything else stays as written. Never evaluates
    attributes, indexes or format specs, and never fails."""
    try:
        parsed = list(Formatter().parse(text))
    except ValueError:
        return text
    out = []
    for literal, name, spec, conversion in parsed:
        out.append(literal)
        if name is None:
            continue
        if not spec and not conversion and name in values:
            out.append(values[name])
        else:
            out.append("{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}")
    return "".join(out)


def _date(value: date | None, language: str) -> str:
    if value is None:
        return ""
    return value.strftime("%d.%m.%Y") if language == "de" else value.isoformat()


def values_of(doc: Document, profile: Profile, language: str) -> dict[str, str]:
    balance = doc.balance_due if doc.balance_due is not None else doc.totals.gross
    return {
        "title": TITLES[language][doc.type], "number": doc.number or "", "client": doc.client.name or "",
        "total": f"{doc.totals.gross} {doc.currency}", "balance_due": f"{balance} {doc.currency}",
        "due_date": _date(doc.due_date, language), "issue_date": _date(doc.issue_date, language),
        "sender": profile.company_name or "",
    }


def compose(
    doc: Document, profile: Profile, templates: EmailTemplates, kind: str, extra: Mapping[str, str] | None = None
) -> tuple[str, str]:
    """Subject and body in the document's language: the account's template where it has one,
    the built-in text elsewhere. Values go into a subject on one line."""
    language = doc.language if doc.language in TITLES else "en"
    own: EmailTemplate = getattr(getattr(templates, language, None) or KindTemplates(), kind, None) or EmailTemplate()
    values = values_of(doc, profile, language) | dict(extra or {})
    one_line = {name: " ".join(value.split()) for name, value in values.items()}
    reminder = kind == "reminder"
    if own.subject:
        subject = render(own.subject, one_line).strip()
    else:
        subject = render((REMINDER_SUBJECTS if reminder else SUBJECTS)[language], one_line).strip(" –")
    body = render(own.body or (REMINDER_BODIES if reminder else BODIES)[language], values)
    return subject, body
