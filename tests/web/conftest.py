"""The web app in a real browser: the gateway served over HTTP by uvicorn on this run's stack
(invoices, rendering with Chromium, a mailer talking to a real SMTP server), and Playwright's
Chromium driving it. Screenshots of the main pages land in tests/web/screenshots/ (git-ignored)."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest_asyncio
from aiosmtpd.controller import Controller
from playwright.async_api import Browser, Page, async_playwright, expect

from billwire_cli.embedded import free_port
from billwire_mailer.app import MailerService, MailerSettings
from billwire_shared import subjects
from billwire_shared.contracts import users as user_contracts
from billwire_shared.contracts.common import Caller
from tests.integration.mailer.conftest import SmtpSink
from tests.stack import Stack

SCREENSHOTS = Path(__file__).parent / "screenshots"
expect.set_options(timeout=15_000)  # a loaded CI machine renders PDFs and pages slower than a laptop
CHROMIUM = os.environ.get("BILLWIRE_CHROMIUM_EXECUTABLE", "/usr/bin/chromium")


@dataclass
class Web:
    base: str
    stack: Stack
    browser: Browser
    sink: SmtpSink

    async def new_user(self, company: str, role: str = "owner", password: str | None = None) -> tuple[str, str, str]:
        """A new account with a user; (account id, e-mail, password)."""
        account_id, _ = await self.stack.new_account(company)
        email = f"{uuid.uuid4().hex[:10]}@{company.lower().replace(' ', '-')}.example"
        bus = self.stack.gateways[0].state.bus
        created = await bus.call_typed(
            subjects.USER_CREATE, user_contracts.CreateUser(ctx=Caller(account_id=uuid.UUID(account_id)), user=user_contracts.UserInput(email=email, role=role, password=password)),
            user_contracts.NewUser,
        )
        return account_id, email, password or created.password or ""

    @contextlib.asynccontextmanager
    async def page(self, width: int = 1280, height: int = 900) -> AsyncIterator[Page]:
        context = await self.browser.new_context(viewport={"width": width, "height": height}, base_url=self.base)
        context.set_default_timeout(30_000)
        page = await context.new_page()
        errors: list[str] = []
        elsewhere: list[str] = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        # The network only: the browser's own PDF viewer loads chrome:// and chrome-extension:// parts.
        page.on("request", lambda request: elsewhere.append(request.url)
                if request.url.startswith(("http:", "https:", "ws:", "wss:")) and not request.url.startswith(self.base) else None)
        try:
            yield page
        finally:
            await context.close()
        csp = [error for error in errors if "Content Security Policy" in error]
        assert not csp, csp
        assert not elsewhere, f"the page asked another host: {elsewhere}"  # every asset is Billwire's own

    @contextlib.asynccontextmanager
    async def signed_in(self, company: str, role: str = "owner", width: int = 1280, height: int = 900) -> AsyncIterator[Page]:
        """A browser page signed in as a new user of a new account `company`, with a password of their own."""
        _, email, password = await self.new_user(company, role=role, password="a password of one's own")
        async with self.page(width, height) as page:
            await self.sign_in(page, email, password)
            yield page

    async def sign_in(self, page: Page, email: str, password: str) -> None:
        await page.goto("/login")
        await page.get_by_label("E-mail").fill(email)
        await page.get_by_label("Password").fill(password)
        await page.get_by_role("button", name="Sign in").click()

    async def choose_password(self, page: Page, current: str, new: str) -> None:
        """The change-password form filled and sent (after a first sign-in it is the only page there is)."""
        await page.get_by_label("Current password").fill(current)
        await page.get_by_label("New password", exact=True).fill(new)
        await page.get_by_label("Repeat new password").fill(new)
        await page.get_by_role("button", name="Change password").click()

    async def shot(self, page: Page, name: str, full_page: bool = True) -> None:
        SCREENSHOTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def web(stack: Stack, rendering) -> AsyncIterator[Web]:
    sink = SmtpSink()
    smtp_port = free_port()
    relay = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    relay.start()
    mailer_settings = stack.settings(
        MailerSettings, smtp_port=smtp_port, smtp_from="billing@billwire.test", send_retry_delays="0.5,1", send_attempts=3,
        outbox_poll_interval=0.2, db_pool_size=4,  # the machine's Postgres is shared: few connections
    )
    try:
        async with MailerService(mailer_settings).running(), stack.served(web_login_per_email=4, web_login_per_address=1000) as base, async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
            try:
                yield Web(base, stack, browser, sink)
            finally:
                await browser.close()
    finally:
        relay.stop()
