"""The pages fit a 375 px wide phone: nothing scrolls sideways; on a 1280 px laptop the top bar is one row, in German too."""

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
        await page.goto("/documents/new")  # scrolled down, the page has the whole screen: the menu stays at the top
        await page.get_by_role("button", name="Save draft / Recalculate").scroll_into_view_if_needed()
        assert await page.evaluate("document.querySelector('.topbar').getBoundingClientRect().bottom") <= 0


async def test_the_top_bar_is_one_row_on_a_laptop_in_both_languages(web: Web) -> None:
    async with web.signed_in("A Company With A Rather Long Name GmbH", width=1280) as page:
        for language in ("English", "Deutsch"):
            middles = await page.locator(".topbar a, .topbar button").evaluate_all(
                "(items) => items.filter((item) => item.offsetParent).map((item) => { const box = item.getBoundingClientRect(); return (box.top + box.bottom) / 2; })")
            assert max(middles) - min(middles) < 10, (language, middles)  # a second row would be some 40 px lower
            if language == "English":
                await page.get_by_role("button", name="Deutsch").click()
                await page.get_by_role("button", name="English").wait_for()
