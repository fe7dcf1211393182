"""Invoices from plain text, through the real gateway, bus, service and database."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from uuid import UUID

import msgspec

from billwire_invoices.text.handlers import TextHandlers
from billwire_invoices.text.model import TextModelSettings
from billwire_shared.contracts.common import Caller
from billwire_shared.contracts.text import DraftFromText, FromTextInput, Provider
from tests.stack import BUYER, Stack, ready_account

TEXT = (
    "Invoice Globex Corp for 10 hours of consulting at €150/hour and 2 days workshop at 800 EUR/day, "
    "plus 19% VAT, due in 14 days, for March 2026. Please also mention the parking fees."
)


async def test_draft_from_text_matches_the_client_and_computes_totals(stack: Stack) -> None:
    api = await ready_account(stack)
    client = (await api.post("/clients", json=BUYER)).json()  # "Globex Corporation"
    await api.post("/clients", json={"name": "Initech"})

    created = await api.post("/invoices/from-text", json={"text": TEXT})
    assert created.status_code == 201, created.text
    result = created.json()
    assert result["stored"] is True and result["engine"] == "offline"
    assert result["client"]["client_id"] == client["id"] and result["client"]["source"] == "matched"
    assert result["client"]["score"] >= 85
    doc = result["document"]
    assert doc["status"] == "draft" and doc["client_id"] == client["id"] and doc["currency"] == "EUR"
    assert [(ln["description"], ln["quantity"], ln["unit"], ln["unit_price"]) for ln in doc["lines"]] == [
        ("Consulting", "10", "h", "150"), ("Workshop", "2", "day", "800"),
    ]
    assert doc["totals"]["net"] == "3100.00" and doc["totals"]["tax"] == "589.00" and doc["totals"]["gross"] == "3689.00"
    assert doc["due_days"] == 14 and doc["service_period"] == {"start": "2026-03-01", "end": "2026-03-31"}
    assert [u["text"] for u in result["unparsed"]] == ["Please also mention the parking fees"]

    stored = (await api.get(f"/invoices/{doc['id']}")).json()
    assert stored["totals"] == doc["totals"] and stored["version"] == 1


async def test_dry_run_stores_nothing_and_a_new_client_is_inline(stack: Stack) -> None:
    api = await ready_account(stack)
    before = (await api.get("/invoices")).json()["total"]

    preview = await api.post("/invoices/from-text", json={
        "text": "Rechnung an die Bäckerei Huber KG: 8 Stunden Beratung zu 95 EUR pro Stunde, zzgl. 19 % MwSt.",
        "dry_run": True,
    })
    assert preview.status_code == 200, preview.text
    result = preview.json()
    assert result["stored"] is False and result["problems"] == []
    assert result["client"] == {"name": "Bäckerei Huber KG", "client_id": None, "score": None, "source": "new", "candidates": []}
    doc = result["document"]
    assert doc["client"]["name"] == "Bäckerei Huber KG" and doc["client_id"] is None
    assert doc["lines"][0]["unit"] == "h"  # the account's language is English
    assert doc["totals"]["net"] == "760.00" and doc["totals"]["gross"] == "904.40"
    assert (await api.get("/invoices")).json()["total"] == before
    assert doc["id"] is None  # nothing was stored, so there is nothing to open
    assert (await api.get("/clients")).json()["total"] == 0


async def test_what_cannot_be_drafted_is_explained(stack: Stack) -> None:
    api = await ready_account(stack)
    no_client = await api.post("/invoices/from-text", json={"text": "10 hours consulting at $100/h"})
    assert no_client.status_code == 422
    assert {d["field"] for d in no_client.json()["error"]["details"]} == {"client"}

    nothing = await api.post("/invoices/from-text", json={"text": "Invoice Acme Corp for the usual stuff"})
    assert nothing.status_code == 422
    details = nothing.json()["error"]["details"]
    assert any(d["field"] == "text" and "the usual stuff" in d["message"] for d in details)

    dry = (await api.post("/invoices/from-text", json={"text": "consulting for Acme Corp", "dry_run": True})).json()
    assert dry["document"] is None and [p["field"] for p in dry["problems"]] == ["text"]

    _, other_key = await stack.new_account("Other")
    other = (await stack.api(other_key).post("/clients", json={"name": "Secret Client"})).json()
    unknown = await api.post("/invoices/from-text", json={"text": "10 h at $100/h", "client_id": other["id"]})
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "CLIENT_NOT_FOUND"

    bad = await api.post("/invoices/from-text", json={"text": ""})
    assert bad.status_code in (400, 422)


async def test_client_id_wins_and_idempotency_key_replays(stack: Stack) -> None:
    api = await ready_account(stack)
    client = (await api.post("/clients", json=BUYER)).json()
    body = {"text": "Hosting for April 2026 at $20/month", "client_id": client["id"]}
    first = await api.post("/invoices/from-text", json=body, headers={"Idempotency-Key": "text-1"})
    again = await api.post("/invoices/from-text", json=body, headers={"Idempotency-Key": "text-1"})
    assert first.status_code == again.status_code == 201
    assert first.json()["document"]["id"] == again.json()["document"]["id"]
    assert first.json()["client"]["source"] == "client_id"
    assert (await api.get("/invoices")).json()["total"] == 1
    reused = await api.post("/invoices/from-text", json=body | {"text": "other"}, headers={"Idempotency-Key": "text-1"})
    assert reused.status_code == 422 and reused.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"


# -- the optional model, against a local OpenAI-compatible endpoint ---------------------------------


@asynccontextmanager
async def fake_openai(answer: dict | str, status: int = 200) -> AsyncIterator[list[dict]]:
    """A tiny HTTP server on loopback answering /v1/chat/completions like an OpenAI-compatible API."""
    seen: list[dict] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)}
        body = json.loads(await reader.readexactly(int(headers["content-length"])))
        seen.append({"path": lines[0].split()[1], "auth": headers.get("authorization"), "body": body})
        content = answer if isinstance(answer, str) else json.dumps(answer)
        reply = json.dumps({"id": "x", "object": "chat.completion", "choices": [
            {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]}).encode()
        writer.write(f"HTTP/1.1 {status} OK\r\ncontent-type: application/json\r\ncontent-length: {len(reply)}\r\n"
                     "connection: close\r\n\r\n".encode() + reply)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    seen.append({"base_url": f"http://127.0.0.1:{port}/v1"})
    try:
        yield seen
    finally:
        server.close()
        await server.wait_closed()


MODEL_ANSWER = {
    "client_name": "Initech",
    "lines": [{"description": "Data migration", "quantity": "3", "unit": "day", "unit_price": "1000", "tax_rate": "19"}],
    "currency": "EUR", "due_days": 30, "language": "en", "notes": ["read 'three' as 3"],
    "unparsed": [{"text": "the usual", "reason": "unclear"}],
}


def text_handlers(stack: Stack) -> TextHandlers:
    """The service's text handlers on the run's pool, with loopback endpoints allowed (the fake model)."""
    pool = stack.invoices.pool
    return TextHandlers(pool, TextModelSettings(text_model_allow_private=True, text_model_timeout=5))


async def test_provider_answers_with_the_schema(stack: Stack) -> None:
    account_id, key = await stack.new_account("Model user")
    api = stack.api(key)
    initech = (await api.post("/clients", json={"name": "Initech"})).json()
    async with fake_openai(MODEL_ANSWER) as seen:
        provider = Provider(base_url=seen[0]["base_url"], model="tiny-model", api_key="sk-test")
        body = FromTextInput(text="three days of data migration for initech", provider=provider)
        result = await text_handlers(stack).draft_from_text(DraftFromText(ctx=Caller(account_id=UUID(account_id)), body=body))
    assert result.engine == "model" and result.stored and str(result.client.client_id) == initech["id"]
    assert result.document.totals.gross == Decimal("3570.00") and result.document.due_days == 30
    assert [(u.text, u.reason) for u in result.unparsed] == [("the usual", "unclear")]
    call = seen[1]
    assert call["path"] == "/v1/chat/completions" and call["auth"] == "Bearer sk-test"
    assert call["body"]["model"] == "tiny-model" and call["body"]["response_format"]["type"] == "json_schema"
    assert "lines" in call["body"]["response_format"]["json_schema"]["schema"]["$defs"]["ParsedInvoice"]["properties"]
    assert call["body"]["messages"][-1]["content"] == "three days of data migration for initech"
    assert "sk-test" not in msgspec.json.encode(result).decode()
    stored = (await api.get(f"/invoices/{result.document.id}")).json()
    assert stored["lines"][0]["description"] == "Data migration" and stored["lines"][0]["unit"] == "day"


async def test_a_bad_model_answer_falls_back_to_the_offline_parser(stack: Stack) -> None:
    account_id, _ = await stack.new_account("Model user")
    ctx = Caller(account_id=UUID(account_id))
    for answer, status, note in (({"lines": [{"description": "x", "quantity": "many"}]}, 200, "did not match the schema"),
                                 ("not json", 500, "HTTP 500")):
        async with fake_openai(answer, status) as seen:
            body = FromTextInput(
                text="Invoice Acme Corp for 2 hours at $100/h", dry_run=True,
                provider=Provider(base_url=seen[0]["base_url"], model="tiny-model"),
            )
            result = await text_handlers(stack).draft_from_text(DraftFromText(ctx=ctx, body=body))
        assert result.engine == "offline" and any(note in n for n in result.notes), result.notes
        assert result.document.totals.net == Decimal("200.00") and not result.stored


async def test_a_provider_inside_the_network_is_refused_over_the_api(stack: Stack) -> None:
    api = await ready_account(stack)
    async with fake_openai(MODEL_ANSWER) as seen:
        provider = {"base_url": seen[0]["base_url"], "model": "tiny-model"}
        refused = await api.post("/invoices/from-text", json={"text": "2 hours at $100/h for Acme Corp", "provider": provider})
    assert refused.status_code == 422 and refused.json()["error"]["details"][0]["field"] == "provider.base_url"
    assert len(seen) == 1  # the fake model was never called


async def test_an_endpoint_that_is_not_a_url_is_a_422_not_a_500(stack: Stack) -> None:
    """What the fuzzer sent: an http(s) prefix, then an unbalanced bracket no URL parser accepts."""
    api = await ready_account(stack, "Bracket GmbH")
    for body, field in (
        ({"provider": {"base_url": "http://\u00c4M,\x9e]8", "model": "tiny-model"}}, "provider.base_url"),
        ({"llm_provider": "https://[broken", "llm_model": "tiny-model"}, "llm_provider"),
        ({"provider": {"base_url": "https:///nohost", "model": "tiny-model"}}, "provider.base_url"),
    ):
        refused = await api.post("/invoices/from-text", json={"text": "2 hours at $100/h for Acme Corp"} | body)
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["details"][0]["field"] == field
