"""A started page pool on the machine's Chromium, and the Chromium processes running, for the rendering tests."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from typing import Any

import psutil

from billwire_rendering.browser import BrowserPool
from billwire_rendering.chromium import find_chromium


@contextlib.asynccontextmanager
async def running_pool(**options: Any) -> AsyncIterator[BrowserPool]:
    """A BrowserPool with `options`, started, and closed when the block ends (however it ends)."""
    pool = BrowserPool(find_chromium(install=False), **options)
    await pool.start()
    try:
        yield pool
    finally:
        await pool.close()


def browser_processes() -> list[psutil.Process]:
    """Our Chromium main processes (renderers and helpers carry --type=...)."""
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            cmdline = child.cmdline()
            if child.status() == psutil.STATUS_ZOMBIE:
                continue  # exited, holding no memory, until its parent reaps it
        except psutil.Error:
            continue
        if cmdline and "chrom" in os.path.basename(cmdline[0]) and not any(a.startswith("--type=") for a in cmdline):
            found.append(child)
    return found
