"""A service's background loop (outbox publisher, event feed, scheduler...): a task, stopped by cancelling
it and by a flag its loop checks.

The flag is for loops that wait with `asyncio.wait_for` or nats-py's `fetch` (built on it): on
Python 3.11 a cancel that lands just as such a wait ends is lost, and a loop that only expects
`CancelledError` runs on; an invoices replica hung at shutdown that way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any


class BackgroundLoop:
    _task: asyncio.Task | None = None
    stopping: bool = False  # loops run `while not self.stopping`

    def _spawn(self, loop: Coroutine[Any, Any, None], name: str) -> None:
        self.stopping = False
        self._task = asyncio.create_task(loop, name=name)

    async def _halt(self) -> None:
        self.stopping = True
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


class PeriodicLoop(BackgroundLoop):
    """Work every replica does every `interval` seconds (the schedulers): a pass that fails is
    logged, as `failure` says, and the next pass tries again. A subclass names its task and logger
    and writes `run_once`."""

    interval: float
    task_name: str
    log: logging.Logger
    failure: str

    def start(self) -> None:
        self._spawn(self._every(), self.task_name)

    async def stop(self) -> None:
        await self._halt()

    async def run_once(self) -> None:
        raise NotImplementedError

    async def _every(self) -> None:
        while not self.stopping:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                self.log.exception(self.failure)
            await asyncio.sleep(self.interval)
