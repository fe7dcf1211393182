"""`GET /usage` against a monthly document quota, and the quota enforced on every create (REST
and MCP send the same bus command), even by concurrent requests, on a stack of its own whose
plan allows 3 documents a month."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest_asyncio

from tests.e2e.test_mcp import mcp_session
from tests.stack import BUYER, Stack, own_stack, ready_account

QUOTA = 3
DRAFT = {"client": BUYER, "lines": [{"description": "Work", "unit_price": "10"}]}


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def quota_stack(pg_admin_url: str, nats_url: str, bus_prefix: str) -> AsyncIterator[Stack]:
    invoices = {"outbox_poll_interval": 0.2, "documents_quota_per_month": QUOTA}
    gateway = {"rate_limit_per_minute": 100_000, "rate_limit_per_account_per_minute": 100_000}
    async with own_stack(pg_admin_url, nats_url, f"{bus_prefix}_quota", invoices, gateway) as stack:
        yield stack


def this_period() -> tuple[str, str]:
    today = datetime.now(UTC).date()
    start = today.replace(day=1)
    following = (start + timedelta(days=32)).replace(day=1)
    return start.isoformat(), (following - timedelta(days=1)).isoformat()


async def test_usage_shows_the_quota_and_the_next_create_past_it_is_a_429_naming_it(quota_stack: Stack) -> None:
    api = await ready_account(quota_stack, "Quota GmbH")
    start, end = this_period()
    documents = (await api.get("/usage")).json()["documents"]
    assert documents | {"resets_at": None} == {
        "max": QUOTA, "used": 0, "remaining": QUOTA, "unlimited": False, "resets_at": None,
        "period_start": start, "period_end": end,
    }
    assert documents["resets_at"].startswith((datetime.fromisoformat(end) + timedelta(days=1)).date().isoformat())

    assert (await api.post("/invoices", json=DRAFT)).status_code == 201
    assert (await api.post("/documents", json=DRAFT | {"type": "estimate"})).status_code == 201
    usage = (await api.get("/usage")).json()
    assert (usage["documents"]["used"], usage["documents"]["remaining"]) == (2, 1)
    assert (usage["documents_this_month"], usage["documents_quota"]) == (2, QUOTA)  # the first version's fields stay

    assert (await api.post("/invoices", json=DRAFT)).status_code == 201
    refused = await api.post("/invoices", json=DRAFT)
    assert refused.status_code == 429, refused.text
    error = refused.json()["error"]
    assert error["code"] == "DOCUMENT_QUOTA_EXCEEDED" and f"quota of {QUOTA}" in error["message"]
    assert [d["field"] for d in error["details"]] == ["documents_quota_per_month"]
    assert (await api.get("/documents")).json()["total"] == QUOTA  # nothing written
    usage = (await api.get("/usage")).json()["documents"]
    assert (usage["used"], usage["remaining"]) == (QUOTA, 0)

    # Drafting from text makes a document too, and meets the quota; its dry run stores nothing and still answers.
    text = {"text": "Invoice Globex Corporation for 2 hours of consulting at 100 EUR"}
    assert (await api.post("/invoices/from-text", json=text | {"dry_run": True})).status_code == 200
    from_text = await api.post("/invoices/from-text", json=text)
    assert from_text.status_code == 429 and from_text.json()["error"]["code"] == "DOCUMENT_QUOTA_EXCEEDED", from_text.text

    # An agent's create over MCP is the same command and meets the same quota.
    async with quota_stack.served() as base, mcp_session(base, api.key) as session:
        result = await session.call_tool("create_invoice", {"client_name": "Globex Corporation", "lines": [{"description": "x", "unit_price": "1"}]})
        assert result.is_error and "DOCUMENT_QUOTA_EXCEEDED" in result.content[0].text, result.content
    assert (await api.get("/documents")).json()["total"] == QUOTA


async def test_concurrent_creates_never_overshoot_the_quota(quota_stack: Stack) -> None:
    api = await ready_account(quota_stack, "Rush GmbH")
    responses = await asyncio.gather(*(api.post("/invoices", json=DRAFT) for _ in range(8)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] * QUOTA + [429] * (8 - QUOTA), statuses
    assert (await api.get("/invoices")).json()["total"] == QUOTA

    other = await ready_account(quota_stack, "Other GmbH")  # each account has its own quota
    assert (await other.post("/invoices", json=DRAFT)).status_code == 201


async def test_copies_and_converted_estimates_count_but_a_cancellations_credit_note_does_not(quota_stack: Stack) -> None:
    """A duplicate and an estimate turned into an invoice are new documents and meet the quota;
    cancelling an issued invoice must always be possible, so its credit note is never refused."""
    api = await ready_account(quota_stack, "Copy GmbH")
    invoice = (await api.post("/invoices", json=DRAFT)).json()
    estimate = (await api.post("/documents", json=DRAFT | {"type": "estimate"})).json()
    assert (await api.post(f"/invoices/{invoice['id']}/finalize")).status_code == 200
    copy = await api.post(f"/documents/{invoice['id']}/duplicate")
    assert copy.status_code == 201, copy.text  # the third document of the month

    refused_copy = await api.post(f"/documents/{invoice['id']}/duplicate")
    assert refused_copy.status_code == 429 and refused_copy.json()["error"]["code"] == "DOCUMENT_QUOTA_EXCEEDED", refused_copy.text
    refused_convert = await api.post(f"/estimates/{estimate['id']}/convert")
    assert refused_convert.status_code == 429 and refused_convert.json()["error"]["code"] == "DOCUMENT_QUOTA_EXCEEDED", refused_convert.text
    assert (await api.get("/documents")).json()["total"] == QUOTA  # nothing written

    cancelled = await api.post(f"/invoices/{invoice['id']}/cancel", json={"reason": "wrong client"})
    assert cancelled.status_code == 201, cancelled.text
    assert (await api.get("/documents")).json()["total"] == QUOTA + 1  # the credit note
