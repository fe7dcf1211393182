"""Invoices from plain text: what the parser (or a model) understood, and saved prompts."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal, get_args
from uuid import UUID

import msgspec

from billwire_shared.contracts.common import (
    ById,
    Command,
    Input,
    Language,
    Period,
    Search,
    VatRegulation,
)
from billwire_shared.contracts.documents import Document
from billwire_shared.errors import FieldError

# What a quantity counts; the draft shows it in the document's language ("h" / "Std.", ...).
Unit = Literal["hour", "day", "week", "month", "piece", "word", "flat"]
UNITS: tuple[str, ...] = get_args(Unit)
PromptText = Annotated[str, msgspec.Meta(min_length=1, max_length=10_000)]
# A model to read the text: one of its well-known names ("gemini-2.5-flash", "gpt-4o",
# "claude-sonnet-4-5") or any OpenAI-compatible base URL (then with LlmModel); the key is used
# for the one request only, never stored or logged.
LlmProvider = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
LlmModel = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
LlmApiKey = Annotated[str, msgspec.Meta(max_length=500)]


class ParsedLine(msgspec.Struct, kw_only=True):
    description: str
    quantity: Decimal
    unit: Unit | None = None
    unit_price: Decimal  # net, in the invoice's currency
    tax_rate: Decimal | None = None  # percent; None: the invoice's rate or the account default
    source: str = ""  # the words this line was read from


class Unparsed(msgspec.Struct, kw_only=True, frozen=True):
    """A part of the text that was not understood, or was ambiguous, with why."""

    text: str
    reason: str


class ParsedInvoice(msgspec.Struct, kw_only=True):
    """An invoice as written in words; nothing here is a silent guess: what was assumed is in
    `notes`, what was not understood (or was ambiguous) in `unparsed`."""

    client_name: str | None = None
    lines: list[ParsedLine] = []
    currency: str | None = None  # ISO 4217
    tax_rate: Decimal | None = None  # the rate the text gives for the whole invoice
    discount_rate: Decimal | None = None  # percent off the whole invoice ("less 10% discount")
    vat_regulation: VatRegulation | None = None
    due_days: int | None = None
    due_date: date | None = None
    service_period: Period | None = None
    language: Language | None = None  # the language the text is written in
    notes: list[str] = []
    unparsed: list[Unparsed] = []


# -- drafting from text -----------------------------------------------------------------------


class Provider(Input, kw_only=True):
    """An OpenAI-compatible chat-completions endpoint, e.g. https://api.openai.com/v1."""

    base_url: Annotated[str, msgspec.Meta(min_length=8, max_length=500, pattern=r"^https?://")]
    model: LlmModel
    api_key: LlmApiKey | None = None


class DraftOptions(Input, kw_only=True):
    client_id: UUID | None = None
    dry_run: bool = False
    provider: Provider | None = None
    llm_provider: LlmProvider | None = None
    llm_model: LlmModel | None = None
    llm_api_key: LlmApiKey | None = None


class FromTextInput(DraftOptions, kw_only=True):
    text: PromptText


class DraftFromText(Command, kw_only=True):
    body: FromTextInput


class ClientCandidate(msgspec.Struct, kw_only=True):
    id: UUID
    name: str
    score: float  # 0 to 100


class ClientMatch(msgspec.Struct, kw_only=True):
    """Whose invoice it is: a stored client (by id or by a good enough name match) or a new inline one."""

    name: str
    client_id: UUID | None = None
    score: float | None = None
    source: Literal["client_id", "matched", "new"] = "new"
    candidates: list[ClientCandidate] = []


class DraftDocument(Document, kw_only=True):
    """The draft as stored; after a dry run the draft as it would be, without an id (nothing
    was stored, so there is nothing to open, edit or send)."""

    id: UUID | None = None  # type: ignore[assignment]


class DraftFromTextResult(msgspec.Struct, kw_only=True):
    """The draft (stored, or with `dry_run` only computed) and what the text gave."""

    stored: bool
    document: DraftDocument | None  # None only for a dry run that lacks something, see `problems`
    client: ClientMatch | None
    parsed: ParsedInvoice
    engine: Literal["offline", "model"] = "offline"
    unparsed: list[Unparsed] = []
    notes: list[str] = []
    problems: list[FieldError] = []  # why a dry run could not be drafted
    prompt_id: UUID | None = None


# -- saved prompts ------------------------------------------------------------------------------

LabelName = Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
Color = Annotated[str, msgspec.Meta(pattern=r"^#[0-9a-fA-F]{6}$", description="#rrggbb")]
NO_LABEL = "__no_label__"


class Label(Input, kw_only=True):
    name: LabelName
    color: Color | None = None


class PromptInput(Input, kw_only=True):
    prompt_text: PromptText
    labels: Annotated[list[Label], msgspec.Meta(max_length=20)] = []


class CreatePrompt(Command, kw_only=True):
    prompt: PromptInput


class UpdatePrompt(ById, kw_only=True):
    prompt: PromptInput


class Prompt(msgspec.Struct, kw_only=True):
    id: UUID
    prompt_text: str
    labels: list[Label]
    created_at: datetime
    updated_at: datetime


class ListPrompts(Search, kw_only=True):
    label: str | None = None  # NO_LABEL for prompts without a label


class LabelCount(msgspec.Struct, kw_only=True):
    name: str
    color: str | None
    count: int


class RunPrompt(ById, kw_only=True):
    options: DraftOptions = msgspec.field(default_factory=DraftOptions)
