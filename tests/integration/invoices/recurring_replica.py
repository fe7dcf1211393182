"""A recurring scheduler replica as its own process, with its clock fixed at argv[1] (YYYY-MM-DD),
ticking in small batches until killed: what the SIGKILL test kills mid-run.

    python -m tests.integration.invoices.recurring_replica 2042-01-01 [batch]
"""

from __future__ import annotations

import asyncio
import sys
from datetime import date

from billwire_invoices.app import open_pool
from billwire_invoices.lifecycle.handlers import LifecycleHandlers
from billwire_invoices.recurring.scheduler import RecurringScheduler
from billwire_invoices.settings import settings_from_env
from tests.integration.invoices.recurring_support import at


async def main(day: date, batch: int) -> None:
    pool = await open_pool(settings_from_env(), min_size=1, max_size=2)
    replica = RecurringScheduler(pool, LifecycleHandlers(pool), clock=lambda: at(day), batch=batch)
    print("replica ready", flush=True)
    while True:
        await replica.tick()
        await asyncio.sleep(0.05)


if __name__ == "__main__":
    asyncio.run(main(date.fromisoformat(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 3))
