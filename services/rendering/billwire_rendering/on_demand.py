"""The browser only while there are PDFs to print: `BILLWIRE_BROWSER_IDLE_CLOSE_SECONDS` > 0.

Why: a small server (the `billwire run` profile) prints a handful of PDFs a day, yet a warm
browser holds about 310 MB all day (Chromium ~190 MB, Playwright's Node.js driver ~120 MB), half
of the whole idle stack. Here the first render launches the driver and Chromium (a BrowserPool,
with its pages, recycling and crash restarts as always), and once no render has come for the
idle period, both are closed and the driver's Node.js process exits. The price: the first PDF
after an idle close waits for the launch (measured through the gateway on a shared 2-core
machine: 0.7 s more than a warm PDF's 0.07 s at load 4, up to 2.8 s at load 9;
`make bench BENCH_ARGS="footprint --quick"`).

- Start-up proves the browser once (launch, print a tiny page, close everything), so a broken
  Chromium fails at start as before, and /ready means "this Chromium prints".
- Renders that arrive while the browser launches share that one launch; a render that arrives
  while it closes waits for the close, then launches a fresh one: it never fails for it.
- A launch that fails (three tries) makes the browser `broken`: the watch (availability.py)
  looks for a Chromium again, and renders answer RENDERER_UNAVAILABLE meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from prometheus_client import Counter

from billwire_rendering.browser import BROWSER_STATE, BrowserGone, BrowserPool
from billwire_rendering.chromium import Chromium

log = logging.getLogger("billwire.rendering.browser")

LAUNCHES = Counter("billwire_browser_launches_total", "Browsers launched on demand, for a render after an idle close")
IDLE_CLOSES = Counter("billwire_browser_idle_closes_total", "Browsers (and their drivers) closed after the idle period")
PROOF_PAGE = "<!doctype html><html><body><p>Billwire</p></body></html>"
LAUNCH_TRIES = 3


class OnDemandBrowser:
    """Renders like a BrowserPool; holds one only from the first render to the end of an idle period."""

    def __init__(self, chromium: Chromium, open_pool: Callable[[], Awaitable[BrowserPool]], idle_close: float) -> None:
        self.chromium, self.open_pool, self.idle_close = chromium, open_pool, idle_close
        self.pool: BrowserPool | None = None
        self.launches = 0
        self.idle_closes = 0
        self.failure = ""  # why the last on-demand launch failed; "" when it did not
        self._lock = asyncio.Lock()  # a launch or a close, one at a time
        self._state = "closed_idle"
        self._active = 0  # renders in this object: waiting for a launch, or in the pool
        self._last_used = time.monotonic()
        self._closing = False
        self._idle_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Prove the browser prints (launch, print a tiny page, close everything); raise if not."""
        pool = await self.open_pool()
        try:
            await pool.render(PROOF_PAGE)
        finally:
            await pool.close()
        self._set_state("closed_idle")
        log.info("the browser printed at start and is closed until the first render (closes after %g s idle)", self.idle_close)

    async def close(self) -> None:
        self._closing = True
        if self._idle_task is not None and self._state != "closing":  # an idle close under way finishes
            self._idle_task.cancel()
        async with self._lock:
            pool, self.pool = self.pool, None
            if pool is not None:
                await pool.close()
        if self._idle_task is not None:  # that of a launch which was under way when close() began
            self._idle_task.cancel()

    # -- what the watch and the renderer ask -----------------------------------------------------

    @property
    def state(self) -> str:
        """What the browser does now: open, launching, closing, closed (idle), restarting or broken."""
        if self.failure:
            return "broken"
        if self._state == "open" and self.pool is not None and not self.pool.ready:
            return "restarting"
        return {"closed_idle": "closed (idle)"}.get(self._state, self._state)

    @property
    def ready(self) -> bool:
        """Ready while it can print: closed (it proved it launches), launching, or open and up."""
        return not self.gone and (self.pool is None or self.pool.ready)

    @property
    def broken(self) -> bool:
        return not self._closing and bool(self.failure or (self.pool is not None and self.pool.broken))

    @property
    def gone(self) -> bool:
        return self._closing or bool(self.failure) or (self.pool is not None and self.pool.gone)

    @property
    def queue_depth(self) -> int:
        return self.pool.queue_depth if self.pool is not None else 0

    def check_available(self) -> None:
        if self.gone:
            raise BrowserGone(self.failure or "the browser stopped and could not be started again")

    async def render(self, html: str, footer: str = "<span></span>") -> bytes:
        self._active += 1  # before any await: an idle close never takes a browser a render counts on
        self._last_used = time.monotonic()
        try:
            pool = self.pool if self.pool is not None else await self._launched()
            return await pool.render(html, footer)
        finally:
            self._active -= 1
            self._last_used = time.monotonic()

    # -- launch and idle close ---------------------------------------------------------------------

    def _set_state(self, state: str) -> None:
        self._state = state
        BROWSER_STATE.state(state)

    async def _launched(self) -> BrowserPool:
        """The open pool: launched now, or by the render that got here first (one launch for all)."""
        async with self._lock:  # also waits out a close in progress
            if self._closing:
                raise BrowserGone("the rendering service is stopping")
            if self.failure:
                raise BrowserGone(self.failure)
            if self.pool is not None:
                return self.pool
            self._set_state("launching")
            started = time.monotonic()
            for attempt in range(1, LAUNCH_TRIES + 1):
                try:
                    self.pool = await self.open_pool()
                    break
                except Exception as exc:
                    log.exception("browser launch %d on demand failed", attempt)
                    if attempt == LAUNCH_TRIES:
                        self.failure = f"the browser could not be launched: {exc!r}"[:300]
                        self._set_state("closed")
                        raise BrowserGone(self.failure) from exc
                    await asyncio.sleep(0.5 * attempt)
            self.launches += 1
            LAUNCHES.inc()
            self._set_state("open")
            log.info("browser launched on demand in %.2f s", time.monotonic() - started)
            self._idle_task = asyncio.get_running_loop().create_task(self._close_when_idle(self.pool))
            return self.pool

    async def _close_when_idle(self, pool: BrowserPool) -> None:
        """Close `pool` and stop its driver once no render has come for `idle_close` seconds."""
        while True:
            quiet = time.monotonic() - self._last_used
            if self._active == 0 and quiet >= self.idle_close:
                async with self._lock:
                    if self.pool is not pool or self._closing:
                        return
                    if self._active == 0:  # checked again: a render may have come while we waited for the lock
                        self.pool = None  # renders from now on wait for the close, then launch anew
                        self._set_state("closing")
                        with contextlib.suppress(Exception):
                            await pool.close()
                        self.idle_closes += 1
                        IDLE_CLOSES.inc()
                        self._set_state("closed_idle")
                        log.info("browser and driver closed after %g s without a render", self.idle_close)
                        return
            await asyncio.sleep(self.idle_close if self._active else max(self.idle_close - quiet, 0.01))
