"""Signing in: the first password is changed at once, a wrong password gives nothing away, the
throttle answers 429 with a clear message, a form without its CSRF token changes nothing."""

from __future__ import annotations

import httpx
from playwright.async_api import expect

from tests.web.conftest import Web


async def test_first_sign_in_asks_for_a_new_password_and_ends_other_sessions(web: Web) -> None:
    _, email, password = await web.new_user("First Sign In GmbH")
    async with web.page() as page, web.page() as other:
        await web.sign_in(other, email, password)
        await web.sign_in(page, email, password)
        await expect(page).to_have_url(f"{web.base}/password")
        await page.goto("/documents")  # nothing else is reachable before the password is the person's own
        await expect(page).to_have_url(f"{web.base}/password")
        await web.shot(page, "change-password")
        await web.choose_password(page, password, "my own long secret")
        await expect(page).to_have_url(f"{web.base}/")
        await expect(page.get_by_role("status")).to_contain_text("Password changed")
        await other.goto("/documents")  # the other browser's session ended with the change
        await expect(other).to_have_url(f"{web.base}/login?next=/documents")


async def test_a_wrong_password_and_an_unknown_email_read_the_same(web: Web) -> None:
    _, email, _ = await web.new_user("Enumeration GmbH", password="the right password")
    async with web.page() as page:
        await web.sign_in(page, email, "the wrong password")
        known = await page.get_by_role("alert").inner_text()
        await web.sign_in(page, "nobody-" + email, "the wrong password")
        unknown = await page.get_by_role("alert").inner_text()
        await web.shot(page, "sign-in-refused")
    assert known == unknown == "E-mail or password is not right."


async def test_sign_in_is_throttled_per_email(web: Web) -> None:
    _, email, _ = await web.new_user("Throttle GmbH", password="the right password")
    async with web.page() as page:
        for _ in range(4):  # the module's gateway allows 4 attempts per e-mail and window
            await web.sign_in(page, email, "guess guess guess")
            await expect(page.get_by_role("alert")).to_have_text("E-mail or password is not right.")
        response = None
        async with page.expect_response(lambda r: r.url.endswith("/login") and r.request.method == "POST") as caught:
            await web.sign_in(page, email, "the right password")
        response = await caught.value
        assert response.status == 429
        await expect(page.get_by_role("alert")).to_contain_text("Too many sign-in attempts")
        await expect(page).to_have_url(f"{web.base}/login")


async def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(web: Web) -> None:
    _, email, password = await web.new_user("CSRF GmbH", password="a fine long password")
    async with web.page() as page:
        await web.sign_in(page, email, password)
        await expect(page).to_have_url(f"{web.base}/")
        cookies = {c["name"]: c["value"] for c in await page.context.cookies()}
    async with httpx.AsyncClient(base_url=web.base, cookies=cookies) as http:
        forged = await http.post("/clients/new", data={"name": "Forged client"})
        assert forged.status_code == 403 and "This form has expired" in forged.text
        wrong = await http.post("/clients/new", data={"name": "Forged client", "_csrf": "not-the-token"})
        assert wrong.status_code == 403
        listing = await http.get("/clients")
        assert listing.status_code == 200 and "Forged client" not in listing.text
        login_forged = await http.post("/login", data={"email": email, "password": password})
        assert login_forged.status_code == 403
