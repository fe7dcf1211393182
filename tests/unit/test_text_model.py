"""The model path's pure parts: configured defaults, the endpoint, the schema, and what a model may not say."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import uuid4

import msgspec

from billwire_invoices.text.client_match import is_ambiguous, match_client, normalize
from billwire_invoices.text.model import (
    TextModelSettings,
    default_provider,
    endpoint,
    response_schema,
    sanitize,
)
from billwire_shared.contracts.text import ParsedInvoice, ParsedLine
from billwire_shared.settings import load_settings


def test_configured_default_provider() -> None:
    assert default_provider(load_settings(TextModelSettings, env={})) is None
    settings = load_settings(TextModelSettings, env={
        "BILLWIRE_TEXT_MODEL_BASE_URL": "http://127.0.0.1:11434/v1", "BILLWIRE_TEXT_MODEL_NAME": "llama",
        "BILLWIRE_TEXT_MODEL_TIMEOUT": "5",
    })
    provider = default_provider(settings)
    assert provider is not None and provider.model == "llama" and provider.api_key is None
    assert settings.text_model_timeout == 5.0


def test_endpoint_and_schema() -> None:
    assert endpoint("https://api.example/v1/") == "https://api.example/v1/chat/completions"
    assert endpoint("https://api.example/v1/chat/completions") == "https://api.example/v1/chat/completions"
    schema = response_schema()["json_schema"]["schema"]
    assert set(schema["$defs"]["ParsedLine"]["properties"]) >= {"description", "quantity", "unit", "unit_price", "tax_rate"}


def test_a_model_answer_out_of_range_becomes_unparsed() -> None:
    answer = ParsedInvoice(
        lines=[
            ParsedLine(description="Fine", quantity=Decimal(1), unit_price=Decimal(10)),
            ParsedLine(description="Negative", quantity=Decimal(1), unit_price=Decimal(-5), source="minus five"),
            ParsedLine(description="Taxed", quantity=Decimal(1), unit_price=Decimal(5), tax_rate=Decimal(190)),
        ],
        currency="eur", due_days=400, due_date=date(2027, 1, 1),
    )
    clean = sanitize(answer)
    assert [line.description for line in clean.lines] == ["Fine"] and clean.currency == "EUR"
    assert clean.due_days is None and clean.due_date == date(2027, 1, 1)
    assert [u.text for u in clean.unparsed] == ["minus five", "Taxed", "400"]
    assert msgspec.json.decode(msgspec.json.encode(clean), type=ParsedInvoice) == clean


def test_client_names_match_fuzzily() -> None:
    clients = [(uuid4(), n) for n in ("Acme Corporation", "Acme Widgets International", "Müller GmbH", "Smithson Ltd", "Initech")]
    best, candidates = match_client("Acme Corp", clients)
    assert best is not None and best.name == "Acme Corporation" and best.score == 100
    assert is_ambiguous(best, candidates)  # "Acme Widgets International" is close behind
    assert match_client("Mueller", clients)[0].name == "Müller GmbH"
    assert match_client("Initec", clients)[0].name == "Initech"
    assert match_client("Smith", clients)[0] is None  # not Smithson
    assert match_client("Wayne Enterprises", clients) == (None, [])
    assert match_client("Acme", []) == (None, [])
    assert normalize("Schmidt & Partner GbR") == "schmidt partner"


async def test_private_endpoints_are_recognised() -> None:
    from billwire_invoices.text.model import private_address

    assert await private_address("http://127.0.0.1:8080/v1")
    assert await private_address("http://10.1.2.3/v1")
    assert await private_address("http://169.254.169.254/latest")
    assert await private_address("http://[::1]:11434/v1")
    assert await private_address("http://8.8.8.8/v1") is None
