"""Rendering with or without a browser: the service starts either way, and prints PDFs from the
moment a usable Chromium is there.

Without one (none installed, a wrong BILLWIRE_CHROMIUM_EXECUTABLE, a binary that does not start)
every render answers RENDERER_UNAVAILABLE (503) with the reason and the fix, the health reply
says rendering is not ready and why, and the service looks again every
`chromium_recheck_interval` seconds: installing a browser (or fixing the path) brings rendering
up without a restart. Everything else keeps working meanwhile: invoices are made and finalized,
e-invoice XML is served, and a send waits in its retries until its PDF can be printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from billwire_rendering.browser import BrowserGone, BrowserPool
from billwire_rendering.chromium import Chromium, ChromiumNotFound
from billwire_rendering.on_demand import OnDemandBrowser
from billwire_shared.errors import BillwireError, ErrorCode

log = logging.getLogger("billwire.rendering.browser")
STOPPED = (
    "the browser stopped and could not be started again; install Debian's `chromium-headless-shell` or set "
    "BILLWIRE_CHROMIUM_EXECUTABLE to a working Chromium."
)


class BrowserWatch:
    """The browser pool once a Chromium is found and started; until then, the reason there is none."""

    def __init__(
        self, locate: Callable[[], Awaitable[Chromium]],
        open_pool: Callable[[Chromium], Awaitable[BrowserPool | OnDemandBrowser]],
        recheck_interval: float,
    ) -> None:
        self.locate, self.open_pool, self.recheck_interval = locate, open_pool, recheck_interval
        self.pool: BrowserPool | OnDemandBrowser | None = None
        self.reason = "rendering is starting"
        self._watcher: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start the browser if there is one; keep looking (and watching it) in the background."""
        await self._try()
        self._watcher = asyncio.get_running_loop().create_task(self._watch())

    async def close(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        if self.pool is not None:
            await self.pool.close()

    async def _try(self) -> bool:
        try:
            chromium = await self.locate()
        except ChromiumNotFound as exc:
            reason = str(exc)
        else:
            try:
                self.pool = await self.open_pool(chromium)
            except Exception as exc:  # noqa: BLE001 - whatever stops it starting, the fix is the same
                first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
                reason = (
                    f"Chromium at {chromium.path} did not start ({first_line}); install Debian's "
                    "`chromium-headless-shell` or set BILLWIRE_CHROMIUM_EXECUTABLE to a working Chromium."
                )
            else:
                self.reason = ""
                return True
        if reason != self.reason:
            log.warning("rendering has no browser: %s PDFs answer RENDERER_UNAVAILABLE; looking again every %gs",
                        reason, self.recheck_interval)
        self.reason = reason
        return False

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.recheck_interval)
            if self.pool is not None and self.pool.broken:  # e.g. the browser was uninstalled under it
                pool, self.pool = self.pool, None
                self.reason = STOPPED
                log.warning("rendering lost its browser: %s Looking for one again.", self.reason)
                await pool.close()
            if self.pool is None and await self._try():
                log.info("a browser is there now: rendering is available")

    @property
    def ready(self) -> bool:
        return self.pool is not None and self.pool.ready

    @property
    def unready_reason(self) -> str:
        if self.pool is None:
            return f"no browser to print PDFs with: {self.reason}"
        return "" if self.pool.ready else "the browser is restarting"

    @property
    def state(self) -> str:
        """The browser's: open, launching, closing, closed (idle), restarting, broken; or "no browser"."""
        return self.pool.state if self.pool is not None else "no browser"

    @property
    def queue_depth(self) -> int:
        return self.pool.queue_depth if self.pool is not None else 0

    def check_available(self) -> None:
        """RENDERER_UNAVAILABLE now, before a render waits for its turn at a page that cannot come."""
        if self.pool is None or self.pool.gone:
            raise self._unavailable()

    def _unavailable(self) -> BillwireError:
        reason = self.reason if self.pool is None and self.reason else STOPPED
        return BillwireError(
            ErrorCode.RENDERER_UNAVAILABLE,
            f"PDFs cannot be rendered on this server now: {reason} Rendering looks for a browser again every "
            f"{self.recheck_interval:g} seconds; `billwire doctor` checks the setup.",
        )

    async def render(self, html: str, footer: str = "<span></span>") -> bytes:
        pool = self.pool
        if pool is None:
            raise self._unavailable()
        try:
            return await pool.render(html, footer)
        except BrowserGone as exc:
            raise self._unavailable() from exc
