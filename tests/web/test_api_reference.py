"""The API reference at /schema works offline: Swagger UI's files come from the gateway itself."""

from __future__ import annotations

from playwright.async_api import Route, expect

from tests.web.conftest import Web


async def test_the_api_reference_renders_with_no_other_host_reachable(web: Web) -> None:
    async with web.page() as page:
        async def offline(route: Route) -> None:
            if route.request.url.startswith(web.base):
                await route.continue_()
            else:
                await route.abort("internetdisconnected")

        await page.route("**/*", offline)
        await page.goto("/schema")
        await expect(page.locator(".opblock").first).to_be_visible(timeout=20_000)
        await expect(page.locator(".information-container")).to_contain_text("Billwire API")
        await web.shot(page, "api-reference", full_page=False)
