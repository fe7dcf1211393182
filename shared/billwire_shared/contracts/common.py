"""Pieces every command and reply shares."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Generic, Literal, NamedTuple, TypeVar, Union, get_args
from uuid import UUID

import msgspec

Scope = Literal["read", "write", "email:send", "admin"]
SCOPES: tuple[str, ...] = get_args(Scope)
Language = Literal["de", "en"]
# Zero-rated regulations: the buyer owes the VAT (reverse_charge), an intra-community supply, an
# export outside the EU, or a supply exempt from VAT (tax_exemption_reason says why).
VatRegulation = Literal["standard", "reverse_charge", "intra_community_supply", "export", "tax_exempt"]
# How a document is delivered: a plain PDF, a Factur-X PDF (PDF/A-3 with CII XML) or XRechnung (UBL XML).
ExportType = Literal["pdf", "factur-x", "xrechnung"]
# How a document states its prices: net (B2B) or gross (B2C: lines and totals in gross amounts,
# the VAT extracted from them).
PriceLayout = Literal["net", "gross"]

# One line of text: no control character (Unicode Cc: C0, DEL, C1, so no CR, LF or tab) and no
# line or paragraph separator (Zl, Zp). `(?![\s\S])` ends the string for Python and ECMA alike;
# `$` would let a final newline through in Python.
SINGLE_LINE = r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029]*(?![\s\S])"
SINGLE_LINE_MESSAGE = "must be one line: no control characters (CR, LF, tab...) and no line or paragraph separators"


class DecimalForm(NamedTuple):
    """What a decimal field takes: a string of `pattern` (the gateway refuses other spellings
    such as "1e3", " 1" or "1_000", which Python's Decimal would read), or a JSON number of the
    same digits, read from its decimal text, never through a float: the bounds and `decimals`
    are the pattern's, as the OpenAPI document's number says them (range and multipleOf)."""

    pattern: str
    minimum: int
    maximum: int
    exclusive_minimum: bool = False
    exclusive_maximum: bool = False
    decimals: int = 8


MONEY = "decimal string or JSON number, not negative"
RATE = "percent, 0 to 100"
QUANTITY = "decimal, greater than 0"
DECIMAL_FORMS: dict[str | None, DecimalForm] = {
    MONEY: DecimalForm(r"^(0|[1-9][0-9]{0,10})(\.[0-9]{1,8})?$", 0, 10**11, exclusive_maximum=True),
    RATE: DecimalForm(r"^(100(\.0{1,8})?|(0|[1-9][0-9]?)(\.[0-9]{1,8})?)$", 0, 100),
    QUANTITY: DecimalForm(
        r"^([1-9][0-9]{0,7}(\.[0-9]{1,8})?|0\.([1-9][0-9]{0,7}|0[1-9][0-9]{0,6}|00[1-9][0-9]{0,5}|000[1-9][0-9]{0,4}|0000[1-9][0-9]{0,3}|00000[1-9][0-9]{0,2}|000000[1-9][0-9]{0,1}|0000000[1-9]))$", 0, 10**8, True, True,
    ),  # below 1: one to eight decimals, not all 0 (one alternative for each count of leading zeros)
}


# a decimal field of no kind above
ANY_DECIMAL = DecimalForm(r"^-?(0|[1-9][0-9]{0,17})(\.[0-9]{1,18})?$", -(10**18), 10**18, True, True, 18)
Money = Annotated[Decimal, msgspec.Meta(description=MONEY)]
Rate = Annotated[Decimal, msgspec.Meta(description=RATE)]
Quantity = Annotated[Decimal, msgspec.Meta(description=QUANTITY)]


def decimal_form(description: str | None) -> DecimalForm:
    return DECIMAL_FORMS.get(description, ANY_DECIMAL)


def line(max_length: int, min_length: int = 0, description: str | None = None) -> Any:
    """A single-line string field of at most `max_length` characters."""
    return Annotated[str, msgspec.Meta(min_length=min_length, max_length=max_length, pattern=SINGLE_LINE, description=description)]


Text = Annotated[str, msgspec.Meta(max_length=2000)]
Name = line(200, 1)
Short = line(200)
CountryCode = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")]
CurrencyCode = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$", description="ISO 4217")]
Limit = Annotated[int, msgspec.Meta(ge=1, le=100)]
MAX_OFFSET = 1_000_000
Offset = Annotated[int, msgspec.Meta(ge=0, le=MAX_OFFSET)]
DueDays = Annotated[int, msgspec.Meta(ge=0, le=365)]  # payment terms: days from the issue date to the due date


class Input(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Base of every request body: unknown fields are an error, not ignored."""


def input_body(name: str, fields: list[tuple[str, Any, Any]], module: str, doc: str | None = None) -> Any:
    """An Input named `name` of `fields` (name, type, default), for a body whose fields follow from
    something already stated (a create body, the document types) rather than being listed again."""
    return msgspec.defstruct(name, fields, bases=(Input,), module=module, namespace={"__doc__": doc}, kw_only=True, forbid_unknown_fields=True)


def patch_of(body: type[Input], name: str, module: str, doc: str | None = None, not_null: tuple[str, ...] = ()) -> Any:
    """The PATCH body named `name` of a create's `body`: each of its fields, of the same type,
    left UNSET (unchanged) unless given. Derived, a patch accepts exactly what a create does and
    cannot drift from it. The fields in `not_null` take no null in a patch: a create leaves them
    out to have them derived (a product's net price from its gross one), a patch changes them
    only by giving another value."""
    fields = [
        (field.name, (_without_none(field.type) if field.name in not_null else field.type) | msgspec.UnsetType, msgspec.UNSET)
        for field in msgspec.structs.fields(body)
    ]
    return input_body(name, fields, module, doc)


def _without_none(annotation: Any) -> Any:
    return Union[tuple(arg for arg in get_args(annotation) if arg is not type(None))]


class Caller(msgspec.Struct, kw_only=True, frozen=True):
    """Who is asking, as the gateway authenticated it; every query is scoped by account_id."""

    account_id: UUID
    key_id: UUID | None = None
    user_id: UUID | None = None  # a person signed in to the web app (key_id is then None)
    request_id: str = ""
    idempotency_key: str | None = None
    # sha256 of method, path and body: the same key with another request is refused.
    fingerprint: str | None = None
    # The actions the API key may not do alone (they become pending approvals); never set by a person.
    requires_approval: tuple[str, ...] = ()


class Command(msgspec.Struct, kw_only=True):
    ctx: Caller


class ById(Command, kw_only=True):
    id: UUID


class Paged(Command, kw_only=True):
    """A page of a list: at most `limit` entries, from the `offset`-th on."""

    limit: Limit = 50
    offset: Offset = 0


class Search(Paged, kw_only=True):
    """A page of a list, `q` narrowing it to the entries that contain it."""

    q: str | None = None


class Deleted(msgspec.Struct, kw_only=True):
    id: UUID
    deleted: bool = True


T = TypeVar("T")


class Page(msgspec.Struct, Generic[T], kw_only=True):
    items: list[T]
    total: int
    limit: int
    offset: int
    # Where the next page starts, for lists that page by cursor (documents); None on the last page.
    next_cursor: str | None = None


class Address(Input, kw_only=True):
    street: Short | None = None
    line2: Short | None = None
    city: Short | None = None
    state: Short | None = None
    zip: line(20) | None = None
    country: CountryCode | None = None


class Period(Input, kw_only=True):
    start: date
    end: date


class HealthReply(msgspec.Struct, kw_only=True):
    service: str
    version: str
    database: bool
    ready: bool = True  # false while a service's own resource is down (e.g. rendering's browser restarts)
    reason: str = ""  # why it is not ready, and the fix when there is one (e.g. rendering without a Chromium)
    # What its own resource is doing, where that is worth saying (rendering: its browser, "open",
    # "closed (idle)", "launching", ...): ready with no browser running is no lie, but say so.
    state: str = ""
