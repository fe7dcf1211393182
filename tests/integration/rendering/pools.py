"""A started page pool on the machine's Chromium, for the rendering tests."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from billwire_rendering.browser import BrowserPool, find_chromium


@contextlib.asynccontextmanager
async def running_pool(**options: Any) -> AsyncIterator[BrowserPool]:
    """A BrowserPool with `options`, started, and closed when the block ends (however it ends)."""
    pool = BrowserPool(find_chromium(install=False), **options)
    await pool.start()
    try:
        yield pool
    finally:
        await pool.close()
