"""An owner adds a member from the users page (first password shown once), the member signs in
and must choose a password, may not manage API keys, and is signed out everywhere when disabled."""

from __future__ import annotations

from playwright.async_api import expect

from tests.web.conftest import Web


async def test_owner_adds_and_disables_a_member(web: Web) -> None:
    member_email = "member@team-web.example"
    async with web.signed_in("Team Web GmbH") as owner, web.page() as member:
        await owner.goto("/settings/users")
        await owner.locator("details", has_text="with a first password").locator("summary").click()
        await owner.locator("#f-email").fill(member_email)
        await owner.get_by_role("button", name="Add user", exact=True).click()
        first_password = await owner.locator("#shown-password").input_value()
        await expect(owner.locator("tbody").first).to_contain_text(member_email)
        await web.shot(owner, "settings-users")

        await web.sign_in(member, member_email, first_password)
        await expect(member).to_have_url(f"{web.base}/password")
        await web.choose_password(member, first_password, "the member's own one")
        await expect(member).to_have_url(f"{web.base}/")
        refused = await member.goto("/settings/keys")
        assert refused is not None and refused.status == 403
        await expect(member.get_by_role("heading", name="Something went wrong")).to_be_visible()

        await owner.goto("/settings/users")
        row = owner.locator("tr", has_text=member_email)
        await row.locator("summary", has_text="Disable").click()
        await row.get_by_role("button", name="Disable").click()
        await expect(owner.locator("tr", has_text=member_email)).to_contain_text("Disabled")
        await member.goto("/documents")
        await expect(member).to_have_url(f"{web.base}/login?next=/documents")
