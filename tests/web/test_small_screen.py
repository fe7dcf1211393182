"""The pages fit a 375 px wide phone: nothing scrolls sideways."""

from __future__ import annotations

from tests.web.conftest import Web


async def test_main_pages_fit_a_phone(web: Web) -> None:
    async with web.signed_in("Phone GmbH", width=375, height=740) as page:
        for path, name in (("/", "phone-overview"), ("/documents", "phone-documents"), ("/documents/new", "phone-draft"),
                           ("/clients", None), ("/settings/profile", None), ("/settings/keys", None)):
            await page.goto(path)
            overflow = await page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (path, overflow)
            if name:
                await web.shot(page, name)
