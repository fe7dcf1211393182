"""A draft from a sentence: the preview stores nothing, saving opens the draft form to correct it."""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.web.conftest import Web


async def test_a_sentence_becomes_a_draft_after_a_preview(web: Web) -> None:
    async with web.signed_in("Text Web GmbH") as page:
        await page.goto("/documents/from-text")
        await page.get_by_label("What should the invoice say?").fill("Invoice Globex Corp for 10 hours of consulting at €150/hour")
        await page.get_by_role("button", name="Preview").click()
        await expect(page.locator(".card table")).to_contain_text("€1,500.00")
        await web.shot(page, "from-text")
        await page.goto("/documents")
        await expect(page.locator("tbody")).to_contain_text("No documents match.")  # the preview stored nothing

        await page.goto("/documents/from-text")
        await page.get_by_label("What should the invoice say?").fill("Invoice Globex Corp for 10 hours of consulting at €150/hour")
        await page.get_by_role("button", name="Preview").click()
        await page.get_by_role("button", name="Save draft").click()
        await expect(page).to_have_url(re.compile(r"/documents/[0-9a-f-]{36}/edit$"))
        await expect(page.locator("input[name=line_unit_price]").first).to_have_value("150")
