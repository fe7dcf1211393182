"""The main pages pass axe-core's automated accessibility rules (WCAG 2.1 A and AA: labelled
fields, contrast, names of links and buttons, landmarks) in Chromium, on a phone and a desktop.
axe-core comes from the axe-playwright-python package and is evaluated in the page by
Playwright, so no CDN is asked and the strict CSP stays as it is."""

from __future__ import annotations

import uuid

from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Page

from tests.web.conftest import Web
from tests.web.test_issued_document import issued

WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}, "resultTypes": ["violations"]}


async def violations(page: Page, path: str) -> list[str]:
    await page.goto(path)
    results = await Axe().run(page, options=WCAG_AA)
    return [f"{path}: {v['id']} ({v['impact']}) {v['help']}: {[n['target'] for n in v['nodes']][:4]}"
            for v in results.response["violations"]]


async def test_main_pages_pass_axe_on_a_phone_and_a_desktop(web: Web) -> None:
    account_id, email, password = await web.new_user("Axe GmbH", password="an accessible password")
    document = await issued(web, account_id)
    await issued(web, account_id, paid="50")  # the list's badges: open, partially paid, paid
    await issued(web, account_id, paid="119")
    found: list[str] = []
    async with web.page() as page:
        found += await violations(page, "/login")
    for width, height in ((375, 740), (1280, 900)):
        async with web.page(width, height) as page:
            await web.sign_in(page, email, password)
            for path in ("/", "/documents", f"/documents/{document.id}", "/documents/new", f"/clients/{document.client_id}",
                         "/clients", "/clients/new", "/products", "/products/new", "/documents/from-text", "/recurring", "/approvals", "/settings/profile",
                         "/settings/email-templates", "/settings/reminders", "/settings/keys", "/settings/webhooks", "/settings/users",
                         f"/documents/{uuid.uuid4()}"):
                found += await violations(page, path)
    assert not found, "\n".join(found)


FOCUS_RING = """() => {
  const el = document.activeElement, style = getComputedStyle(el);
  const rgb = (c) => c.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= .03928 ? v / 12.92 : ((v + .055) / 1.055) ** 2.4; })
    .reduce((sum, v, i) => sum + v * [.2126, .7152, .0722][i], 0);
  let back = el.parentElement;
  while (back && (rgb(getComputedStyle(back).backgroundColor)[3] ?? 1) === 0) back = back.parentElement;
  const [a, b] = [lum(rgb(style.outlineColor)), lum(rgb(getComputedStyle(back || document.body).backgroundColor))].sort((x, y) => y - x);
  return {inside_control: !el.matches(':focus'), what: el.outerHTML.slice(0, 80), style: style.outlineStyle, width: parseFloat(style.outlineWidth), contrast: (a + .05) / (b + .05)};
}"""


async def test_the_keyboard_focus_is_always_visible(web: Web) -> None:
    """Each element Tab reaches on the draft editor shows a ring at least 2 px wide with 3:1 against what is behind it."""
    async with web.signed_in("Focus GmbH") as page:
        await page.goto("/documents/new")
        faint = []
        for _ in range(30):
            await page.keyboard.press("Tab")
            ring = await page.evaluate(FOCUS_RING)
            if ring["inside_control"]:  # a date field's calendar button: Chromium's own shadow part, with its own ring
                continue
            if ring["style"] == "none" or ring["width"] < 2 or ring["contrast"] < 3:
                faint.append(ring)
        assert not faint, faint
