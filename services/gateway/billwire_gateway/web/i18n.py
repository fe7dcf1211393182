"""German and English for the web app: the English text is the key, and each language's catalogue
(locales/<language>.json, read once at import) holds its messages and how the audit log's actions
read; dates, numbers and money are formatted in the user's locale by Babel. Document titles come from
`billwire_shared.document_titles`, the table the PDFs and e-mails print, so the web never names a
document type differently."""

from __future__ import annotations

import functools
import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal

from billwire_shared.document_titles import TITLES

LOCALES = {"en": "en_GB", "de": "de_DE"}


def _catalogue(language: str) -> dict[str, dict[str, str]]:
    return json.loads((Path(__file__).parent / "locales" / f"{language}.json").read_text(encoding="utf-8"))


CATALOGUES = {language: _catalogue(language) for language in LOCALES}

# English: labels for the few machine words that need one (the others read as `_readable` makes them).
ENGLISH: dict[str, str] = CATALOGUES["en"]["messages"]
# German: the document types by their machine names ("credit_note") and one by its English title, from
# the one title table, then the catalogue's messages.
GERMAN: dict[str, str] = {**TITLES["de"], TITLES["en"]["credit_note"]: TITLES["de"]["credit_note"], **CATALOGUES["de"]["messages"]}
# An approval's action as the inbox names it (English; its German is in the messages).
ACTION_LABELS: dict[str, str] = CATALOGUES["en"]["approval_actions"]
# How the audit log's actions read in the activity list, per language.
ACTIONS: dict[str, dict[str, str]] = {language: catalogue["actions"] for language, catalogue in CATALOGUES.items()}


def _readable(key: str) -> str:
    """`partially_paid` → `Partially paid`: machine words as English labels."""
    return key.replace("_", " ").replace("-", " ").capitalize()


class Texts:
    """`t("Sign in")` in the user's language."""

    def __init__(self, language: str) -> None:
        self.language = language if language in LOCALES else "en"
        self.locale = LOCALES[self.language]

    def __call__(self, text: str) -> str:
        if self.language == "de":
            return GERMAN.get(text, text)
        if text in ENGLISH:
            return ENGLISH[text]
        return _readable(text) if text.islower() and " " not in text and "." not in text else text

    def action(self, name: str) -> str:
        return ACTIONS[self.language].get(name, name.replace("_", " "))

    def money(self, amount: Decimal | str | None, currency: str) -> str:
        if amount is None or amount == "":
            return "–"
        return _money(str(amount), currency, self.language)

    def number(self, value: Decimal | str | int | None) -> str:
        if value is None:
            return "–"
        return _number(str(value), self.language)

    def date(self, value: date | datetime | str | None) -> str:
        if not value:
            return "–"
        if isinstance(value, str):
            value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        return _date(value, self.language)

    def datetime(self, value: datetime | str | None) -> str:
        if not value:
            return "–"
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return _datetime(value, value.utcoffset(), self.language)

    def month(self, value: date) -> str:
        return _month(value, self.language)


# Babel's formatting, memoized: a page formats dozens of amounts and dates, and the same ones again
# and again (each list row's dates, a document's totals); each result depends only on the arguments.
# The locales are parsed once (Babel parses a locale name on every call it is given one).
BABEL_LOCALES = {language: Locale.parse(name) for language, name in LOCALES.items()}


@functools.lru_cache(maxsize=8192)
def _money(amount: str, currency: str, language: str) -> str:
    return format_currency(Decimal(amount), currency, locale=BABEL_LOCALES[language])


@functools.lru_cache(maxsize=4096)
def _number(value: str, language: str) -> str:
    return format_decimal(Decimal(value), locale=BABEL_LOCALES[language])


@functools.lru_cache(maxsize=4096)
def _date(value: date, language: str) -> str:
    return format_date(value, format="medium", locale=BABEL_LOCALES[language])


@functools.lru_cache(maxsize=4096)
def _datetime(value: datetime, offset: timedelta | None, language: str) -> str:
    """Times of the activity lists and a document's history: the same few on every view of a page.
    Printed in the value's own offset, which is part of the key: aware datetimes of one instant are
    equal whatever their offsets."""
    return format_datetime(value, format="short", locale=BABEL_LOCALES[language], tzinfo=None)


@functools.lru_cache(maxsize=64)
def _month(value: date, language: str) -> str:
    return format_date(value, format="MMM yy", locale=BABEL_LOCALES[language])
