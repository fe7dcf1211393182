"""The optional model: an OpenAI-compatible chat-completions endpoint asked for a ParsedInvoice.

The answer is validated with msgspec against the same contract the offline parser returns;
whatever goes wrong (no answer, not JSON, not the schema) falls back to the offline parser,
and the result says so.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from datetime import date
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import msgspec

from billwire_shared.contracts.text import ParsedInvoice, Provider, Unparsed

if TYPE_CHECKING:
    import httpx

log = logging.getLogger("billwire.invoices.text_model")


class TextModelSettings(msgspec.Struct, kw_only=True, frozen=True):
    """Defaults for drafting with a model (BILLWIRE_TEXT_MODEL_*); no base URL: offline only."""

    text_model_base_url: str = ""  # OpenAI-compatible API for POST /invoices/from-text, e.g. https://api.openai.com/v1; empty: the offline parser
    text_model_name: str = ""  # the model to ask, e.g. gpt-4o-mini
    text_model_api_key: str = ""  # bearer key for that API; keep it in a Secret
    text_model_timeout: float = 30.0  # seconds to wait for the model before falling back to the offline parser
    text_model_allow_private: bool = False  # let a request's provider be on loopback/private networks (local models, tests)


SYSTEM_PROMPT = """You turn a short description of an invoice, in English or German, into JSON.
Today is {today}. Fill only what the text says:
- client_name: who the invoice is for, as written (no article, keep the company form like GmbH or Corp).
- lines: one per item; description (short, capitalised), quantity (decimal string), unit (one of hour, day,
  week, month, piece, flat, or null), unit_price (net, decimal string, per unit; divide a total by the quantity),
  tax_rate (percent as a decimal string, or null), source (the words the line came from).
- currency: ISO 4217 code ($ is USD, € is EUR, £ is GBP), or null.
- tax_rate: a rate for the whole invoice ("plus 19% VAT"), or null; vat_regulation only for reverse charge.
- due_days (whole days; "net 30" is 30, two weeks is 14) or due_date (YYYY-MM-DD), not both.
- service_period: {{"start": "YYYY-MM-DD", "end": "YYYY-MM-DD"}} for "for March 2026" and the like.
- language: "en" or "de", the language of the text.
- notes: every assumption you made (e.g. a year you added).
- unparsed: every part of the text you did not understand or found ambiguous, as {{"text", "reason"}}.
Never guess silently: when unsure, leave the field null and report the words in unparsed."""


@cache
def response_schema() -> dict[str, Any]:
    schema = msgspec.json.schema(ParsedInvoice)
    return {"type": "json_schema", "json_schema": {"name": "invoice_draft", "schema": schema, "strict": False}}


def endpoint(base_url: str) -> str:
    base = base_url.rstrip("/")
    return base if base.endswith("/chat/completions") else f"{base}/chat/completions"


def default_provider(settings: TextModelSettings) -> Provider | None:
    if not settings.text_model_base_url or not settings.text_model_name:
        return None
    return Provider(base_url=settings.text_model_base_url, model=settings.text_model_name, api_key=settings.text_model_api_key or None)


async def private_address(base_url: str) -> str | None:
    """Why a caller's endpoint may not be asked: it names a loopback, private or link-local host
    (the service would otherwise fetch from inside the deployment's network for anyone with a key)."""
    try:
        host = urlsplit(base_url).hostname or ""
    except ValueError:  # e.g. an unbalanced "[" or "]": not a URL anyone can be asked at
        return f"{base_url[:60]!r} is not a valid URL"
    if not host:
        return f"{base_url[:60]!r} names no host"
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return f"{host!r} does not resolve"
    for *_, address in infos:
        ip = ipaddress.ip_address(address[0].split("%")[0])
        if not ip.is_global:
            return f"{host!r} is a loopback, private or link-local address"
    return None


class ModelError(Exception):
    pass


async def ask_model(provider: Provider, text: str, today: date, timeout: float, client: httpx.AsyncClient | None = None) -> ParsedInvoice:
    """One chat-completions call; the reply's content must decode to a valid ParsedInvoice.

    httpx (with rich and pygments, about 7 MB) is imported here, with an account's first call to
    its own model: most draft from text with the offline parser or not at all."""
    import httpx

    body = {
        "model": provider.model,
        "temperature": 0,
        "response_format": response_schema(),
        "messages": [
            {"role": "system", "content": SYSTEM_PROMPT.format(today=today.isoformat())},
            {"role": "user", "content": text},
        ],
    }
    headers = {"Authorization": f"Bearer {provider.api_key}"} if provider.api_key else {}
    try:
        async with httpx.AsyncClient(timeout=timeout) if client is None else _borrowed(client) as http:
            response = await http.post(endpoint(provider.base_url), json=body, headers=headers)
    except httpx.HTTPError as exc:
        raise ModelError(f"the model endpoint could not be reached ({type(exc).__name__})") from exc
    if response.status_code != 200:
        raise ModelError(f"the model endpoint answered HTTP {response.status_code}")
    try:
        content = response.json()["choices"][0]["message"]["content"]
        parsed = msgspec.json.decode(content.encode() if isinstance(content, str) else b"", type=ParsedInvoice)
    except (ValueError, KeyError, IndexError, TypeError, msgspec.ValidationError) as exc:
        raise ModelError(f"the model's answer did not match the schema: {exc}") from exc
    return sanitize(parsed)


class _borrowed:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def __aenter__(self) -> httpx.AsyncClient:
        return self.client

    async def __aexit__(self, *exc: object) -> None:
        return None


def sanitize(parsed: ParsedInvoice) -> ParsedInvoice:
    """Keep what a model said only where it is in range; the rest becomes unparsed, never a 500."""
    lines, unparsed = [], list(parsed.unparsed)
    for line in parsed.lines:
        problem = None
        if not line.quantity.is_finite() or line.quantity <= 0:
            problem = "quantity must be greater than 0"
        elif not line.unit_price.is_finite() or line.unit_price < 0:
            problem = "price must not be negative"
        elif line.tax_rate is not None and not (Decimal(0) <= line.tax_rate <= Decimal(100)):
            problem = "tax rate must be from 0 to 100"
        elif not line.description.strip():
            problem = "no description"
        if problem:
            unparsed.append(Unparsed(text=line.source or line.description, reason=f"model: {problem}"))
        else:
            lines.append(line)
    if parsed.due_days is not None and not 0 <= parsed.due_days <= 365:
        unparsed.append(Unparsed(text=str(parsed.due_days), reason="model: due days out of range"))
        parsed = msgspec.structs.replace(parsed, due_days=None)
    if parsed.due_days is not None and parsed.due_date is not None:
        parsed = msgspec.structs.replace(parsed, due_date=None)
    if parsed.currency is not None and (len(parsed.currency) != 3 or not parsed.currency.isalpha()):
        unparsed.append(Unparsed(text=parsed.currency, reason="model: not a currency code"))
        parsed = msgspec.structs.replace(parsed, currency=None)
    return msgspec.structs.replace(parsed, lines=lines, unparsed=unparsed, currency=parsed.currency and parsed.currency.upper())


async def understand(text: str, today: date, provider: Provider | None, timeout: float) -> tuple[ParsedInvoice, str, list[str]]:
    """(what the text says, "model" or "offline", notes about the engine)."""
    # The offline parser (and its CLDR month names) loads with the first text, then stays imported.
    from billwire_invoices.text.parser import parse_invoice_text

    if provider is None:
        return parse_invoice_text(text, today=today), "offline", []
    try:
        return await ask_model(provider, text, today, timeout), "model", []
    except ModelError as exc:
        log.warning("model %s at %s: %s; using the offline parser", provider.model, provider.base_url, exc)
        return parse_invoice_text(text, today=today), "offline", [f"{exc}; the offline parser was used instead"]
