"""Wires the rendering service on the service base: the Chromium pool (watched, so the service
runs without one), its handlers and their consumers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

import asyncpg
from faststream.nats import NatsBroker

from billwire_rendering import fonts
from billwire_rendering.availability import BrowserWatch
from billwire_rendering.browser import BrowserPool
from billwire_rendering.chromium import Chromium, find_chromium
from billwire_rendering.fairness import FairShare
from billwire_rendering.handlers import DURABLES, InvoicesClient, RenderingHandlers, register
from billwire_rendering.on_demand import OnDemandBrowser
from billwire_rendering.renderer import Renderer
from billwire_rendering.settings import RenderingSettings
from billwire_shared.service import Service
from billwire_shared.settings import load_settings

SCHEMA = "rendering"
MIGRATIONS = Path(__file__).parent / "migrations"
log = logging.getLogger("billwire.rendering")


async def playwright_chromium_path() -> str:
    """Where Playwright's own Chromium build is (or would be) installed."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        return pw.chromium.executable_path


async def locate_chromium(settings: RenderingSettings, bundled: str | None = None) -> Chromium:
    """Find the browser (may run `playwright install`, so off the event loop)."""
    bundled = bundled if bundled is not None else await playwright_chromium_path()
    return await asyncio.to_thread(find_chromium, settings.chromium_executable, bundled, settings.chromium_install)


async def prepare_fonts(settings: RenderingSettings) -> Path | None:
    """Chromium's fontconfig file with TrueType copies of the CFF fonts (converted once, off the
    event loop); without it (turned off, or it failed) PDFs still print, only larger."""
    if not settings.convert_fonts:
        return None
    directory = Path(settings.fonts_dir) if settings.fonts_dir else fonts.default_dir()
    try:
        return await asyncio.to_thread(fonts.prepare, directory)
    except Exception:
        log.exception("could not prepare TrueType fonts in %s; Chromium uses the system's", directory)
        return None


class RenderingService(Service):
    """One replica: a browser with N pages, RPCs in the `rendering` queue group, two durable
    event consumers, and the publisher of its outbox."""

    settings: RenderingSettings

    def __init__(self, settings: RenderingSettings) -> None:
        super().__init__(SCHEMA, settings, MIGRATIONS, DURABLES)
        self.watch: BrowserWatch | None = None
        self.renderer: Renderer | None = None

    @property
    def browser(self) -> BrowserPool | OnDemandBrowser | None:
        """The running browser pool; None while there is no usable Chromium."""
        return self.watch.pool if self.watch is not None else None

    def ready_check(self) -> bool:
        return self.watch is not None and self.watch.ready

    def unready_reason(self) -> str:
        return self.watch.unready_reason if self.watch is not None else "rendering is starting"

    def resource_state(self) -> str:
        return f"browser {self.watch.state}" if self.watch is not None else "browser not yet started"

    async def open_resources(self, stack: contextlib.AsyncExitStack) -> None:
        settings = self.settings
        bundled = await playwright_chromium_path()
        fontconfig = await prepare_fonts(settings)

        async def open_pool(chromium: Chromium) -> BrowserPool:
            """A started pool: the browser, warm, until the service stops (or its idle close)."""
            pool = BrowserPool(
                chromium, pages=settings.render_pages, timeout=settings.render_timeout,
                restart_after=settings.render_restart_after, queue_bound=settings.render_queue,
                page_reuse=settings.render_page_reuse, collect_every=settings.render_collect_every, fontconfig=fontconfig,
            )
            try:
                await pool.start()
            except BaseException:
                await pool.close()
                raise
            return pool

        async def open_browser(chromium: Chromium) -> BrowserPool | OnDemandBrowser:
            if settings.browser_idle_close_seconds <= 0:
                return await open_pool(chromium)
            browser = OnDemandBrowser(chromium, lambda: open_pool(chromium), settings.browser_idle_close_seconds)
            await browser.start()  # proves it prints, then closes it until the first render
            return browser

        self.watch = BrowserWatch(lambda: locate_chromium(settings, bundled), open_browser, settings.chromium_recheck_interval)
        await self.watch.start()
        stack.push_async_callback(self.watch.close)

    def register(self, broker: NatsBroker, pool: asyncpg.Pool) -> None:
        assert self.watch is not None and self.bus is not None
        client = InvoicesClient(self.bus)
        settings = self.settings
        share = FairShare(
            settings.render_pages, per_account=settings.render_account_in_flight, large_pages=settings.render_large_pages,
            queue_bound=settings.render_queue,
        )
        self.renderer = Renderer(  # the watch renders like a pool
            pool, self.watch, client.render_input, share=share, max_pages=settings.render_max_pages,  # type: ignore[arg-type]
            recent_pdf_bytes=settings.render_recent_pdfs_mb * 1024 * 1024,
        )
        pages = settings.render_pages
        register(broker, RenderingHandlers(self.renderer), self.names, self.settings.rpc_concurrency, max(pages * 4, 4))


def create_service(settings: RenderingSettings | None = None) -> RenderingService:
    return RenderingService(settings or load_settings(RenderingSettings))
