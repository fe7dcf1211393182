"""Wires the rendering service: settings, the Chromium pool, handlers, consumers, outbox relay."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import nats
from faststream.nats import NatsBroker

from billwire_rendering import fonts
from billwire_rendering.availability import BrowserWatch
from billwire_rendering.browser import BrowserPool, Chromium, find_chromium
from billwire_rendering.handlers import (
    DURABLES,
    InvoicesClient,
    RenderingHandlers,
    register,
)
from billwire_rendering.renderer import Renderer
from billwire_shared.bus import declare_jetstream, nats_servers
from billwire_shared.consumers import ExhaustedWatch
from billwire_shared.outbox import OutboxRelay
from billwire_shared.service import Service, ServiceSettings
from billwire_shared.settings import load_settings

SCHEMA = "rendering"
MIGRATIONS = Path(__file__).parent / "migrations"
log = logging.getLogger("billwire.rendering")


class RenderingSettings(ServiceSettings, kw_only=True, frozen=True):
    # Chromium: this path, else Playwright's own build, else the system's headless shell
    # (/usr/bin/chromium-headless-shell, half the CPU per PDF), else /usr/bin/chromium.
    chromium_executable: str = ""
    # Run `playwright install chromium` when Playwright's build is missing (and downloadable).
    chromium_install: bool = True
    # Without a usable Chromium the service runs anyway (PDFs answer 503 RENDERER_UNAVAILABLE) and
    # looks for one again this often, in seconds.
    chromium_recheck_interval: float = 30.0
    render_pages: int = 2  # pages printing at once (one browser per replica)
    render_timeout: float = 20.0  # seconds for one PDF before the browser is replaced
    render_restart_after: int = 1000  # renders before a fresh browser takes over
    # Documents one page prints before a new page replaces it: Chromium's work per document grows
    # with each one a page has held (about +1 ms CPU per 100).
    render_page_reuse: int = 150
    render_queue: int = 32  # renders that may wait for a page; more are refused (503)
    # TrueType copies of the templates' CFF fonts go here (empty: ~/.cache/billwire/fonts); Chromium
    # embeds those as real fonts, CFF ones as Type 3 drawings three times the size. See fonts.py.
    fonts_dir: str = ""
    convert_fonts: bool = True  # false: Chromium uses the system's fonts as installed (CFF ones as Type 3)
    outbox_poll_interval: float = 1.0
    events_replicas: int = 1
    metrics_port: int = 0  # Prometheus /metrics on this port (0: off)


def settings_from_env(**overrides) -> RenderingSettings:
    return load_settings(RenderingSettings, **overrides)


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


async def _quiet(exc: Exception) -> None:
    log.warning("NATS: %s", exc)


class RenderingService(Service):
    """One replica: a browser with N pages, RPCs in the `rendering` queue group, two durable
    event consumers, and the relay of its outbox."""

    settings: RenderingSettings

    def __init__(self, settings: RenderingSettings) -> None:
        super().__init__(SCHEMA, settings, MIGRATIONS)
        self.watch: BrowserWatch | None = None
        self.renderer: Renderer | None = None
        self.relay: OutboxRelay | None = None
        self.nc: nats.NATS | None = None

    @property
    def browser(self) -> BrowserPool | None:
        """The running browser pool; None while there is no usable Chromium."""
        return self.watch.pool if self.watch is not None else None

    def ready_check(self) -> bool:
        return self.watch is not None and self.watch.ready

    def unready_reason(self) -> str:
        return self.watch.unready_reason if self.watch is not None else "rendering is starting"

    def register(self, broker: NatsBroker, pool: asyncpg.Pool) -> None:
        assert self.watch is not None and self.nc is not None
        client = InvoicesClient(self.nc, self.names, self.settings.rpc_timeout)
        self.renderer = Renderer(pool, self.watch, client.render_input)  # type: ignore[arg-type]  # renders like a pool
        pages = self.settings.render_pages
        register(broker, RenderingHandlers(self.renderer), self.names, self.settings.rpc_concurrency, max(pages * 4, 4))

    async def _relay_connection(self) -> asyncpg.Connection:
        return await asyncpg.connect(self.settings.database_url, server_settings={"search_path": SCHEMA})

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[RenderingService]:
        settings = self.settings
        bundled = await playwright_chromium_path()
        fontconfig = await prepare_fonts(settings)

        async def open_pool(chromium: Chromium) -> BrowserPool:
            pool = BrowserPool(
                chromium, pages=settings.render_pages, timeout=settings.render_timeout,
                restart_after=settings.render_restart_after, queue_bound=settings.render_queue,
                page_reuse=settings.render_page_reuse, fontconfig=fontconfig,
            )
            try:
                await pool.start()
            except BaseException:
                await pool.close()
                raise
            return pool

        self.watch = BrowserWatch(lambda: locate_chromium(settings, bundled), open_pool, settings.chromium_recheck_interval)
        await self.watch.start()
        if settings.metrics_port:
            from prometheus_client import start_http_server

            start_http_server(settings.metrics_port)
        try:
            self.nc = await nats.connect(nats_servers(settings.nats_url), max_reconnect_attempts=-1, error_cb=_quiet)
            try:
                js = self.nc.jetstream(timeout=5)
                exhausted = ExhaustedWatch(self.names, "rendering", DURABLES)
                await declare_jetstream(js, self.names, DURABLES, settings.events_replicas, watch=exhausted)
                async with super().running():
                    self.relay = OutboxRelay(
                        SCHEMA, self._relay_connection, js, self.names, poll_interval=settings.outbox_poll_interval
                    )
                    self.relay.start()
                    exhausted.start(js)
                    try:
                        yield self
                    finally:
                        await self.relay.stop()
                        await exhausted.stop()
            finally:
                await self.nc.drain()
        finally:
            await self.watch.close()


def create_service(settings: RenderingSettings | None = None) -> RenderingService:
    return RenderingService(settings or load_settings(RenderingSettings))
