"""E-invoices: XML generated and validated per second (XRechnung UBL, Factur-X CII), and what a
Factur-X PDF (Ghostscript PDF/A-3 + embedded XML) costs over the plain PDF of the same invoice.

`uv run python -m bench einvoice [--quick]`. No servers: the builders and validators in process,
Chromium through the rendering service's page pool (one page), all in the same run.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections.abc import Callable

import msgspec

from billwire_invoices.documents.einvoice import build, validate_xml, warm_up


def _sample():
    from datetime import date
    from decimal import Decimal as D

    from billwire_shared.contracts.common import Period
    from tests.unit.test_einvoice import BUYER, SELLER, document, line

    lines = [line("Consulting", "10", "150"), line("Workshop", "2", "1200", unit="day", discount="10"),
             line("Handbook", "3", "19.99", "7", "pcs"), line("Travel", "1", "86.35", "0", None)]
    doc = document(lines, client=BUYER, discount_rate=D(3), service_date=None,
                   service_period=Period(start=date(2026, 10, 1), end=date(2026, 10, 31)))
    return doc, SELLER


def _rate(work: Callable[[], object], seconds: float) -> tuple[float, float, int]:
    """(per second, p50 ms, count) over about `seconds` of back-to-back calls."""
    latencies: list[float] = []
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        work()
        latencies.append(time.perf_counter() - t0)
    return len(latencies) / (time.perf_counter() - start), statistics.median(latencies) * 1e3, len(latencies)


async def _pdf_costs(doc, seller, rounds: int) -> tuple[float, float, int]:
    """(plain PDF p50 ms, Factur-X PDF p50 ms, bytes added): the same invoice, alternately."""
    from billwire_rendering.browser import BrowserPool
    from billwire_rendering.chromium import find_chromium
    from billwire_rendering.facturx_pdf import facturx_pdf
    from billwire_rendering.templates import render_page
    from billwire_shared.contracts.rendering import RenderInput

    page = render_page(RenderInput(document=doc, seller=seller))
    xml = build(doc, seller, "factur-x")
    pool = BrowserPool(find_chromium(install=False), pages=1, restart_after=10**9)
    await pool.start()
    plain, facturx, added = [], [], 0
    try:
        for _ in range(3):  # warm-up: the page has printed, Ghostscript's files are cached
            await facturx_pdf(await pool.render(page.html, page.footer), xml, title="INV", author="", subject="", lang="en")
        for _ in range(rounds):
            t0 = time.perf_counter()
            pdf = await pool.render(page.html, page.footer)
            t1 = time.perf_counter()
            pdf2 = await pool.render(page.html, page.footer)
            out = await facturx_pdf(pdf2, xml, title="INV", author="", subject="", lang="en")
            t2 = time.perf_counter()
            plain.append(t1 - t0)
            facturx.append(t2 - t1)
            added = len(out) - len(pdf)
    finally:
        await pool.close()
    return statistics.median(plain) * 1e3, statistics.median(facturx) * 1e3, added


def run(quick: bool = False) -> int:
    seconds, rounds = (1.0, 5) if quick else (3.0, 20)
    doc, seller = _sample()
    print("[einvoice] compiling the validators (XSD, EN 16931 schematron) ...", flush=True)
    t0 = time.perf_counter()
    warm_up().result()
    compile_s = time.perf_counter() - t0
    rows = []
    for kind, label in (("xrechnung", "XRechnung (UBL)"), ("factur-x", "Factur-X (CII)")):
        doc_kind = msgspec.structs.replace(doc, export_type=kind)
        xml = build(doc_kind, seller)
        failures = validate_xml(xml, kind)
        blocking = [f for f in failures if f.blocking]
        gen = _rate(lambda d=doc_kind: build(d, seller), seconds)
        both = _rate(lambda d=doc_kind, k=kind: validate_xml(build(d, seller), k), seconds)
        rows.append((label, gen, both, len(xml), len(blocking)))
    print(f"[einvoice] Chromium: plain PDF against Factur-X PDF, {rounds} rounds ...", flush=True)
    try:
        plain_ms, facturx_ms, added = asyncio.run(_pdf_costs(doc, seller, rounds))
    except Exception as exc:  # noqa: BLE001 (no Chromium or Ghostscript here: the XML figures still stand)
        print(f"[einvoice] PDF comparison skipped: {exc}")
        plain_ms = facturx_ms = float("nan")
        added = 0
    print()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"E-invoices, {len(doc.lines)} lines, 3 VAT rates, discount, service period (validators compiled in {compile_s:.1f} s;"
          f" {os.cpu_count()} CPUs, load average {load})")
    print("| format | generated/s | generate p50 | generated+validated/s | p50 | XML bytes | blocking failures |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for label, gen, both, size, blocking in rows:
        print(f"| {label} | {gen[0]:,.0f} | {gen[1]:.2f} ms | {both[0]:,.1f} | {both[1]:.1f} ms | {size:,} | {blocking} |")
    print()
    print("| PDF of the same invoice (p50, same run) | time | extra |")
    print("| --- | ---: | ---: |")
    print(f"| plain (Chromium) | {plain_ms:.0f} ms | |")
    print(f"| Factur-X (Chromium + Ghostscript PDF/A-3 + embedded XML) | {facturx_ms:.0f} ms | +{facturx_ms - plain_ms:.0f} ms, +{added / 1024:.0f} KiB |")
    return 1 if any(r[4] for r in rows) else 0
