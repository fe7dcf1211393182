"""The examples the README and the MCP tool give for drafting from text, through the real gateway:
they must come out exactly as the words say."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

import msgspec

from billwire_shared.contracts.common import Caller
from billwire_shared.contracts.text import DraftFromText, FromTextInput
from tests.e2e.test_from_text import MODEL_ANSWER, fake_openai, text_handlers
from tests.stack import Stack, ready_account

README_EXAMPLE = "10 hours consulting for Globex at 150 EUR/h plus 19% VAT, due in 14 days"
STORY = "I just wrapped up the website redesign. It was 60 hours of design work at $125/hour"


def lines_of(doc: dict) -> list[tuple]:
    return [(ln["description"], ln["quantity"], ln["unit"], ln["unit_price"], ln["tax_rate"]) for ln in doc["lines"]]


async def test_the_readme_example_drafts_one_consulting_line_for_globex(stack: Stack) -> None:
    api = await ready_account(stack)
    preview = await api.post("/invoices/from-text", json={"text": README_EXAMPLE, "dry_run": True})
    assert preview.status_code == 200, preview.text
    result = preview.json()
    assert result["stored"] is False and result["problems"] == [] and result["unparsed"] == []
    assert result["client"]["name"] == "Globex" and result["client"]["source"] == "new"
    doc = result["document"]
    assert doc["id"] is None and doc["number"] is None
    assert lines_of(doc) == [("Consulting", "10", "h", "150", "19")]
    assert doc["currency"] == "EUR" and doc["due_days"] == 14
    assert doc["totals"]["net"] == "1500.00" and doc["totals"]["tax"] == "285.00" and doc["totals"]["gross"] == "1785.00"
    assert (await api.get("/invoices")).json()["total"] == 0

    stored = await api.post("/invoices/from-text", json={"text": README_EXAMPLE})
    assert stored.status_code == 201, stored.text
    doc = stored.json()["document"]
    assert doc["id"] is not None and lines_of(doc) == [("Consulting", "10", "h", "150", "19")]
    assert (await api.get(f"/invoices/{doc['id']}")).json()["client"]["name"] == "Globex"


async def test_the_mcp_tool_example_matches_a_stored_client(stack: Stack) -> None:
    api = await ready_account(stack)
    acme = (await api.post("/clients", json={"name": "Acme"})).json()
    text = "10 hours consulting for Acme at 150 EUR/h plus 19% VAT, due in 14 days"  # draft_invoice_from_text's own example
    result = (await api.post("/invoices/from-text", json={"text": text, "dry_run": True})).json()
    assert result["client"]["client_id"] == acme["id"] and result["client"]["source"] == "matched"
    assert lines_of(result["document"]) == [("Consulting", "10", "h", "150", "19")] and result["document"]["id"] is None


async def test_a_line_is_the_service_not_the_sentence_around_it(stack: Stack) -> None:
    api = await ready_account(stack)
    result = (await api.post("/invoices/from-text", json={"text": STORY + " for Initech.", "dry_run": True})).json()
    assert result["client"]["name"] == "Initech"
    assert lines_of(result["document"]) == [("Website redesign — design work", "60", "h", "125", "19")]  # the account's rate
    assert result["document"]["currency"] == "USD" and result["unparsed"] == []

    as_written = (await api.post("/invoices/from-text", json={"text": STORY, "dry_run": True})).json()
    assert [p["field"] for p in as_written["problems"]] == ["client"] and as_written["document"] is None
    assert [(ln["description"], ln["quantity"], ln["unit"]) for ln in as_written["parsed"]["lines"]] == [
        ("Website redesign — design work", "60", "hour"),
    ]


async def test_the_client_name_never_leaks_into_a_line(stack: Stack) -> None:
    api = await ready_account(stack)
    for text in (
        "Globex - consulting, 4 hours @ €150",
        "I did 32 hours of React development for Initech at $105/hour",
        "invoice umbrella corp 3 days of training at 700 GBP/day",
        "Kannst du der Bäckerei Huber KG 3 Stunden Kassenschulung zu je 60 € berechnen?",
    ):
        result = (await api.post("/invoices/from-text", json={"text": text, "dry_run": True})).json()
        client = result["client"]["name"].lower()
        assert result["document"]["lines"], (text, result)
        for line in result["document"]["lines"]:
            assert client not in line["description"].lower(), (text, line)
            assert not any(word in line["description"].lower().split() for word in client.split()), (text, line)


# -- llm_provider + llm_api_key, against a fake OpenAI-compatible endpoint on loopback ---------------


async def test_llm_provider_by_url_answers_and_a_bad_answer_falls_back(stack: Stack) -> None:
    account_id, key = await stack.new_account("LLM user")
    ctx = Caller(account_id=UUID(account_id))
    async with fake_openai(MODEL_ANSWER) as seen:
        body = FromTextInput(text="three days of data migration for initech", dry_run=True,
                             llm_provider=seen[0]["base_url"], llm_model="local-model", llm_api_key="sk-never-kept")
        result = await text_handlers(stack).draft_from_text(DraftFromText(ctx=ctx, body=body))
    assert result.engine == "model" and result.document is not None and result.document.id is None
    assert [(ln.description, ln.quantity) for ln in result.document.lines] == [("Data migration", Decimal("3"))]
    assert seen[1]["auth"] == "Bearer sk-never-kept" and seen[1]["body"]["model"] == "local-model"
    assert "sk-never-kept" not in msgspec.json.encode(result).decode()

    invalid_answer = {"client_name": "Initech", "lines": [{"description": "Data migration", "quantity": "lots", "unit_price": "x"}]}
    async with fake_openai(invalid_answer) as seen:
        body = FromTextInput(text="Invoice Initech for 3 days of data migration at 1000 EUR/day", dry_run=True,
                             llm_provider=seen[0]["base_url"], llm_model="local-model", llm_api_key="sk-never-kept")
        result = await text_handlers(stack).draft_from_text(DraftFromText(ctx=ctx, body=body))
    assert result.engine == "offline" and any("did not match the schema" in n and "offline parser" in n for n in result.notes)
    assert [(ln.description, ln.quantity, ln.unit_price) for ln in result.document.lines] == [("Data migration", Decimal("3"), Decimal("1000"))]
    assert "sk-never-kept" not in msgspec.json.encode(result).decode()


async def test_llm_provider_problems_name_the_field_over_the_api(stack: Stack) -> None:
    api = await ready_account(stack)
    text = "Invoice Acme for 2 hours at $100/h"
    unknown = await api.post("/invoices/from-text", json={"text": text, "llm_provider": "llama-3", "llm_api_key": "sk-x"})
    assert unknown.status_code == 422 and unknown.json()["error"]["details"][0]["field"] == "llm_provider"
    assert "sk-x" not in unknown.text
    no_model = await api.post("/invoices/from-text", json={"text": text, "llm_provider": "https://llm.example.com/v1"})
    assert no_model.status_code == 422 and no_model.json()["error"]["details"][0]["field"] == "llm_model"
    async with fake_openai(MODEL_ANSWER) as seen:
        inside = await api.post("/invoices/from-text", json={"text": text, "llm_provider": seen[0]["base_url"], "llm_model": "m"})
    assert inside.status_code == 422 and inside.json()["error"]["details"][0]["field"] == "llm_provider"
    assert len(seen) == 1  # the loopback endpoint is only allowed by a setting (tests), never over the API
