"""One long-lived, locked-down headless Chromium per replica, with a pool of pages.

- Which Chromium: chromium.py finds it.
- Lock-down (every page): JavaScript off, service workers blocked, every request aborted;
  content arrives only through `set_content` (images and fonts as data: URIs or system fonts).
- Pool: N pages render at once; at most `queue_bound` renders wait for a page, beyond that
  `Saturated` pushes back. Each render has a timeout.
- Fresh pages: after P documents a page is replaced by a new one in the same locked-down
  context. Chromium's CPU for each `set_content` grows with every document the page has held
  (measured: 23 ms per PDF at first, 32 ms after 1,000 on one page); a new page costs about
  50 ms, once.
- Garbage: every G documents a page's renderer collects its garbage (CDP
  `HeapProfiler.collectGarbage`, between two renders). Left to itself, with JavaScript off, it
  collected only near 120 MB, so each page's renderer swung between ~50 and ~120 MB; collected
  every 10 documents it stays near 50-65 MB, for no CPU that a PDF's ~40 ms shows.
- Restarts: after K renders the browser finishes what it has, closes, and a fresh one takes
  over (renders wait for it meanwhile, about half a second each K renders: two browsers side by
  side were ~100 MB more at that moment, enough to break a small server's memory limit); a
  crashed (or hung) browser is replaced and the render in flight retried once. `ready` is false
  while no browser is up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.async_api import (
    Browser,
    BrowserContext,
    CDPSession,
    Page,
    Playwright,
    async_playwright,
)
from playwright.async_api import Error as PlaywrightError
from prometheus_client import Counter, Enum, Gauge, Histogram

from billwire_rendering.chromium import Chromium
from billwire_rendering.chromium_flags import BLACKHOLE_PROXY, DRIVER_ENV, LAUNCH_ARGS

log = logging.getLogger("billwire.rendering.browser")

PDF_MARGIN = {"top": "14mm", "right": "18mm", "bottom": "30mm", "left": "18mm"}

QUEUE_DEPTH = Gauge("billwire_render_queue_depth", "Renders waiting for a page")
IN_FLIGHT = Gauge("billwire_render_in_flight", "Renders on a page now")
RENDER_SECONDS = Histogram(
    "billwire_render_seconds", "Time to print one PDF (page held)", buckets=(0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30)
)
RESTARTS = Counter("billwire_browser_restarts_total", "Browser restarts", ["reason"])
REJECTED = Counter("billwire_render_rejected_total", "Renders refused because the queue was full")
# What the browser is doing; on_demand.py adds launching, closing and closed_idle (see there).
BROWSER_STATE = Enum("billwire_browser_state", "The browser's state", states=[
    "closed", "open", "restarting", "launching", "closing", "closed_idle"])


class Saturated(RuntimeError):
    """Every page is busy and the wait queue is full: come back later."""


class RenderFailed(RuntimeError):
    """The browser could not print this document (after its one retry)."""


class BrowserGone(RenderFailed):
    """The pool closed, or its browser stopped and could not be started again: no page will come."""


@dataclass(eq=False)
class _Generation:
    """One browser process and its pages."""

    number: int
    browser: Browser
    contexts: list[BrowserContext] = field(default_factory=list)
    renders: int = 0
    in_flight: int = 0
    retired: bool = False  # no new renders; closed once the last one is done
    dead: bool = False

    @property
    def usable(self) -> bool:
        return not (self.retired or self.dead)


@dataclass(eq=False)
class _Slot:
    generation: _Generation
    page: Page
    cdp: CDPSession  # the page's own DevTools session: its garbage collection
    printed: int = 0  # documents this page has held


async def _lock_down(browser: Browser) -> tuple[BrowserContext, Page]:
    context = await browser.new_context(java_script_enabled=False, service_workers="block", offline=True)
    await context.route("**/*", lambda route: route.abort())
    page = await context.new_page()
    return context, page


async def _slot(generation: _Generation, page: Page) -> _Slot:
    return _Slot(generation, page, await page.context.new_cdp_session(page))


class BrowserPool:
    def __init__(
        self, chromium: Chromium, *, pages: int = 2, timeout: float = 20.0, restart_after: int = 1000,
        queue_bound: int = 32, fontconfig: Path | None = None, page_reuse: int = 150, collect_every: int = 10,
    ) -> None:
        self.chromium = chromium
        # Chromium's fontconfig file (see fonts.py); None: the system's.
        self.env = {**os.environ, "FONTCONFIG_FILE": str(fontconfig)} if fontconfig else None
        self.pages, self.timeout, self.restart_after, self.queue_bound = pages, timeout, restart_after, queue_bound
        self.page_reuse, self.collect_every = page_reuse, collect_every
        self._pw: Playwright | None = None
        self._current: _Generation | None = None
        self._idle: asyncio.Queue[_Slot] = asyncio.Queue()
        self._restart_lock = asyncio.Lock()
        self._generations = 0
        self._waiting = 0
        self._closing = False
        self._gone = asyncio.Event()  # set when no page will ever come: closed, or every restart failed
        self._background: set[asyncio.Task] = set()
        self.restarts = 0
        self.rendered = 0
        self.pages_renewed = 0
        self.collections = 0

    # -- life cycle --------------------------------------------------------------------------

    async def start(self) -> None:
        # The driver (Node.js) inherits our environment (chromium_flags.DRIVER_ENV says what each
        # value saves); an operator's own value wins.
        for name, value in DRIVER_ENV.items():
            os.environ.setdefault(name, value)
        self._pw = await async_playwright().start()
        log.info("using %s Chromium at %s", self.chromium.origin, self.chromium.path)
        await self._launch()
        BROWSER_STATE.state("open")

    async def close(self) -> None:
        self._closing = True
        self._gone.set()  # renders waiting for a page give up now, not after their timeout
        for task in list(self._background):
            task.cancel()
        generation, self._current = self._current, None
        if generation is not None:
            with contextlib.suppress(Exception):
                await generation.browser.close()
        if self._pw is not None:
            with contextlib.suppress(Exception):
                await self._pw.stop()
        BROWSER_STATE.state("closed")

    @property
    def ready(self) -> bool:
        return self._current is not None and self._current.usable and self._current.browser.is_connected()

    @property
    def broken(self) -> bool:
        """No browser, and none being started: every attempt to start another one failed."""
        return self._current is None and not self._restart_lock.locked() and not self._closing and self._pw is not None

    @property
    def queue_depth(self) -> int:
        return self._waiting

    @property
    def state(self) -> str:
        return "closed" if self._closing else "broken" if self.gone else "open" if self.ready else "restarting"

    @property
    def gone(self) -> bool:
        """No page will come from this pool again: it is closed, or every restart failed."""
        return self._gone.is_set()

    def check_available(self) -> None:
        if self._gone.is_set():
            raise BrowserGone("the browser stopped and could not be started again")

    async def _launch(self) -> _Generation:
        assert self._pw is not None
        browser = await self._pw.chromium.launch(
            executable_path=self.chromium.path, args=LAUNCH_ARGS, headless=True, proxy=BLACKHOLE_PROXY, handle_sigint=False,
            handle_sigterm=False, handle_sighup=False, env=self.env,
        )
        self._generations += 1
        generation = _Generation(self._generations, browser)
        browser.on("disconnected", lambda _: self._on_disconnected(generation))
        slots = []
        for _ in range(self.pages):
            context, page = await _lock_down(browser)
            generation.contexts.append(context)
            slots.append(await _slot(generation, page))
        self._current = generation
        for slot in slots:
            self._idle.put_nowait(slot)
        return generation

    def _on_disconnected(self, generation: _Generation) -> None:
        if generation.dead or generation.retired or self._closing:
            return
        generation.dead = True
        log.warning("browser %d disconnected (crashed or killed); starting another", generation.number)
        self._spawn(self._replace(generation, "crash"))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task) -> None:
        self._background.discard(task)
        if not task.cancelled():
            task.exception()  # a failed restart was logged as it failed; `broken` says the rest

    async def _replace(self, generation: _Generation, reason: str) -> None:
        """Put a fresh browser in place of `generation` (once, however many renders ask)."""
        async with self._restart_lock:
            if self._closing or self._current is not generation:
                return
            self._current = None
            BROWSER_STATE.state("restarting")
            RESTARTS.labels(reason).inc()
            self.restarts += 1
            started = time.monotonic()
            if reason == "recycle":  # the old one first: never two browsers at once
                await self._drained(generation)
                with contextlib.suppress(Exception):
                    await generation.browser.close()
            for attempt in range(1, 6):
                try:
                    await self._launch()
                    break
                except Exception as exc:
                    log.exception("browser launch %d failed", attempt)
                    if attempt == 5:
                        self._gone.set()
                        raise RenderFailed(f"could not restart the browser: {exc!r}") from exc
                    await asyncio.sleep(0.5 * attempt)
            BROWSER_STATE.state("open")
            log.info("browser restarted (%s) in %.2f s", reason, time.monotonic() - started)
        await self._retire(generation)

    async def _drained(self, generation: _Generation) -> None:
        """Until the renders on `generation` are done (each ends within its timeout)."""
        deadline = time.monotonic() + self.timeout + 1.0
        while generation.in_flight and time.monotonic() < deadline:
            await asyncio.sleep(0.01)

    async def _retire(self, generation: _Generation) -> None:
        if generation.in_flight == 0 or generation.dead:
            with contextlib.suppress(Exception):
                await generation.browser.close()

    # -- rendering ---------------------------------------------------------------------------

    async def _acquire(self) -> _Slot:
        while True:
            slot = await self._next_idle()
            if slot.generation.usable:
                return slot
            # A page of a retired or dead browser: drop it.

    async def _next_idle(self) -> _Slot:
        """The next idle page, or BrowserGone as soon as no page will come (a render waiting in a
        pool whose browser is gone would otherwise hold its turn until its timeout)."""
        if self._gone.is_set():
            raise BrowserGone("the browser stopped and could not be started again")
        get = asyncio.ensure_future(self._idle.get())
        gone = asyncio.ensure_future(self._gone.wait())
        try:
            await asyncio.wait((get, gone), return_when=asyncio.FIRST_COMPLETED)
        except BaseException:  # cancelled (the render's timeout): a page got meanwhile goes back
            gone.cancel()
            if get.done() and not get.cancelled():
                self._idle.put_nowait(get.result())
            else:
                get.cancel()
            raise
        gone.cancel()
        if not get.done():
            get.cancel()
        elif not self._gone.is_set():
            return get.result()
        raise BrowserGone("the browser stopped and could not be started again")

    def _release(self, slot: _Slot) -> None:
        generation = slot.generation
        generation.in_flight -= 1
        slot.printed += 1
        if generation.usable and slot.printed >= self.page_reuse:
            self._spawn(self._renew(slot))
        elif generation.usable and self.collect_every and slot.printed % self.collect_every == 0:
            self._spawn(self._collect(slot))
        elif generation.usable:
            self._idle.put_nowait(slot)
        elif generation.retired and generation.in_flight == 0:
            self._spawn(self._retire(generation))

    async def _collect(self, slot: _Slot) -> None:
        """The page's renderer collects its garbage, then the page goes back to work."""
        try:
            await asyncio.wait_for(slot.cdp.send("HeapProfiler.collectGarbage"), self.timeout)
        except (PlaywrightError, TimeoutError) as exc:  # a broken page shows itself at its next render
            if slot.generation.usable:  # else its browser was closed meanwhile (recycled or crashed)
                log.warning("browser %d could not collect a page's garbage: %r", slot.generation.number, exc)
        else:
            self.collections += 1
        if slot.generation.usable:
            self._idle.put_nowait(slot)

    async def _renew(self, slot: _Slot) -> None:
        """A new page in `slot`'s context takes its place; the context holds the lock-down.

        The worn page closes first: opened before it, the new page's renderer ran beside the old one
        for a moment, one more renderer process (30-70 MB) at the stack's peak (issue 24). The slot is
        out of the idle queue meanwhile, so no render waits on a closed page."""
        worn = slot.page
        context = worn.context
        with contextlib.suppress(PlaywrightError):
            await worn.close()
        try:
            fresh = await _slot(slot.generation, await context.new_page())
        except PlaywrightError as exc:
            if slot.generation.usable:  # a browser that cannot open a page is no use: replace it
                log.warning("browser %d could not open a page: %r", slot.generation.number, exc)
                slot.generation.dead = True
                await self._replace(slot.generation, "error")
            return  # else it is going away, and its successor brings pages of its own
        if slot.generation.usable:
            self._idle.put_nowait(fresh)
            self.pages_renewed += 1

    async def render(self, html: str, footer: str = "<span></span>") -> bytes:
        """The PDF of `html`; retried once on a fresh browser when the browser fails under it."""
        if self._waiting >= self.queue_bound + self.pages:
            REJECTED.inc()
            raise Saturated(f"{self._waiting} renders are queued; the limit is {self.queue_bound}")
        self._waiting += 1
        QUEUE_DEPTH.set(max(self._waiting - self.pages, 0))
        try:
            for attempt in (1, 2):
                try:  # a page frees up within a render's time, or a new browser within a launch's
                    slot = await asyncio.wait_for(self._acquire(), self.timeout + 30.0)
                except TimeoutError as exc:
                    raise RenderFailed("no browser page became free in time") from exc
                generation = slot.generation
                generation.in_flight += 1
                IN_FLIGHT.inc()
                started = time.monotonic()
                try:
                    pdf = await asyncio.wait_for(self._print(slot.page, html, footer), self.timeout)
                except (PlaywrightError, TimeoutError) as exc:
                    broken = generation.dead or not generation.browser.is_connected() or isinstance(exc, TimeoutError)
                    log.warning("render attempt %d failed on browser %d: %r", attempt, generation.number, exc)
                    if broken and not generation.dead:
                        generation.dead = True
                        self._spawn(self._replace(generation, "timeout" if isinstance(exc, TimeoutError) else "error"))
                    if attempt == 2 or not broken:
                        raise RenderFailed(f"the browser could not print the document: {exc!r}") from exc
                    continue
                finally:
                    IN_FLIGHT.dec()
                    self._release(slot)
                RENDER_SECONDS.observe(time.monotonic() - started)
                self.rendered += 1
                generation.renders += 1
                if generation.renders >= self.restart_after and generation.usable and self._current is generation:
                    generation.retired = True
                    self._spawn(self._replace(generation, "recycle"))
                return pdf
            raise AssertionError("unreachable")
        finally:
            self._waiting -= 1
            QUEUE_DEPTH.set(max(self._waiting - self.pages, 0))

    @staticmethod
    async def _print(page: Page, html: str, footer: str) -> bytes:
        await page.set_content(html, wait_until="load")
        return await page.pdf(
            format="A4", print_background=True, display_header_footer=True, header_template="<span></span>",
            footer_template=footer, margin=PDF_MARGIN,
        )
