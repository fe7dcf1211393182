"""One recurring scheduler replica as its own process: one tick at the real clock, then a JSON
line with what it made, how long the tick took and the process's peak resident set.

`python -m bench.recurring_replica` (DATABASE_URL, NATS_URL, BILLWIRE_PREFIX from the environment).
"""

from __future__ import annotations

import asyncio
import json
import resource
import time

from billwire_invoices.app import open_pool
from billwire_invoices.lifecycle.handlers import LifecycleHandlers
from billwire_invoices.recurring.scheduler import RecurringScheduler
from billwire_invoices.settings import settings_from_env


def resident_kb() -> int:
    """This process's resident set now, in KiB."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


async def main() -> None:
    settings = settings_from_env()
    pool = await open_pool(settings, min_size=settings.recurring_workers, max_size=settings.recurring_workers + 1)
    try:
        replica = RecurringScheduler(pool, LifecycleHandlers(pool), workers=settings.recurring_workers)
        before = resident_kb()  # the service's code and validators, loaded before any template
        started = time.perf_counter()
        created = await replica.tick()
        seconds = time.perf_counter() - started
    finally:
        await pool.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(json.dumps({"created": created, "seconds": seconds, "peak_rss_kb": peak, "rss_before_kb": before,
                      "workers": replica.workers, "batch": replica.batch}))


if __name__ == "__main__":
    asyncio.run(main())
