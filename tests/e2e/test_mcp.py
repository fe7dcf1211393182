"""An agent's view: the official MCP client over HTTP drives the real gateway and services."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from mcp.client.client import Client
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from billwire_invoices.documents.einvoice import warm_up
from tests.stack import BUYER, Stack, ready_account

MODERN, LEGACY = "2026-07-28", "2025-11-25"


@pytest.fixture(params=[MODERN, LEGACY])
def protocol(request: pytest.FixtureRequest) -> str:
    """Both eras the SDK serves: per-request envelopes (what its client negotiates by default)
    and the initialize handshake, answered statelessly."""
    return request.param


@contextlib.asynccontextmanager
async def mcp_session(base: str, key: str, protocol: str = LEGACY) -> AsyncIterator[ClientSession | Client]:
    client = create_mcp_http_client(headers={"Authorization": f"Bearer {key}"})
    transport = streamable_http_client(f"{base}/api/mcp", http_client=client)
    async with client:
        if protocol == MODERN:
            async with Client(transport) as session:  # mode "auto": server/discover, then per-request envelopes
                assert session.protocol_version == MODERN
                yield session
            return
        async with transport as (read, write, *_), ClientSession(read, write) as session:
            await session.initialize()
            assert session.protocol_version == LEGACY
            yield session


async def call(session: ClientSession | Client, tool: str, **arguments: Any) -> Any:
    result = await session.call_tool(tool, arguments)
    assert not result.is_error, result.content
    return result.structured_content["result"]


async def test_an_agent_drafts_confirms_and_settles_an_invoice(stack: Stack, protocol: str) -> None:
    api = await ready_account(stack, "Agent GmbH")
    async with stack.served() as base, mcp_session(base, api.key, protocol) as session:
        tools = {t.name: t for t in (await session.list_tools()).tools}
        assert {"create_invoice", "finalize_invoice", "send_invoice", "mark_invoice_paid", "mark_invoice_unpaid", "get_invoice_stats",
                "duplicate_document", "convert_estimate"} <= set(tools)
        assert tools["get_invoice"].annotations.read_only_hint is True
        assert tools["finalize_invoice"].annotations.destructive_hint is True
        assert "confirm" in tools["finalize_invoice"].input_schema["properties"]

        client = await call(session, "create_client", client=BUYER | {"name": "Hooli"}, idempotency_key="c-1")
        again = await call(session, "create_client", client=BUYER | {"name": "Hooli"}, idempotency_key="c-1")
        assert again["id"] == client["id"]

        draft = await call(session, "create_invoice", client_name="Hooli", due_days=10,
                           lines=[{"description": "Design", "quantity": "3", "unit_price": "80.00"}])
        assert draft["client_id"] == client["id"] and draft["totals"]["gross"] == "285.60"
        # The validators compile on first use (seconds on a busy machine); once per process, as test_einvoice does.
        await asyncio.wrap_future(warm_up())
        einvoice = await call(session, "create_invoice", client_id=client["id"], export_type="factur-x",
                              lines=[{"description": "Audit", "quantity": "1", "unit_price": "10"}])
        assert einvoice["export_type"] == "factur-x"

        preview = await call(session, "finalize_invoice", invoice_id=draft["id"])
        assert preview["preview"] is True and preview["changed"] is False and preview["total"] == "285.60" and preview["number_after"].startswith("INV-")
        assert (await call(session, "get_invoice_status", invoice_id=draft["id"]))["status"] == "draft"

        wrong = await session.call_tool("finalize_invoice", {"invoice_id": draft["id"], "confirm": True, "expected_total": "100"})
        assert wrong.is_error and "expected_total" in wrong.content[0].text
        issued = await call(session, "finalize_invoice", invoice_id=draft["id"], confirm=True, expected_total="285.60")
        assert issued["number"].startswith("INV-")

        paid = await call(session, "mark_invoice_paid", invoice_id=draft["id"], note="cash at the door")
        assert paid["status"] == "paid" and paid["balance_due"] == "0.00"
        [payment] = (await api.get(f"/invoices/{draft['id']}/payments")).json()
        assert payment["reference"] == "cash at the door"
        listed = await call(session, "list_invoices", status="paid")
        assert [i["id"] for i in listed["items"]] == [draft["id"]]
        drafted = await call(session, "draft_invoice_from_text", text="Invoice Hooli for 10 hours of consulting at 150 EUR/hour, due in 14 days")
        assert drafted["stored"] is False and drafted["document"]["totals"]["net"] == "1500.00"
        bad = await session.call_tool("record_payment", {"invoice_id": draft["id"], "amount": "1"})
        assert bad.is_error and "overpays" in bad.content[0].text

        # A payment booked by mistake is taken back only when confirmed; copies and conversions start drafts.
        assert tools["mark_invoice_unpaid"].annotations.destructive_hint is True
        undo = await call(session, "mark_invoice_unpaid", invoice_id=draft["id"])
        assert undo["preview"] is True and (await call(session, "get_invoice_status", invoice_id=draft["id"]))["status"] == "paid"
        reopened = await call(session, "mark_invoice_unpaid", invoice_id=draft["id"], confirm=True, expected_total="285.60")
        assert (reopened["status"], reopened["balance_due"]) == ("open", "285.60")
        copy = await call(session, "duplicate_document", document_id=draft["id"])
        assert (copy["type"], copy["status"], copy["number"], copy["totals"]["gross"]) == ("invoice", "draft", None, "285.60")
        estimate = (await api.post("/documents", json={"type": "estimate", "client_id": client["id"],
                                                       "lines": [{"description": "Plan", "unit_price": "50"}]})).json()
        converted = await call(session, "convert_estimate", estimate_id=estimate["id"])
        assert (converted["type"], converted["status"]) == ("invoice", "draft") and converted["totals"]["gross"] == "59.50"


async def test_scopes_decide_which_tools_a_key_sees_and_may_call(stack: Stack, protocol: str) -> None:
    api = await ready_account(stack, "Scoped GmbH")
    reader_key = (await api.post("/settings/api-keys", json={"scopes": ["read"]})).json()["key"]
    writer_key = (await api.post("/settings/api-keys", json={"scopes": ["read", "write"]})).json()["key"]
    async with stack.served() as base:
        async with mcp_session(base, reader_key, protocol) as session:
            names = {t.name for t in (await session.list_tools()).tools}
            assert "list_invoices" in names and "create_invoice" not in names and "send_invoice" not in names
            refused = await session.call_tool("create_client", {"client": {"name": "Nope"}})
            assert refused.is_error and "lacks the `write` scope" in refused.content[0].text
        async with mcp_session(base, writer_key, protocol) as session:
            draft = await call(session, "create_invoice", client_name="Solo",
                               lines=[{"description": "x", "quantity": "1", "unit_price": "1"}])
            refused = await session.call_tool("send_invoice", {"invoice_id": draft["id"], "confirm": True, "expected_total": "1.19"})
            assert refused.is_error and "email:send" in refused.content[0].text
    assert (await api.get("/clients", params={"q": "Nope"})).json()["total"] == 0


async def test_discovery_document(stack: Stack) -> None:
    info = (await stack.http.get("/.well-known/mcp.json")).json()
    assert info["endpoint"].endswith("/api/mcp") and info["transport"] == "streamable-http"
    assert json.dumps(info["authentication"]).count("Bearer") == 1
