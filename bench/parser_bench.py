"""The offline invoice-text parser: texts per second on one core, and per-text latency.

`uv run python -m bench parser [--quick]`. Pure CPU: no servers are started.
"""

from __future__ import annotations

import statistics
import time
from datetime import date

from billwire_invoices.text.parser import parse_invoice_text

TODAY = date(2026, 4, 10)
CORPUS = {
    "en short": [
        "10h consulting @ 120 EUR",
        "5 licenses at €49.99 each",
        "Consulting $900, net-15",
        "Website redesign flat fee 2.500 €",
    ],
    "en long": [
        "Invoice Acme Corp for 10 hours of consulting at $150/hour, plus 19% VAT, due in 14 days",
        "Bill Globex for 2 weeks of development at our weekly rate of $4,000 and a flat fee of $500 for setup. Net 30.",
        (
            "Please create an invoice for Stark Industries: 3 days of security audit at $2,000/day and a flat $250 "
            "report fee, for the week of 3 March. Due within 30 days."
        ),
        (
            "Invoice Wayne Enterprises: 8 hours design at $100/h, 4 hours development at $120/h and hosting $30, "
            "Q1 2026, payable within 2 weeks, and please send it to my accountant"
        ),
    ],
    "de": [
        "Rechnung an die Müller GmbH: 8 Stunden Beratung zu 95 EUR pro Stunde, zzgl. 19 % MwSt., fällig am 15.03.2027",
        "Rechnung für Schmidt & Partner GbR, 3 Tage Workshop à 1.200 € pro Tag, zahlbar innerhalb von 14 Tagen",
        "Kunde: Weber AG; 2 Tage Schulung à 900 €/Tag; Zahlungsziel 30 Tage; Leistungszeitraum Februar 2026",
        "Reisekosten 180,- € und 6 Stunden Programmierung zu 85 EUR pro Stunde, Wartung im Januar",
    ],
}


def measure(texts: list[str], seconds: float) -> tuple[float, float, float, int]:
    """(texts per second, p50 µs, p99 µs, texts parsed) over about `seconds`."""
    latencies: list[float] = []
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        for text in texts:
            t0 = time.perf_counter()
            parse_invoice_text(text, today=TODAY)
            latencies.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - start
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return len(latencies) / elapsed, statistics.median(latencies) * 1e6, p99 * 1e6, len(latencies)


def run(quick: bool = False) -> int:
    seconds = 1.0 if quick else 3.0
    for texts in CORPUS.values():  # warm up the regex cache and babel's locale data
        for text in texts:
            parse_invoice_text(text, today=TODAY)
    rows = [(name, *measure(texts, seconds)) for name, texts in CORPUS.items()]
    everything = [t for texts in CORPUS.values() for t in texts]
    rows.append(("all", *measure(everything, seconds)))
    print(f"\nparser: offline invoice-text parser, one core, {seconds:.0f} s per row")
    print(f"{'texts':<10} {'texts/s':>9} {'p50 µs':>9} {'p99 µs':>9} {'parsed':>8}")
    for name, rate, p50, p99, count in rows:
        print(f"{name:<10} {rate:>9.0f} {p50:>9.0f} {p99:>9.0f} {count:>8}")
    return 0


if __name__ == "__main__":
    run()
