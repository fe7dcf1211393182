"""The browser on demand (BILLWIRE_BROWSER_IDLE_CLOSE_SECONDS > 0), on the machine's Chromium:
nothing runs until the first render, one launch however many renders wait for it, the browser and
Playwright's Node.js driver exit after the idle period, and the next render launches them again."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from typing import Any

import psutil
import pytest

from billwire_rendering.browser import BrowserGone, BrowserPool
from billwire_rendering.chromium import Chromium, find_chromium
from billwire_rendering.on_demand import OnDemandBrowser
from billwire_rendering.templates import render_page
from tests.integration.rendering.pdftext import flat, text
from tests.integration.rendering.samples import make_input, make_lines
from tests.stack import BUYER, Stack, own_stack, ready_account


def browser_and_driver() -> tuple[list[psutil.Process], list[psutil.Process]]:
    """Chromium processes (all of them: browser, renderers, helpers) and Playwright drivers
    running under this test's own process, zombies left out."""
    chromium: list[psutil.Process] = []
    drivers: list[psutil.Process] = []
    for child in psutil.Process().children(recursive=True):
        try:
            if child.status() == psutil.STATUS_ZOMBIE:
                continue
            cmdline = child.cmdline()
        except psutil.Error:
            continue
        if cmdline and ("chrom" in os.path.basename(cmdline[0]) or "headless_shell" in cmdline[0]):
            chromium.append(child)
        elif "run-driver" in cmdline:
            drivers.append(child)
    return chromium, drivers


def launched_browsers() -> int:
    """Chromium browser processes: those whose parent is no Chromium (the driver, or the shell
    script Debian's headless shell is). A renderer being forked carries the browser's command line
    for a moment, but the browser is its parent."""
    chromium, _ = browser_and_driver()
    pids = {process.pid for process in chromium}
    launched = 0
    for process in chromium:
        with contextlib.suppress(psutil.Error):
            launched += process.ppid() not in pids
    return launched


async def until_exited(timeout: float = 30.0) -> None:
    async with asyncio.timeout(timeout):
        while any(browser_and_driver()):
            await asyncio.sleep(0.05)


async def until_closed(browser: OnDemandBrowser, timeout: float = 30.0) -> None:
    """The idle close done (its processes can exit a moment before `close()` returns) and every process gone."""
    async with asyncio.timeout(timeout):
        while browser.state != "closed (idle)":
            await asyncio.sleep(0.05)
    await until_exited(timeout)


def invoice_page(marker: str) -> Any:
    return render_page(make_input(lines=make_lines([(marker, "1", "h", "10.00", "19")])))


async def printed(browser: OnDemandBrowser, marker: str) -> None:
    page = invoice_page(marker)
    pdf = await browser.render(page.html, page.footer)
    assert pdf.startswith(b"%PDF") and marker in flat(text(pdf))


def opener(chromium: Chromium, opened: list[BrowserPool], pool_class: type[BrowserPool] = BrowserPool, **options: Any):
    async def open_pool() -> BrowserPool:
        pool = pool_class(chromium, **({"pages": 2, "timeout": 20} | options))
        try:
            await pool.start()
        except BaseException:
            await pool.close()
            raise
        opened.append(pool)
        return pool

    return open_pool


@contextlib.asynccontextmanager
async def on_demand(
    idle_close: float, pool_class: type[BrowserPool] = BrowserPool, **options: Any,
) -> AsyncIterator[OnDemandBrowser]:
    chromium = find_chromium(install=False)
    browser = OnDemandBrowser(chromium, opener(chromium, [], pool_class, **options), idle_close)
    await browser.start()
    try:
        yield browser
    finally:
        await browser.close()


@pytest.fixture
async def idle_browser() -> AsyncIterator[OnDemandBrowser]:
    async with on_demand(idle_close=1.0) as browser:
        yield browser


async def test_nothing_runs_until_the_first_render_and_all_of_it_exits_after_the_idle_period(idle_browser) -> None:
    browser = idle_browser
    await until_exited()  # start-up's proof launch closed everything it started
    assert browser.ready and browser.state == "closed (idle)" and browser.launches == 0

    await printed(browser, "First after start")
    chromium, drivers = browser_and_driver()
    assert chromium and len(drivers) == 1 and browser.state == "open" and browser.launches == 1

    await until_closed(browser)  # 1 s idle, then the browser closes and the driver stops
    assert browser.state == "closed (idle)" and browser.idle_closes == 1 and browser.ready

    await printed(browser, "First after the idle close")
    chromium, drivers = browser_and_driver()
    assert chromium and len(drivers) == 1 and browser.launches == 2


async def test_renders_keep_the_browser_open_and_concurrent_ones_share_one_launch() -> None:
    async with on_demand(idle_close=1.5) as browser:
        await until_exited()
        seen: list[tuple[int, int]] = []

        async def sample() -> None:
            while True:
                seen.append((launched_browsers(), len(browser_and_driver()[1])))
                await asyncio.sleep(0.02)

        sampler = asyncio.create_task(sample())
        try:
            await asyncio.gather(*(printed(browser, f"Concurrent {n}") for n in range(6)))
            for n in range(4):  # a render every 0.5 s: never 1.5 s idle, so no close in between
                await asyncio.sleep(0.5)
                await printed(browser, f"Steady {n}")
        finally:
            sampler.cancel()
        assert browser.launches == 1 and browser.idle_closes == 0
        assert max(browsers for browsers, _ in seen) == 1 and max(drivers for _, drivers in seen) == 1, seen


class SlowClose(BrowserPool):
    """A pool whose close takes a while: a render surely arrives while it is under way."""

    closing = asyncio.Event()

    async def close(self) -> None:
        SlowClose.closing.set()
        await asyncio.sleep(0.5)
        await super().close()


async def test_a_render_arriving_while_the_browser_closes_waits_for_the_close_then_relaunches() -> None:
    SlowClose.closing = asyncio.Event()
    async with on_demand(idle_close=0.3, pool_class=SlowClose) as browser:
        SlowClose.closing = asyncio.Event()  # the start-up proof closed one already
        await printed(browser, "Before the close")
        async with asyncio.timeout(15):
            await SlowClose.closing.wait()
        assert browser.state == "closing"
        await printed(browser, "During the close")
        assert browser.launches == 2 and browser.idle_closes == 1 and browser.state == "open"
        assert len(browser_and_driver()[1]) == 1


async def test_a_chromium_that_does_not_start_fails_at_start_up(tmp_path) -> None:
    broken = tmp_path / "chromium"
    broken.write_text("#!/bin/sh\nexit 1\n")
    broken.chmod(0o755)
    chromium = Chromium(str(broken), "configured")
    browser = OnDemandBrowser(chromium, opener(chromium, []), idle_close=1.0)
    with pytest.raises(Exception, match="exit"):
        await browser.start()
    await until_exited()
    with pytest.raises(BrowserGone):
        await OnDemandBrowser(chromium, opener(chromium, []), idle_close=1.0).render("<p>x</p>")


async def test_the_service_is_ready_without_a_browser_running_and_prints_on_demand(pg_admin_url: str, nats_url: str, bus_prefix: str) -> None:
    # A stack of its own: on the shared one, a render an earlier test left queued reached this
    # service and launched its browser between the idle close and the health check.
    gateway = {"rate_limit_per_minute": 100_000, "rate_limit_per_account_per_minute": 100_000}
    async with own_stack(pg_admin_url, nats_url, f"{bus_prefix}_ondemand", {"outbox_poll_interval": 0.2}, gateway) as stack, \
            stack.rendering_service(browser_idle_close_seconds=1.0) as service:
        await until_exited()
        assert service.ready_check() and service.watch is not None and service.watch.state == "closed (idle)"
        api = await ready_account(stack)
        async with asyncio.timeout(30):  # the gateway asks with a 2 s timeout: a loaded machine may miss one
            while (rendering := (await api.get("/ready")).json()["services"]["rendering"]) is None:
                await asyncio.sleep(0.2)
        assert rendering["ready"] is True and rendering["reason"] == "", rendering
        assert rendering["state"] == "browser closed (idle)", rendering
        for round_ in ("first", "after the idle close"):
            created = await api.post("/invoices", json={"client": BUYER, "lines": [
                {"description": f"Work {round_}", "unit_price": "10"}]})
            assert created.status_code == 201, created.text
            pdf = await api.get(f"/invoices/{created.json()['id']}/pdf")
            assert pdf.status_code == 200, pdf.text
            assert f"Work {round_}" in flat(text(pdf.content))
            await until_closed(service.browser)
            assert service.ready_check() and service.resource_state() == "browser closed (idle)"
        assert service.browser.launches == 2 and service.browser.idle_closes == 2


async def test_a_warm_browser_says_so_in_the_health_reply(stack: Stack) -> None:
    async with stack.rendering_service() as service:  # the default: launched at start, kept
        chromium, drivers = browser_and_driver()
        assert chromium and len(drivers) == 1
        assert service.ready_check() and service.resource_state() == "browser open"


async def test_the_launched_browser_is_still_recycled_and_still_closes_when_idle() -> None:
    async with on_demand(idle_close=1.0, restart_after=2) as browser:
        for n in range(5):
            await printed(browser, f"Recycled {n}")
        assert browser.launches == 1 and browser.pool is not None and browser.pool.restarts >= 2
        await until_closed(browser)
        assert browser.idle_closes == 1


async def test_stopping_during_a_launch_leaves_no_process_and_no_idle_watch_behind() -> None:
    chromium = find_chromium(install=False)
    browser = OnDemandBrowser(chromium, opener(chromium, []), idle_close=300)
    render = asyncio.create_task(printed(browser, "Stopped under it"))
    async with asyncio.timeout(10):
        while browser.state != "launching":
            await asyncio.sleep(0)
    await browser.close()
    await asyncio.gather(render, return_exceptions=True)  # printed, or BrowserGone: the service is stopping
    await until_exited()
    assert browser._idle_task is not None  # the launch finished under close() and started its watch
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait_for(browser._idle_task, 5)  # cancelled by close(), not left to sleep out its 300 s
