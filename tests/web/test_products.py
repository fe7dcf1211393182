"""The price list in the browser: a product saved from a gross price lists its net price, a price
the API refuses is shown at the form's one price field (422, nothing saved), an edit saves, and a
deleted product is gone."""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.web.conftest import Web


async def test_create_refuse_edit_and_delete_a_product(web: Web) -> None:
    async with web.signed_in("Price List GmbH") as page:
        await page.goto("/products/new")
        await page.get_by_label("Title").fill("Consulting hour")
        await page.get_by_label("Price", exact=True).fill("119")
        await page.get_by_label("Tax rate").fill("19")
        await page.get_by_label("Price is gross").check()
        await page.get_by_role("button", name="Save").click()
        await expect(page).to_have_url(f"{web.base}/products")
        row = page.locator("tbody tr", has_text="Consulting hour")
        await expect(row.locator("td").nth(2)).to_have_text(re.compile(r"^100(\.00)?$"))  # 119 gross at 19 %

        await row.get_by_role("link", name="Consulting hour").click()
        await expect(page).to_have_url(re.compile(r"/products/[0-9a-f-]{36}/edit$"))
        edit_url = page.url
        await page.get_by_label("Price", exact=True).fill("a lot")
        async with page.expect_response(lambda response: response.request.method == "POST") as refused:
            await page.get_by_role("button", name="Save").click()
        assert (await refused.value).status == 422
        await expect(page.locator("#e-price")).to_be_visible()  # net_price from the API, shown at the price field
        await page.goto(edit_url)
        await expect(page.get_by_label("Price", exact=True)).to_have_value(re.compile(r"^100(\.00)?$"))  # nothing was saved

        await page.get_by_label("Price", exact=True).fill("80")
        await page.get_by_role("button", name="Save").click()
        await expect(page).to_have_url(f"{web.base}/products")
        await expect(row.locator("td").nth(2)).to_have_text(re.compile(r"^80(\.00)?$"))

        await row.get_by_role("button", name="Delete").click()
        await expect(page.locator("tbody")).to_contain_text("No products yet.")
