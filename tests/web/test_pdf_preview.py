"""The document page's PDF preview where the browser has no PDF viewer (a phone's browser, or one
set to download PDFs): a link to open the PDF in its place, no blank box, no download started
by merely looking at the page. Chromium is told so by its "always open PDFs externally" setting."""

from __future__ import annotations

import json
from pathlib import Path

from playwright.async_api import Download, expect

from tests.web.conftest import CHROMIUM, Web
from tests.web.test_issued_document import issued


async def test_without_a_pdf_viewer_the_preview_offers_the_pdf_as_a_link(web: Web, tmp_path: Path) -> None:
    account_id, email, password = await web.new_user("No Viewer GmbH", password="a viewerless password")
    invoice = await issued(web, account_id)
    (tmp_path / "Default").mkdir()
    (tmp_path / "Default" / "Preferences").write_text(json.dumps({"plugins": {"always_open_pdf_externally": True}}))
    context = await web.browser.browser_type.launch_persistent_context(
        str(tmp_path), executable_path=CHROMIUM, headless=True, args=["--no-sandbox"], base_url=web.base, accept_downloads=True,
    )
    try:
        page = context.pages[0] if context.pages else await context.new_page()
        downloads: list[Download] = []
        page.on("download", lambda download: downloads.append(download))
        assert await page.evaluate("navigator.pdfViewerEnabled") is False
        await web.sign_in(page, email, password)
        await page.goto(f"/documents/{invoice.id}")
        link = page.locator(".preview").get_by_role("link", name="Open the PDF")
        await expect(link).to_be_visible()
        await link.scroll_into_view_if_needed()
        await web.shot(page, "document-without-pdf-viewer", full_page=False)
        pdf = await page.request.get(await link.get_attribute("href") or "")
        assert pdf.ok and (await pdf.body()).startswith(b"%PDF")
        await page.wait_for_timeout(500)  # a download, had the page started one, has begun by now
        assert downloads == []
    finally:
        await context.close()

    async with web.page() as page:  # with Chromium's viewer the PDF itself is shown, the link is not
        await web.sign_in(page, email, password)
        await page.goto(f"/documents/{invoice.id}")
        await expect(page.locator("object.pdf")).to_have_attribute("data", f"/documents/{invoice.id}/pdf#toolbar=0&view=FitH")
        await expect(page.locator(".preview").get_by_role("link", name="Open the PDF")).to_be_hidden()
