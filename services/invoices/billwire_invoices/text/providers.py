"""Which OpenAI-compatible endpoint a request's `llm_provider` names.

People write the model as they know it ("Gemini 2.5 Flash", "gpt-4o", "Claude Sonnet 4.5") or
give the base URL of any OpenAI-compatible API (with `llm_model`). Pure: no I/O; the key is
only carried into the Provider, never kept or logged.
"""

from __future__ import annotations

import re

from billwire_shared.contracts.text import Provider
from billwire_shared.errors import FieldError

# Each family: its bare names, how its models are named, the endpoint that speaks the OpenAI
# chat-completions API, and the model a bare name ("gemini", "openai") means.
FAMILIES: tuple[tuple[frozenset[str], re.Pattern[str], str, str], ...] = (
    (frozenset({"google", "gemini"}), re.compile(r"^gemini-\d"), "https://generativelanguage.googleapis.com/v1beta/openai", "gemini-2.5-flash"),
    (frozenset({"openai", "chatgpt", "gpt"}), re.compile(r"^(?:gpt-4o|gpt-4\.1|gpt-4|gpt-5|o\d)(?:$|-)"), "https://api.openai.com/v1", "gpt-4.1-mini"),
    (frozenset({"anthropic", "claude"}), re.compile(r"^claude-"), "https://api.anthropic.com/v1", "claude-sonnet-4-5"),
)
ACCEPTED = "a model such as 'gemini-2.5-flash', 'gpt-4o', 'gpt-4.1-mini' or 'claude-sonnet-4-5', or an OpenAI-compatible base URL with llm_model"


class ProviderProblem(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.error = FieldError(field=field, message=message)


def model_id(written: str) -> str:
    """ "Gemini 2.5 Flash" -> "gemini-2.5-flash", "GPT-4o" -> "gpt-4o", "Claude Sonnet 4.5" -> "claude-sonnet-4-5"."""
    name = re.sub(r"[\s_]+", "-", written.strip().lower())
    return name.replace(".", "-") if name.startswith("claude-") else name


def resolve_provider(llm_provider: str, api_key: str | None, llm_model: str | None = None) -> Provider:
    """The endpoint and model for what the caller wrote; ProviderProblem names the field when it
    is neither a known model nor an http(s) URL."""
    written = llm_provider.strip()
    if re.match(r"^https?://", written, re.IGNORECASE):
        if not llm_model or not llm_model.strip():
            raise ProviderProblem("llm_model", "name the model to ask at that URL")
        return Provider(base_url=written, model=llm_model.strip(), api_key=api_key or None)
    name = model_id(written)
    for bare, models, base_url, default in FAMILIES:
        if name in bare or models.search(name):
            model = llm_model.strip() if llm_model else (default if name in bare else name)
            return Provider(base_url=base_url, model=model, api_key=api_key or None)
    raise ProviderProblem("llm_provider", f"unknown provider {written[:60]!r}; give {ACCEPTED}")
