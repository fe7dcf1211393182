"""`llm_provider` as people write it -> the OpenAI-compatible endpoint and model to ask."""

from __future__ import annotations

import pytest

from billwire_invoices.text.providers import ProviderProblem, resolve_provider

GEMINI = "https://generativelanguage.googleapis.com/v1beta/openai"
OPENAI = "https://api.openai.com/v1"
ANTHROPIC = "https://api.anthropic.com/v1"


# Per endpoint: how people write a model or the provider's name -> the model asked.
WELL_KNOWN = {
    GEMINI: [("Gemini 2.5 Flash", "gemini-2.5-flash"), ("gemini-2.0-flash", "gemini-2.0-flash"), ("gemini-2.5-pro", "gemini-2.5-pro"),
             ("gemini", "gemini-2.5-flash")],
    OPENAI: [("GPT-4o", "gpt-4o"), ("gpt-4o-mini", "gpt-4o-mini"), ("GPT-4.1 mini", "gpt-4.1-mini"), ("gpt-4.1", "gpt-4.1"),
             ("openai", "gpt-4.1-mini")],
    ANTHROPIC: [("Claude Sonnet 4.5", "claude-sonnet-4-5"), ("claude-3-5-haiku-latest", "claude-3-5-haiku-latest"),
                ("anthropic", "claude-sonnet-4-5")],
}


@pytest.mark.parametrize(("written", "base_url", "model"), [
    (written, base_url, model) for base_url, names in WELL_KNOWN.items() for written, model in names
])
def test_well_known_names(written: str, base_url: str, model: str) -> None:
    provider = resolve_provider(written, "sk-1")
    assert (provider.base_url, provider.model, provider.api_key) == (base_url, model, "sk-1")


def test_any_openai_compatible_url_with_its_model() -> None:
    provider = resolve_provider("https://llm.example.com/v1", None, "mistral-small")
    assert (provider.base_url, provider.model, provider.api_key) == ("https://llm.example.com/v1", "mistral-small", None)
    assert resolve_provider("gemini", "k", "gemini-2.0-pro").model == "gemini-2.0-pro"


@pytest.mark.parametrize(("written", "model", "field"), [
    ("llama-3", None, "llm_provider"), ("my favourite model", None, "llm_provider"), ("https://llm.example.com/v1", None, "llm_model"),
])
def test_what_cannot_be_resolved_names_the_field(written: str, model: str | None, field: str) -> None:
    with pytest.raises(ProviderProblem) as caught:
        resolve_provider(written, "sk-secret", model)
    assert caught.value.error.field == field and "sk-secret" not in caught.value.error.message
