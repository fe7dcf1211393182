"""Draft from text with a language model the person names (optional fields, as REST takes them),
against a fake OpenAI-compatible endpoint on loopback, on a stack of its own whose invoices service
may ask loopback. The API key reaches the model, and is never shown again on the page (nor logged)."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from playwright.async_api import async_playwright, expect

from tests.e2e.test_from_text import MODEL_ANSWER, fake_openai
from tests.e2e.test_from_text_models import loopback_model_stack, rows_holding
from tests.web.conftest import CHROMIUM, Web

SECRET = "sk-web-never-shown-81c2"
TEXT = "three days of data migration for initech"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def model_web(pg_admin_url: str, nats_url: str, bus_prefix: str) -> AsyncIterator[Web]:
    async with loopback_model_stack(pg_admin_url, nats_url, f"{bus_prefix}_llmweb") as stack, \
            stack.served(web_login_per_address=1000) as base, async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            yield Web(base, stack, browser, sink=None)  # type: ignore[arg-type]  # no e-mail is sent here
        finally:
            await browser.close()


async def test_a_named_model_reads_the_sentence_and_the_key_is_never_shown_again(model_web: Web, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with fake_openai(MODEL_ANSWER) as seen, model_web.signed_in("Model Web GmbH") as page:
        await page.goto("/documents/from-text")
        await page.get_by_label("What should the invoice say?").fill(TEXT)
        await page.get_by_text("Language model (optional)").click()
        await page.get_by_label("Model, or the URL of an OpenAI-compatible API").fill(seen[0]["base_url"])
        await page.get_by_label("Model at that URL").fill("local-model")
        await page.get_by_label("API key").fill(SECRET)
        await page.get_by_role("button", name="Preview").click()
        await expect(page.locator(".card table")).to_contain_text("Data migration")
        await expect(page.get_by_text("Read by the language model.")).to_be_visible()
        assert seen[1]["auth"] == f"Bearer {SECRET}" and seen[1]["body"]["model"] == "local-model"
        await expect(page.get_by_label("Model, or the URL of an OpenAI-compatible API")).to_have_value(seen[0]["base_url"])
        await expect(page.get_by_label("API key")).to_have_value("")
        assert SECRET not in await page.content()

        await page.get_by_label("Model, or the URL of an OpenAI-compatible API").fill("llama-3")
        await page.get_by_label("API key").fill(SECRET)
        await page.get_by_role("button", name="Preview").click()
        await expect(page.locator(".field.has-error")).to_contain_text("unknown provider 'llama-3'")
        await expect(page.get_by_label("API key")).to_have_value("")
        assert SECRET not in await page.content() and len(seen) == 2

        await page.get_by_label("Model, or the URL of an OpenAI-compatible API").fill(seen[0]["base_url"])
        await page.get_by_label("API key").fill(SECRET)
        await page.get_by_role("button", name="Preview").click()
        await expect(page.get_by_text("Read by the language model.")).to_be_visible()
        await page.get_by_label("API key").fill(SECRET)  # asked again to save: the page never held it
        await page.get_by_role("button", name="Save draft").click()
        await expect(page).to_have_url(re.compile(r"/documents/[0-9a-f-]{36}/edit$"))
        await expect(page.locator("input[name=line_description]").first).to_have_value("Data migration")
        assert len(seen) == 4 and seen[3]["auth"] == f"Bearer {SECRET}"
    assert [record.name for record in caplog.records if SECRET in record.getMessage()] == []
    assert await rows_holding(model_web.stack.database_url, SECRET) == []
