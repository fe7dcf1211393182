"""The page pool: finding Chromium, a killed browser mid-render, recycling, push-back."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import pytest

from billwire_rendering.browser import BrowserGone, BrowserPool, Saturated
from billwire_rendering.chromium import Chromium, ChromiumNotFound, find_chromium
from billwire_rendering.templates import render_page
from tests.integration.rendering.pdftext import flat, text
from tests.integration.rendering.pools import browser_processes, running_pool
from tests.integration.rendering.samples import make_input, make_lines


def long_page():
    specs = [(f"Line {i}", "1", "h", "10.00", "19") for i in range(1, 201)]  # a few pages: a render that takes a while
    return render_page(make_input(lines=make_lines(specs)))


def test_finding_chromium(tmp_path) -> None:
    system = find_chromium(install=False)
    assert system.origin in ("system", "playwright") and os.access(system.path, os.X_OK)
    assert find_chromium(configured=system.path).origin == "configured"
    with pytest.raises(ChromiumNotFound, match="BILLWIRE_CHROMIUM_EXECUTABLE"):
        find_chromium(configured=str(tmp_path / "no-such-chrome"))
    missing = str(tmp_path / "ms-playwright" / "chrome")
    with pytest.raises(ChromiumNotFound, match="apt-get install -y chromium") as error:
        find_chromium(playwright_path=missing, install=False, system=(str(tmp_path / "nothing"),))
    assert "playwright install chromium" in str(error.value)
    fallback = find_chromium(playwright_path=missing, install=False)
    assert fallback.origin == "system"
    assert fallback.path == "/usr/bin/chromium-headless-shell", "the headless shell (installed by .ci/run) comes first"


async def test_a_browser_killed_mid_render_is_replaced_and_the_pdf_still_delivered() -> None:
    async with running_pool(pages=1, timeout=20) as pool:
        page = long_page()
        assert (await pool.render(page.html, page.footer)).startswith(b"%PDF")
        [victim] = browser_processes()
        render = asyncio.create_task(pool.render(page.html, page.footer))
        while pool._current.in_flight == 0:  # on its page now: inside set_content / pdf()
            await asyncio.sleep(0)
        os.kill(victim.pid, signal.SIGKILL)
        pdf = await asyncio.wait_for(render, 60)
        assert pdf.startswith(b"%PDF") and "Line 200" in flat(text(pdf))
        assert pool.restarts == 1 and pool.ready
        assert [p.pid for p in browser_processes()] != [victim.pid]
        assert (await pool.render(page.html, page.footer)).startswith(b"%PDF")


async def test_renders_waiting_for_a_page_give_up_at_once_when_the_browser_cannot_come_back(tmp_path) -> None:
    """Waiting renders hold their turn (fairness.py): they must not wait out their timeout (here
    50 s) for a page of a browser that is gone, nor for a closed pool's."""
    chromium = tmp_path / "chromium"
    os.symlink(find_chromium(install=False).path, chromium)
    pool = BrowserPool(Chromium(str(chromium), "configured"), pages=1, timeout=20)
    await pool.start()
    try:
        page = long_page()
        renders = [asyncio.create_task(pool.render(page.html, page.footer)) for _ in range(4)]
        while pool._current.in_flight == 0:
            await asyncio.sleep(0)
        os.unlink(chromium)  # uninstalled: no restart can work
        for process in browser_processes():
            process.kill()
        async with asyncio.timeout(30):  # five launch attempts, about 5 s
            results = await asyncio.gather(*renders, return_exceptions=True)
        assert all(isinstance(result, BrowserGone) for result in results[1:]), results
        assert pool.gone and pool.broken
        with pytest.raises(BrowserGone):
            await pool.render(page.html, page.footer)
    finally:
        await pool.close()


async def test_a_closed_pool_sends_its_waiting_renders_away() -> None:
    async with running_pool(pages=1) as pool:
        page = long_page()
        renders = [asyncio.create_task(pool.render(page.html, page.footer)) for _ in range(3)]
        while pool._current.in_flight == 0:
            await asyncio.sleep(0)
        await pool.close()
        async with asyncio.timeout(10):
            results = await asyncio.gather(*renders, return_exceptions=True)
        assert all(isinstance(result, BrowserGone) for result in results[1:]), results


OVERLAP = 0.25  # seconds two browsers must be seen together to count as running at once


async def test_browser_is_recycled_after_k_renders_without_failing_a_render_nor_two_browsers_at_once() -> None:
    earlier = {process.pid for process in browser_processes()}  # an earlier test's browser may still be exiting

    def ours() -> list:
        return [process for process in browser_processes() if process.pid not in earlier]

    async with running_pool(pages=2, restart_after=3) as pool:
        page = render_page(make_input())
        seen: list[tuple[float, set[int]]] = []  # (when, our browsers' pids) every 10 ms
        done = asyncio.Event()

        async def sample_browsers() -> None:
            while not done.is_set():
                pids = {process.pid for process in await asyncio.to_thread(ours)}
                seen.append((time.monotonic(), pids))
                await asyncio.sleep(0.01)

        sampler = asyncio.create_task(sample_browsers())
        pdfs = await asyncio.gather(*(pool.render(page.html, page.footer) for _ in range(10)))
        done.set()
        await sampler
        assert all(pdf.startswith(b"%PDF") for pdf in pdfs)
        assert pool.restarts >= 2 and pool.ready
        # Two browsers side by side for a while is what costs a small server its memory. A closed
        # browser's process may take a moment to leave the process table after close() returned
        # (on a loaded machine, a few samples): only browsers alive together for 250 ms count.
        together = max(len(set.intersection(*[pids for at, pids in seen if start <= at <= start + OVERLAP])) for start, _ in seen)
        assert together == 1, "a recycled browser closes before its successor starts"
        async with asyncio.timeout(10):
            while len(ours()) != 1:  # retired browsers were closed
                await asyncio.sleep(0.1)


async def test_pages_are_renewed_after_p_documents_and_the_pool_keeps_its_size() -> None:
    async with running_pool(pages=2, page_reuse=3) as pool:
        page = render_page(make_input())
        pdfs = await asyncio.gather(*(pool.render(page.html, page.footer) for _ in range(14)))
        assert all(pdf.startswith(b"%PDF") and "Invoice INV-2026-0001" in flat(text(pdf)) for pdf in pdfs)
        assert pool.pages_renewed >= 3 and pool.restarts == 0
        open_pages = lambda: sum(len(context.pages) for context in pool._current.browser.contexts)  # noqa: E731
        for _ in range(400):  # the last renewals, and the worn pages' closing, finish in the background
            if pool._idle.qsize() == 2 and open_pages() == 2:
                break
            await asyncio.sleep(0.05)
        assert pool._idle.qsize() == 2
        assert len(pool._current.browser.contexts) == 2
        assert open_pages() == 2, "worn pages are closed"


async def test_a_pages_renderer_collects_its_garbage_every_g_documents_and_keeps_printing() -> None:
    async with running_pool(pages=2, collect_every=2, page_reuse=5) as pool:
        page = render_page(make_input())
        pdfs = await asyncio.gather(*(pool.render(page.html, page.footer) for _ in range(12)))
        assert all(pdf.startswith(b"%PDF") and "Invoice INV-2026-0001" in flat(text(pdf)) for pdf in pdfs)
        for _ in range(200):  # the last collections finish in the background
            if pool._idle.qsize() == 2:
                break
            await asyncio.sleep(0.05)
        # Each page printed 6 (or 5 and 7, ...): collected at 2 and 4, renewed at 5, collected again after.
        assert pool.collections >= 4 and pool.pages_renewed >= 2 and pool._idle.qsize() == 2


async def test_a_full_queue_pushes_back_instead_of_growing() -> None:
    async with running_pool(pages=1, queue_bound=2) as pool:
        page = long_page()
        results = await asyncio.gather(*(pool.render(page.html, page.footer) for _ in range(6)), return_exceptions=True)
        done = [r for r in results if isinstance(r, bytes)]
        refused = [r for r in results if isinstance(r, Saturated)]
        assert len(done) == 3 and len(refused) == 3, results
        assert pool.queue_depth == 0


async def test_a_hung_render_times_out_and_the_retry_succeeds() -> None:
    async with running_pool(pages=1, timeout=0.05) as pool:
        page = long_page()
        with pytest.raises(Exception, match="could not print"):
            await pool.render(page.html, page.footer)  # 50 ms is too short twice
        await asyncio.sleep(1.0)
        pool.timeout = 20
        assert (await pool.render(page.html, page.footer)).startswith(b"%PDF")
        assert pool.restarts >= 1 and pool.ready
