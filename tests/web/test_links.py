"""One-time links end to end: an owner invites someone (the e-mail arrives at the SMTP server,
the link opens the join page, the new user has the role's limits, the link works once); a
"Forgot password?" reset (the same answer for an unknown e-mail, the link works once, every
older session ends); an owner's reset link; a withdrawn invitation."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re

from playwright.async_api import expect

from tests.web.conftest import Web

LINK = re.compile(r"https?://\S+/login/(?:invite|reset)/[A-Za-z0-9_-]+")


async def mail_to(web: Web, address: str, count: int = 1) -> email.message.EmailMessage:
    """The `count`-th e-mail that reached the SMTP server for `address`."""
    async with asyncio.timeout(30):
        while True:
            found = [m for m in web.sink.received if address in m.rcpt_tos]
            if len(found) >= count:
                return email.message_from_bytes(found[count - 1].content, policy=email.policy.SMTP)
            await asyncio.sleep(0.1)


def link_in(mail: email.message.EmailMessage) -> str:
    body = mail.get_body(("plain",)).get_content()
    found = LINK.search(body)
    assert found, body
    return found.group(0)


async def test_an_invited_accountant_joins_by_the_emailed_link_once(web: Web) -> None:
    invitee = "accountant@invite-web.example"
    async with web.signed_in("Invite Web GmbH") as owner, web.page() as guest:
        await owner.goto("/settings/users")
        await owner.locator("#i-email").fill(invitee)
        await owner.locator("#i-role").select_option("accountant")
        await owner.locator("#i-language").select_option("en")
        await owner.get_by_role("button", name="Send invitation").click()
        shown = await owner.locator("#shown-link").input_value()
        await expect(owner.locator("#invitations")).to_contain_text(invitee)
        await expect(owner.locator("#invitations")).to_contain_text("Pending")
        await web.shot(owner, "web-invite")

        mail = await mail_to(web, invitee)
        assert mail["Subject"] == "You are invited to Invite Web GmbH on Billwire"
        link = link_in(mail)
        assert link == shown and link.startswith(web.base)

        await guest.goto(link)
        await expect(guest.get_by_role("heading", name="Join the account")).to_be_visible()
        await expect(guest.locator(".auth-card")).to_contain_text("Invite Web GmbH")
        await guest.get_by_label("Your name").fill("Ada Accountant")
        await guest.get_by_label("Password", exact=True).fill(invitee)  # the server's rule, at its field
        await guest.get_by_label("Repeat password").fill(invitee)
        await guest.get_by_role("button", name="Join").click()
        await expect(guest.locator("#e-new_password")).to_contain_text("must not be the e-mail address")
        await web.shot(guest, "web-invite-join-error")
        await guest.get_by_label("Password", exact=True).fill("the accountant's secret")
        await guest.get_by_label("Repeat password").fill("the accountant's secret")
        await guest.get_by_role("button", name="Join").click()
        await expect(guest).to_have_url(f"{web.base}/")
        await expect(guest.get_by_role("status")).to_contain_text("You have joined")

        # The accountant reads but changes nothing, and has no users, keys or webhooks pages.
        refused = await guest.goto("/settings/users")
        assert refused is not None and refused.status == 403
        for path in ("/settings/keys", "/settings/webhooks"):
            refused = await guest.goto(path)
            assert refused is not None and refused.status == 403, path
        listing = await guest.goto("/documents")
        assert listing is not None and listing.status == 200

        # Used once: the same link now says so, styled, and makes no second user.
        async with web.page() as again:
            answer = await again.goto(link)
            assert answer is not None and answer.status == 410
            await expect(again.get_by_role("heading", name="This link cannot be used")).to_be_visible()
            await expect(again.get_by_role("status")).to_contain_text("already been used")
            await web.shot(again, "web-link-used")

        await owner.goto("/settings/users")
        await expect(owner.locator("tr", has_text=invitee).first).to_contain_text("accountant")
        await expect(owner.locator("#invitations")).to_contain_text("Accepted")

    async with web.page() as fresh:  # the new user signs in with their own password
        await web.sign_in(fresh, invitee, "the accountant's secret")
        await expect(fresh).to_have_url(f"{web.base}/")


async def test_a_withdrawn_invitation_cannot_be_used(web: Web) -> None:
    invitee = "member@withdraw-web.example"
    async with web.signed_in("Withdraw Web GmbH") as owner, web.page() as guest:
        await owner.goto("/settings/users")
        await owner.locator("#i-email").fill(invitee)
        await owner.get_by_role("button", name="Send invitation").click()
        link = await owner.locator("#shown-link").input_value()
        await owner.locator("#invitations tr", has_text=invitee).get_by_role("button", name="Withdraw").click()
        await expect(owner.locator("#invitations")).to_contain_text("Withdrawn")
        answer = await guest.goto(link)
        assert answer is not None and answer.status == 410
        await expect(guest.get_by_role("status")).to_contain_text("withdrawn")


async def test_forgot_password_link_works_once_and_ends_every_session(web: Web) -> None:
    _, user_email, password = await web.new_user("Reset Web GmbH", password="the old password")
    async with web.page() as old, web.page() as person:
        await web.sign_in(old, user_email, password)
        await expect(old).to_have_url(f"{web.base}/")

        await person.goto("/login")
        await person.get_by_role("link", name="Forgot password?").click()
        await person.get_by_label("E-mail").fill(user_email)
        await person.get_by_role("button", name="Send link").click()
        known = await person.get_by_role("status").inner_text()
        await web.shot(person, "web-forgot-password")
        await person.goto("/login/forgot")
        await person.get_by_label("E-mail").fill("nobody-" + user_email)
        await person.get_by_role("button", name="Send link").click()
        unknown = await person.get_by_role("status").inner_text()
        assert known == unknown and "If this e-mail belongs to a user" in known

        mail = await mail_to(web, user_email)
        assert mail["Subject"] == "Reset your Billwire password"
        link = link_in(mail)
        await person.goto(link)
        await expect(person.get_by_role("heading", name="Choose a new password")).to_be_visible()
        await person.get_by_label("New password", exact=True).fill("the brand new password")
        await person.get_by_label("Repeat new password").fill("the brand new password")
        await web.shot(person, "web-reset-password")
        await person.get_by_role("button", name="Set password").click()
        await expect(person).to_have_url(f"{web.base}/")
        await expect(person.get_by_role("status")).to_contain_text("Every other session has been signed out")

        await old.goto("/documents")  # the session from before the reset is over
        await expect(old).to_have_url(f"{web.base}/login?next=/documents")
        answer = await old.goto(link)  # and the link worked once
        assert answer is not None and answer.status == 410
        await expect(old.get_by_role("status")).to_contain_text("already been used")

        await web.sign_in(old, user_email, password)
        await expect(old.get_by_role("alert")).to_have_text("E-mail or password is not right.")
    assert not [m for m in web.sink.received if any("nobody-" in r for r in m.rcpt_tos)]


async def test_an_owner_sends_a_reset_link_from_the_users_page(web: Web) -> None:
    account_id, owner_email, owner_password = await web.new_user("Owner Reset GmbH", password="the owner's password")
    member_email = "member@owner-reset.example"
    async with web.page() as owner:
        await web.sign_in(owner, owner_email, owner_password)
        await owner.goto("/settings/users")
        await owner.locator("details", has_text="with a first password").locator("summary").click()
        await owner.locator("#f-email").fill(member_email)
        await owner.get_by_role("button", name="Add user", exact=True).click()
        await owner.locator("tr", has_text=member_email).get_by_role("button", name="Send reset link").click()
        shown = await owner.locator("#shown-link").input_value()
    mail = await mail_to(web, member_email)
    assert link_in(mail) == shown
    async with web.page() as member:
        await member.goto(shown)
        await member.get_by_label("New password", exact=True).fill("the member's new password")
        await member.get_by_label("Repeat new password").fill("the member's new password")
        await member.get_by_role("button", name="Set password").click()
        await expect(member).to_have_url(f"{web.base}/")


async def test_an_expired_link_says_so_and_changes_nothing(web: Web) -> None:
    _, user_email, password = await web.new_user("Expiry Web GmbH", password="the kept password")
    async with web.page() as person:
        await person.goto("/login/forgot")
        await person.get_by_label("E-mail").fill(user_email)
        await person.get_by_role("button", name="Send link").click()
        await expect(person.get_by_role("status")).to_be_visible()
        link = link_in(await mail_to(web, user_email))
        assert await person.goto(link) is not None
        await expect(person.get_by_role("heading", name="Choose a new password")).to_be_visible()
        # The time a link has (BILLWIRE_PASSWORD_RESET_VALID_MINUTES) runs out: its row says so.
        assert web.stack.invoices.pool is not None
        await web.stack.invoices.pool.execute(
            "UPDATE user_links SET expires_at = now() - interval '1 second' WHERE email = $1 AND purpose = 'reset'", user_email,
        )
        await person.get_by_label("New password", exact=True).fill("a password too late")
        await person.get_by_label("Repeat new password").fill("a password too late")
        await person.get_by_role("button", name="Set password").click()
        await expect(person.get_by_role("status")).to_contain_text("It has expired.")
        await web.shot(person, "web-link-expired")
        unknown = await person.goto("/login/reset/not-a-token-we-made")
        assert unknown is not None and unknown.status == 404
        await expect(person.get_by_role("status")).to_contain_text("not a link we know")
        await web.sign_in(person, user_email, password)  # the password stayed as it was
        await expect(person).to_have_url(f"{web.base}/")


async def test_forgot_password_is_throttled_per_email(web: Web) -> None:
    _, user_email, _ = await web.new_user("Forgot Throttle GmbH", password="the right password")
    async with web.page() as person:
        for _ in range(4):  # the module's gateway allows 4 attempts per e-mail and window
            await person.goto("/login/forgot")
            await person.get_by_label("E-mail").fill(user_email)
            await person.get_by_role("button", name="Send link").click()
            await expect(person.get_by_role("status")).to_contain_text("If this e-mail belongs to a user")
        await person.goto("/login/forgot")
        await person.get_by_label("E-mail").fill(user_email)
        async with person.expect_response(lambda r: r.url.endswith("/login/forgot") and r.request.method == "POST") as caught:
            await person.get_by_role("button", name="Send link").click()
        assert (await caught.value).status == 429
        await expect(person.get_by_role("alert")).to_contain_text("Too many attempts")
    await mail_to(web, user_email, 4)  # four links went out, the refused fifth asked for none
    await asyncio.sleep(1.0)
    assert len([m for m in web.sink.received if user_email in m.rcpt_tos]) == 4
