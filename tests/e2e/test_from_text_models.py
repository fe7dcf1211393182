"""A language model named per call (`llm_provider`, `llm_model`, `llm_api_key`) through the MCP
tools, as over REST, against a fake OpenAI-compatible endpoint on loopback. On a stack of its
own whose invoices service may ask loopback: the shared one refuses it, as production does. The
key reaches the model and nothing else: no answer, no log line, no row of the database."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

import asyncpg
import pytest
import pytest_asyncio

from tests.e2e.test_from_text import MODEL_ANSWER, fake_openai
from tests.e2e.test_mcp import MODERN, call, mcp_session
from tests.stack import Stack, own_stack, ready_account

SECRET = "sk-test-never-kept-4f9a"
TEXT = "three days of data migration for initech"


@contextlib.asynccontextmanager
async def loopback_model_stack(pg_admin_url: str, nats_url: str, prefix: str) -> AsyncIterator[Stack]:
    """A stack whose invoices service lets a request's model be on loopback (the fake one)."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("BILLWIRE_TEXT_MODEL_ALLOW_PRIVATE", "true")
        env.setenv("BILLWIRE_TEXT_MODEL_TIMEOUT", "10")
        gateway = {"rate_limit_per_minute": 100_000, "rate_limit_per_account_per_minute": 100_000}
        async with own_stack(pg_admin_url, nats_url, prefix, {"outbox_poll_interval": 0.2}, gateway) as stack:
            yield stack


async def rows_holding(database_url: str, secret: str) -> list[str]:
    """The tables with a row whose text holds `secret`."""
    conn = await asyncpg.connect(database_url)
    try:
        tables = await conn.fetch("SELECT schemaname, tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")
        found = []
        for table in tables:
            name = f'"{table["schemaname"]}"."{table["tablename"]}"'
            if await conn.fetchval(f"SELECT count(*) FROM {name} AS t WHERE t::text LIKE $1", f"%{secret}%"):  # noqa: S608
                found.append(name)
        return found
    finally:
        await conn.close()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def model_stack(pg_admin_url: str, nats_url: str, bus_prefix: str) -> AsyncIterator[Stack]:
    async with loopback_model_stack(pg_admin_url, nats_url, f"{bus_prefix}_llm") as stack:
        yield stack


async def test_the_mcp_tools_ask_the_model_the_call_names_and_keep_no_key(model_stack: Stack, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    api = await ready_account(model_stack, "Model MCP GmbH")
    model = {"llm_provider": None, "llm_model": "local-model", "llm_api_key": SECRET}
    async with fake_openai(MODEL_ANSWER) as seen, model_stack.served() as base, mcp_session(base, api.key, MODERN) as session:
        model["llm_provider"] = seen[0]["base_url"]
        preview = await call(session, "draft_invoice_from_text", text=TEXT, **model)
        assert preview["engine"] == "model" and preview["stored"] is False and preview["document"]["id"] is None
        assert [(line["description"], line["quantity"]) for line in preview["document"]["lines"]] == [("Data migration", "3")]
        assert seen[1]["auth"] == f"Bearer {SECRET}" and seen[1]["body"]["model"] == "local-model"
        assert seen[1]["body"]["messages"][-1]["content"] == TEXT

        stored = await call(session, "draft_invoice_from_text", text=TEXT, dry_run=False, idempotency_key="llm-draft-1", **model)
        assert stored["engine"] == "model" and stored["stored"] is True and len(seen) == 3
        assert (await api.get(f"/invoices/{stored['document']['id']}")).json()["lines"][0]["description"] == "Data migration"

        prompt = await call(session, "create_saved_prompt", prompt={"prompt_text": TEXT})
        ran = await call(session, "run_saved_prompt", prompt_id=prompt["id"], **model)
        assert ran["engine"] == "model" and ran["stored"] is False and seen[3]["auth"] == f"Bearer {SECRET}"

        without = await call(session, "draft_invoice_from_text", text=TEXT)  # no model named: the offline parser
        assert without["engine"] == "offline" and len(seen) == 4

        unknown = await session.call_tool("draft_invoice_from_text", {"text": TEXT, "llm_provider": "llama-3", "llm_api_key": SECRET})
        assert unknown.is_error and "llm_provider" in unknown.content[0].text and SECRET not in unknown.content[0].text
        no_model = await session.call_tool("draft_invoice_from_text", {"text": TEXT, "llm_provider": model["llm_provider"], "llm_api_key": SECRET})
        assert no_model.is_error and "llm_model" in no_model.content[0].text and len(seen) == 4
    for answer in (preview, stored, ran):
        assert SECRET not in str(answer)
    # At every level, from every logger of the gateway, the services and the SDK's server; the
    # test's own MCP client (the agent's side, not ours) logs what it sends at DEBUG.
    logged = [record.name for record in caplog.records if SECRET in record.getMessage() and not record.name.startswith("mcp.client")]
    assert logged == []
    assert await rows_holding(model_stack.database_url, SECRET) == []
