"""The footprint bench's browser part: what the on-demand browser (`BILLWIRE_BROWSER_IDLE_CLOSE_SECONDS`,
300 in `billwire run`) saves at idle, and what the first PDF after an idle close pays for it.

A draft's PDF is printed on every request (only issued ones are stored), so each timed request
is one render through the gateway, the bus and the rendering service. The first one after
start-up or after an idle close launches Playwright's driver and Chromium; the next ones find
them warm. Timings on a shared machine are indicative: the ratio is the result, never an assertion.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable

import httpx

QUICK_IDLE_CLOSE = 20  # seconds; --quick does not wait out billwire run's 300
WARM_RENDERS = 5


def idle_close_seconds(env: dict[str, str], quick: bool) -> tuple[float, str]:
    """The idle close the bench's stack runs with, and how it came to it (printed with the results)."""
    if "BILLWIRE_BROWSER_IDLE_CLOSE_SECONDS" in os.environ:
        value = float(os.environ["BILLWIRE_BROWSER_IDLE_CLOSE_SECONDS"])
        return value, f"BILLWIRE_BROWSER_IDLE_CLOSE_SECONDS={value:g} from the environment"
    if quick:
        env["BILLWIRE_BROWSER_IDLE_CLOSE_SECONDS"] = str(QUICK_IDLE_CLOSE)
        return QUICK_IDLE_CLOSE, (f"the bench set BILLWIRE_BROWSER_IDLE_CLOSE_SECONDS={QUICK_IDLE_CLOSE} (--quick; "
                                  "`make run` uses 300) so as not to wait 5 minutes for the idle close")
    return 300.0, "`billwire run`'s BILLWIRE_BROWSER_IDLE_CLOSE_SECONDS=300"


def draft_ids(base: str, key: str, count: int) -> list[str]:
    headers, ids = {"Authorization": f"Bearer {key}"}, []
    for n in range(count):
        created = httpx.post(f"{base}/api/v1/invoices", headers=headers, timeout=60, json={
            "client": {"name": f"Latency {n} GmbH", "email": "ap@latency.example",
                       "address": {"street": "Weg 1", "zip": "10115", "city": "Berlin", "country": "DE"}},
            "lines": [{"description": f"Render {n}", "quantity": "1", "unit_price": "100"}],
        })
        created.raise_for_status()
        ids.append(created.json()["id"])
    return ids


def pdf_seconds(base: str, key: str, document_id: str) -> float:
    started = time.monotonic()
    reply = httpx.get(f"{base}/api/v1/invoices/{document_id}/pdf", headers={"Authorization": f"Bearer {key}"}, timeout=90)
    reply.raise_for_status()
    assert reply.content.startswith(b"%PDF"), reply.content[:100]
    return time.monotonic() - started


def cold_then_warm(base: str, key: str) -> tuple[float, float]:
    """Seconds for the first PDF (the browser launches, if it was closed) and the median of the next few."""
    ids = draft_ids(base, key, WARM_RENDERS + 1)
    cold = pdf_seconds(base, key, ids[0])
    return cold, statistics.median(pdf_seconds(base, key, document_id) for document_id in ids[1:])


def wait_for_idle_close(browser_running: Callable[[], bool], idle_close: float) -> float | None:
    """Seconds until no browser process runs (None: it did not close within the idle period + 60 s)."""
    started = time.monotonic()
    while time.monotonic() - started < idle_close + 60:
        if not browser_running():
            return time.monotonic() - started
        time.sleep(1.0)
    return None


def print_latency(rows: list[tuple[str, float, float]]) -> None:
    """rows: (when, first PDF s, warm median s)."""
    print("\nthe first PDF after the browser was closed, beside warm ones (through the gateway; a loaded machine's"
          " seconds, compare the ratio)\n")
    print("| when | first PDF | warm PDF (median of the next 5) | first / warm | extra for the launch |")
    print("|---|---|---|---|---|")
    for when, cold, warm in rows:
        print(f"| {when} | {cold:.2f} s | {warm:.3f} s | {cold / warm:.1f}x | +{cold - warm:.2f} s |")
