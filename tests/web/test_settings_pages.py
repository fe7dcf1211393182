"""Settings pages save and show the change: e-mail templates, payment reminders, bank, defaults
and number series on the profile, saved prompts with labels on "Draft from text". A member may
change these (not users, keys or webhooks); an accountant reads them and is refused a save."""

from __future__ import annotations

import httpx
from playwright.async_api import expect

from tests.web.conftest import Web


async def test_email_templates_and_reminders_save_and_show(web: Web) -> None:
    async with web.signed_in("Templates Web GmbH", role="member") as page:
        await page.goto("/settings/email-templates")
        await expect(page.get_by_label("Subject (Invoice, EN)")).to_have_attribute("placeholder", "{title} {number} – {sender}")
        await page.locator("summary", has_text="Invoice").first.click()
        await page.get_by_label("Subject (Invoice, EN)").fill("Your invoice {number} from us")
        await page.get_by_label("Message (Invoice, EN)").fill("Dear {client},\n\nplease find invoice {number} attached.")
        await page.get_by_role("button", name="Save").click()
        await expect(page.get_by_role("status")).to_have_text("Saved.")
        await expect(page.get_by_label("Subject (Invoice, EN)")).to_have_value("Your invoice {number} from us")
        await web.shot(page, "web-email-templates")

        await page.locator("summary", has_text="Credit note").first.click()
        await page.get_by_label("Subject (Credit note, EN)").fill("Credit {unknown_placeholder}")
        await page.get_by_role("button", name="Save").click()
        await expect(page.get_by_role("alert")).to_contain_text("Please correct the marked fields.")
        await expect(page.locator(".has-error", has=page.get_by_label("Subject (Credit note, EN)"))).to_contain_text("unknown_placeholder")

        await page.goto("/settings/reminders")
        await page.get_by_label("Send payment reminders").check()
        await page.get_by_label("Level 1: days after due").fill("7")
        await page.get_by_label("Level 2: days after due").fill("21")
        await page.get_by_role("button", name="Save").click()
        await expect(page.get_by_role("status")).to_have_text("Saved.")
        await expect(page.get_by_label("Send payment reminders")).to_be_checked()
        await expect(page.get_by_label("Level 2: days after due")).to_have_value("21")
        await page.get_by_label("Level 3: days after due").fill("14")  # not after level 2: refused at its field
        await page.get_by_role("button", name="Save").click()
        await expect(page.get_by_role("alert")).to_be_visible()
        await expect(page.locator("#e-level_3")).to_be_visible()  # the API's levels[2] at the form's third field
        await page.goto("/settings/reminders")
        await expect(page.get_by_label("Level 3: days after due")).to_have_value("")
        await web.shot(page, "web-reminders")
        refused = await page.goto("/settings/webhooks")  # a member has no webhooks, keys or users
        assert refused is not None and refused.status == 403


async def test_profile_bank_defaults_and_number_series_save_and_show(web: Web) -> None:
    async with web.signed_in("Series Web GmbH") as page:
        await page.goto("/settings/profile")
        await page.get_by_label("IBAN").fill("DE89370400440532013000")
        await page.get_by_label("Contact person").fill("Grace Hopper")
        await page.get_by_label("Export type").select_option("factur-x")
        await page.get_by_label("Prices entered as").select_option("gross")
        await page.get_by_label("Invoice", exact=True).fill("RE-{YYYY}-{SEQ:5}")
        await page.locator("[name=series_estimate_yearly_reset]").uncheck()
        await page.get_by_role("button", name="Save").click()
        await expect(page.get_by_role("status")).to_have_text("Saved.")
        await expect(page.get_by_label("Invoice", exact=True)).to_have_value("RE-{YYYY}-{SEQ:5}")
        await expect(page.locator("[name=series_estimate_yearly_reset]")).not_to_be_checked()
        await expect(page.locator("[name=series_invoice_yearly_reset]")).to_be_checked()
        await expect(page.get_by_label("Export type")).to_have_value("factur-x")
        await expect(page.get_by_label("Prices entered as")).to_have_value("gross")
        await expect(page.get_by_label("Contact person")).to_have_value("Grace Hopper")
        await expect(page.get_by_label("IBAN")).to_have_value("DE89370400440532013000")
        await page.get_by_label("Invoice", exact=True).fill("RE-{NOPE}")
        await page.get_by_role("button", name="Save").click()
        await expect(page.locator("#f-series_invoice_pattern")).to_have_attribute("aria-invalid", "true")
        await web.shot(page, "web-profile-series")


async def test_saved_prompts_with_labels_list_filter_and_run(web: Web) -> None:
    async with web.signed_in("Prompts Web GmbH") as page:
        await page.goto("/documents/from-text")
        await page.get_by_label("Prompt", exact=True).fill("Invoice Globex Corp for 10 hours of consulting at €150/hour")
        await page.get_by_label("Labels").fill("retainer, monthly")
        await page.get_by_role("button", name="Save prompt").click()
        await expect(page.get_by_role("status")).to_have_text("Prompt saved.")
        await page.get_by_label("Prompt", exact=True).fill("2 days workshop for Initech at 900 EUR per day")
        await page.get_by_label("Labels").fill("workshop")
        await page.get_by_role("button", name="Save prompt").click()
        prompts = page.locator("#prompts")
        await expect(prompts.locator("li")).to_have_count(2)
        await prompts.get_by_role("link", name="retainer").click()
        await expect(prompts.locator("li")).to_have_count(1)
        await expect(prompts).to_contain_text("Globex")
        await prompts.get_by_role("button", name="Run").click()
        await expect(page.get_by_label("What should the invoice say?")).to_have_value("Invoice Globex Corp for 10 hours of consulting at €150/hour")
        await expect(page.locator("section", has_text="Preview").locator(".totals")).to_contain_text("1,785.00")
        await web.shot(page, "web-from-text-prompts")
        await page.get_by_role("button", name="Save draft").click()
        await expect(page).to_have_url(__import__("re").compile(r"/documents/[0-9a-f-]+/edit$"))


async def test_an_accountant_reads_settings_and_cannot_save_them(web: Web) -> None:
    async with web.signed_in("Accountant Web GmbH", role="accountant") as page:
        for path in ("/settings/profile", "/settings/email-templates", "/settings/reminders"):
            shown = await page.goto(path)
            assert shown is not None and shown.status == 200, path
            await expect(page.get_by_role("button", name="Save")).to_have_count(0)
        nav = page.locator("nav.subnav")
        await expect(nav).not_to_contain_text("Webhooks")
        await expect(nav).not_to_contain_text("Users")
        refused = await page.goto("/documents/from-text")
        assert refused is not None and refused.status == 403
        cookies = {c["name"]: c["value"] for c in await page.context.cookies()}
        await page.goto("/settings/reminders")
        token = await page.locator("input[name=_csrf]").first.input_value()
    async with httpx.AsyncClient(base_url=web.base, cookies=cookies) as http:
        forged = await http.post("/settings/reminders", data={"_csrf": token, "enabled": "on", "level_1": "3"})
        assert forged.status_code == 403
        shown = await http.get("/settings/reminders")
        assert 'name="enabled" id="f-enabled" checked' not in shown.text


async def test_people_and_settings_pages_fit_a_phone_and_speak_german(web: Web) -> None:
    _, email, password = await web.new_user("Phone Settings GmbH", password="the owner's password")
    async with web.page(width=375, height=740) as page:
        await page.goto("/login/forgot")
        assert await page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth") <= 0
        await web.sign_in(page, email, password)
        await page.get_by_role("button", name="Deutsch").click()
        for path, name in (("/settings/users", "web-phone-users"), ("/settings/email-templates", None), ("/settings/reminders", None),
                           ("/settings/webhooks", None), ("/settings/profile", None), ("/documents/from-text", "web-phone-from-text")):
            await page.goto(path)
            overflow = await page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (path, overflow)
            if name:
                await web.shot(page, name)
        await page.goto("/settings/reminders")
        await expect(page.get_by_label("Zahlungserinnerungen senden")).to_be_visible()
        await expect(page.locator("nav.subnav")).to_contain_text("E-Mail-Vorlagen")
        await page.goto("/settings/users")
        await expect(page.get_by_role("button", name="Einladung senden")).to_be_visible()
        await page.goto("/documents/from-text")
        await expect(page.get_by_role("heading", name="Gespeicherte Vorlagen")).to_be_visible()
        await page.keyboard.press("Tab")  # the skip link first: focus is visible
        outline = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none"
