"""Cost as the account grows: the read calls an agent makes most (lists plain and filtered), timed at 1k and 10k documents.

`uv run python -m bench scale --quick` (1,000 and 10,000 documents; without --quick also 50,000).
One account per size on the invoices service and the gateway: in each, one invoice is made and issued
through the API, then copied in SQL (new ids, numbers, creation times spread over the past; every tenth
one overdue) up to its size (setup, not measured). Each call is then made by one sequential client, its
rounds taking turns over the sizes, so a machine busy with other work slows every size alike and the
growth factor (of the p50, from the smallest size to the largest) stays the account's own; the table
shows p50 / p95 per size. The exports run by size, smallest first, each followed by the peak memory.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from pathlib import Path

import asyncpg
import httpx

from bench.flows import LINES, PROFILE, stack
from bench.infra import Infra
from bench.payloads import CLIENT
from bench.procs import BenchError
from billwire_invoices.accounts.handlers import create_account
from billwire_shared.service import open_schema_pool

CALLS = {
    "GET /invoices?limit=100": "/api/v1/invoices?limit=100",
    "GET /invoices last page (offset)": "/api/v1/invoices?limit=100&offset={last_offset}",
    "GET /invoices?status=overdue": "/api/v1/invoices?status=overdue",
    # a client and a flag: every document matches here (their totals come from running counts, migration 0023)
    "GET /invoices?client_id=… (100)": "/api/v1/invoices?limit=100&client_id={client_id}",
    "GET /invoices?paid=false (100)": "/api/v1/invoices?limit=100&paid=false",
    # orders other than the creation time's
    "GET /invoices?sort=number (100)": "/api/v1/invoices?limit=100&sort=number",
    "GET /invoices?sort=-date (100)": "/api/v1/invoices?limit=100&sort=-date",
    "GET /invoices?sort=-number (100)": "/api/v1/invoices?limit=100&sort=-number",
    "GET /invoices?sort=date (100)": "/api/v1/invoices?limit=100&sort=date",
    "GET /invoices?sort=created_at (100)": "/api/v1/invoices?limit=100&sort=created_at",
    # every type (/documents), in each order
    "GET /documents (100)": "/api/v1/documents?limit=100",
    "GET /documents?sort=created_at (100)": "/api/v1/documents?limit=100&sort=created_at",
    "GET /documents?sort=number (100)": "/api/v1/documents?limit=100&sort=number",
    "GET /documents?sort=-number (100)": "/api/v1/documents?limit=100&sort=-number",
    "GET /documents?sort=date (100)": "/api/v1/documents?limit=100&sort=date",
    "GET /documents?sort=-date (100)": "/api/v1/documents?limit=100&sort=-date",
    "GET /invoices/{id}": "/api/v1/invoices/{seed_id}",
    "GET /stats": "/api/v1/stats",
    "GET /usage": "/api/v1/usage",
}
EXPORT = "GET /invoices/export (µs/row)"
PEAK = "peak RSS MB gateway / invoices"

_COPY = """
INSERT INTO documents (id, account_id, created_at, type, status, number, client_id, issue_date, version, data,
                       updated_at, finalized_at, sent_at, paid_at, cancelled_at, due_date, overdue_at, amount_paid, reminder_level)
SELECT copy.id, d.account_id, copy.created_at, d.type, d.status, d.number || '-' || g, d.client_id,
       d.issue_date, d.version,
       jsonb_set(jsonb_set(jsonb_set(d.data, '{id}', to_jsonb(copy.id::text)), '{number}', to_jsonb(d.number || '-' || g)),
                 '{created_at}', to_jsonb(copy.created_at)),
       d.updated_at, d.finalized_at, d.sent_at, d.paid_at, d.cancelled_at, d.due_date,
       CASE WHEN g % 10 = 0 THEN now() END, d.amount_paid, d.reminder_level
FROM documents d, generate_series($2::int, $3::int) AS g,
     LATERAL (SELECT gen_random_uuid() AS id, now() - g * interval '7 minutes' AS created_at) AS copy
WHERE d.id = $1
"""


async def _grow(database_url: str, seed_id: str, have: int, want: int) -> None:
    """Copy the seed invoice until the account holds `want` documents."""
    conn = await asyncpg.connect(database_url, server_settings={"search_path": "invoices", "TimeZone": "UTC"})
    try:
        await conn.execute(_COPY, uuid.UUID(seed_id), have, want - 1)
        await conn.execute("VACUUM ANALYZE documents")
    finally:
        await conn.close()


async def _account(database_url: str, base: str, size: int) -> tuple[str, str]:
    """Another account (API key, client id) with the profile and client an invoice needs."""
    pool = await open_schema_pool(database_url, "invoices", min_size=1, max_size=1)
    try:
        _, key = await create_account(pool, f"Bench {size:,} GmbH")
    finally:
        await pool.close()
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key.key}"}, timeout=60) as http:
        (await http.patch("/api/v1/settings/profile", json=PROFILE)).raise_for_status()
        client = await http.post("/api/v1/clients", json=CLIENT | {"email": "ap@globex.example"})
        client.raise_for_status()
    return key.key, client.json()["id"]


async def _time_calls(base: str, accounts: dict[int, tuple[str, str, str]], rounds: int) -> dict[int, dict[str, tuple[float, float]]]:
    """(p50, p95) in ms of each call per size, one sequential client; round after round, the sizes take turns."""
    clients = {size: httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=60)
               for size, (key, _, _) in accounts.items()}
    results: dict[int, dict[str, tuple[float, float]]] = {size: {} for size in accounts}
    try:
        for name, template in CALLS.items():
            paths = {size: template.format(last_offset=max(size - 100, 0), seed_id=seed_id, client_id=client_id)
                     for size, (_, seed_id, client_id) in accounts.items()}
            times: dict[int, list[float]] = {size: [] for size in accounts}
            for size, http in clients.items():
                (await http.get(paths[size])).raise_for_status()
            for _ in range(rounds):
                for size, http in clients.items():
                    started = time.perf_counter()
                    response = await http.get(paths[size])
                    times[size].append((time.perf_counter() - started) * 1e3)
                    response.raise_for_status()
            for size, taken in times.items():
                results[size][name] = p50_p95(taken)
    finally:
        for http in clients.values():
            await http.aclose()
    return results


async def _time_exports(base: str, accounts: dict[int, tuple[str, str, str]], pids: dict[str, int], results: dict[int, dict]) -> None:
    for size, (key, _, _) in accounts.items():
        async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=60) as http:
            results[size][EXPORT] = await _time_export(http, size)
        results[size][PEAK] = (_peak_rss_mb(pids["gateway"]), _peak_rss_mb(pids["invoices"]))


def p50_p95(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.95) - 1)]


async def sequential_ms(http: httpx.AsyncClient, path: str, rounds: int) -> list[float]:
    """Milliseconds of `rounds` GETs one after the other."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = await http.get(path)
        times.append((time.perf_counter() - started) * 1e3)
        response.raise_for_status()
    return times


async def _time_export(http: httpx.AsyncClient, size: int, rounds: int = 3) -> tuple[float, float]:
    """(median, slowest) µs per row of the full CSV export of the account's invoices, streamed and dropped."""
    per_row = []
    for _ in range(rounds):
        started = time.perf_counter()
        rows = -1  # the header
        async with http.stream("GET", "/api/v1/invoices/export") as response:
            response.raise_for_status()
            async for chunk in response.aiter_bytes():
                rows += chunk.count(b"\n")
        if rows != size:
            raise BenchError(f"the export gave {rows} rows, expected {size}")
        per_row.append((time.perf_counter() - started) * 1e6 / rows)
    return statistics.median(per_row), max(per_row)


async def seed_invoice(base: str, key: str, client_id: str, with_pdf: bool = False) -> str:
    """One issued invoice, made through the API (its PDF rendered and stored too when asked):
    what the copies are made of."""
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=120) as http:
        created = await http.post("/api/v1/invoices", json={"client_id": client_id, "lines": LINES})
        created.raise_for_status()
        doc_id = created.json()["id"]
        (await http.post(f"/api/v1/invoices/{doc_id}/finalize")).raise_for_status()
        if with_pdf:
            (await http.get(f"/api/v1/invoices/{doc_id}/pdf")).raise_for_status()
    return doc_id


def _peak_rss_mb(pid: int) -> float:
    """The process's peak resident set so far (VmHWM): flat across sizes means the export streams."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run(quick: bool = False) -> int:
    sizes = (1_000, 10_000) if quick else (1_000, 10_000, 50_000)
    rounds = 40 if quick else 100
    with Infra() as infra, stack(infra, ("invoices", "gateway")) as running:
        keys = {sizes[0]: (running.key, running.client_id)}
        for size in sizes[1:]:
            keys[size] = asyncio.run(_account(infra.database_url, running.base, size))
        accounts = {}
        for size, (key, client_id) in keys.items():
            print(f"[scale] {size} documents in an account ...", flush=True)
            seed_id = asyncio.run(seed_invoice(running.base, key, client_id))
            asyncio.run(_grow(infra.database_url, seed_id, 1, size))
            accounts[size] = (key, seed_id, client_id)
        measured = asyncio.run(_time_calls(running.base, accounts, rounds))
        asyncio.run(_time_exports(running.base, accounts, running.pids, measured))
    if not measured:
        raise BenchError("nothing measured")
    print(f"\nCost as the account grows: p50 / p95 ms, one sequential client, {rounds} calls each, the sizes taking turns"
          " (the export: median / slowest µs per row of 3 full exports)")
    header = f"{'call':<38}" + "".join(f"{f'{size:,} docs':>20}" for size in sizes) + f"{'growth p50':>12}"
    print(header)
    for name in [*CALLS, EXPORT, PEAK]:
        cells = "".join(f"{f'{measured[s][name][0]:.1f} / {measured[s][name][1]:.1f}':>20}" for s in sizes)
        growth = measured[sizes[-1]][name][0] / measured[sizes[0]][name][0]
        print(f"{name:<38}{cells}{f'{growth:.2f}x':>12}")
    return 0
