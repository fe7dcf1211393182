"""Rendering scenarios in this process (a: browser per PDF, c: the page pool) or in two worker
processes (b: WeasyPrint). Each renders the same invoice for a fixed time, closed loop."""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
import time
from dataclasses import dataclass, field

import psutil

SAMPLE_SECONDS = 0.05


@dataclass
class Result:
    name: str
    latencies: list[float] = field(default_factory=list)  # seconds per PDF
    seconds: float = 0.0
    peak_rss: int = 0  # bytes, summed over the processes that render
    errors: int = 0
    note: str = ""
    cpu: float = 0.0  # CPU seconds of the service and its Chromium, where measured

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms(self) -> float:
        return self.cpu / len(self.latencies) * 1000 if self.latencies else float("nan")

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] * 1000


class RssSampler:
    """Peak resident memory of a process and all its descendants (sampled every 50 ms)."""

    def __init__(self, pid: int, extra: list[int] | None = None) -> None:
        self.pids = [pid, *(extra or [])]
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _total(self) -> int:
        total = 0
        for pid in self.pids:
            try:
                root = psutil.Process(pid)
                for proc in [root, *root.children(recursive=True)]:
                    try:
                        total += proc.memory_info().rss
                    except psutil.Error:
                        pass
            except psutil.Error:
                pass
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._total())
            self._stop.wait(SAMPLE_SECONDS)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def sample_page():
    """The one invoice every scenario renders (one page, logo, three lines, two tax rates)."""
    from billwire_rendering.templates import render_page
    from tests.integration.rendering.samples import make_input

    return render_page(make_input())


async def _closed_loop(name: str, workers: int, seconds: float, render) -> Result:
    result = Result(name)
    deadline = time.monotonic() + seconds
    started = time.monotonic()

    async def worker() -> None:
        while time.monotonic() < deadline:
            begun = time.monotonic()
            try:
                await render()
            except Exception:
                result.errors += 1
                continue
            result.latencies.append(time.monotonic() - begun)

    await asyncio.gather(*(worker() for _ in range(workers)))
    result.seconds = time.monotonic() - started
    return result


async def launch_per_pdf(seconds: float) -> Result:
    """(a) The naive way: start Chromium, print, close it, for every PDF."""
    from playwright.async_api import async_playwright

    from billwire_rendering.browser import PDF_MARGIN, _lock_down
    from billwire_rendering.chromium import find_chromium
    from billwire_rendering.chromium_flags import BLACKHOLE_PROXY, LAUNCH_ARGS

    chromium = find_chromium(install=False)
    page_html = sample_page()
    async with async_playwright() as pw:
        async def render() -> bytes:
            browser = await pw.chromium.launch(executable_path=chromium.path, args=LAUNCH_ARGS, proxy=BLACKHOLE_PROXY)
            try:
                _, page = await _lock_down(browser)
                await page.set_content(page_html.html)
                return await page.pdf(format="A4", print_background=True, display_header_footer=True,
                                      header_template="<span></span>", footer_template=page_html.footer, margin=PDF_MARGIN)
            finally:
                await browser.close()

        await render()  # warm-up (disk cache)
        with RssSampler(psutil.Process().pid) as rss:
            result = await _closed_loop("a", 1, seconds, render)
    result.peak_rss, result.note = rss.peak, "1 at a time"
    return result


async def page_pool(pages: int, seconds: float) -> Result:
    """(c) One browser, `pages` locked-down pages, `pages` renders in flight."""
    from billwire_rendering.browser import BrowserPool
    from billwire_rendering.chromium import find_chromium

    page = sample_page()
    pool = BrowserPool(find_chromium(install=False), pages=pages, restart_after=10**9)
    await pool.start()
    try:
        for _ in range(pages * 3):  # warm-up: every page has printed once
            await asyncio.gather(*(pool.render(page.html, page.footer) for _ in range(pages)))
        with RssSampler(psutil.Process().pid) as rss:
            result = await _closed_loop(f"c{pages}", pages, seconds, lambda: pool.render(page.html, page.footer))
    finally:
        await pool.close()
    result.peak_rss, result.note = rss.peak, f"{pages} page{'s' if pages > 1 else ''}"
    return result


def _weasy_worker(html: str, seconds: float, ready, go, out) -> None:
    import weasyprint

    weasyprint.HTML(string=html).write_pdf()  # warm-up: fonts and layout caches
    ready.put(True)
    go.wait()
    latencies = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        begun = time.monotonic()
        weasyprint.HTML(string=html).write_pdf()
        latencies.append(time.monotonic() - begun)
    out.put(latencies)


def weasyprint_two_processes(seconds: float) -> Result:
    """(b) WeasyPrint in two processes (one per core), same HTML."""
    try:
        import weasyprint  # noqa: F401
    except Exception as exc:  # pango missing, or the bench group not installed
        return Result("b", note=f"skipped: {exc!r}"[:120])
    html = sample_page().html
    context = multiprocessing.get_context("spawn")
    ready, out, go = context.Queue(), context.Queue(), context.Event()
    workers = [context.Process(target=_weasy_worker, args=(html, seconds, ready, go, out)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for _ in workers:
        ready.get(timeout=300)
    started = time.monotonic()
    go.set()
    with RssSampler(psutil.Process().pid) as rss:
        latencies = [out.get(timeout=seconds + 300) for _ in workers]
    elapsed = time.monotonic() - started
    for worker in workers:
        worker.join()
    rss.peak -= psutil.Process().memory_info().rss  # the workers, not this process
    return Result("b", [x for part in latencies for x in part], elapsed, rss.peak, note="2 processes")
