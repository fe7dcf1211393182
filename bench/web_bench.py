"""The web app's pages against the REST calls that fetch the same data, with 10,000 documents in the account.

`uv run python -m bench web [--quick]` (`make bench web`). The invoices service and the gateway run as
their own processes; one account gets an issued invoice made through the API, copied in SQL up to
10,000 documents (setup, not measured), and a user who signs in through the login form. Then, for the
overview, the documents list and a document page, and for the REST call each stands beside:
latency p50 / p95 from one sequential client, and throughput from a few concurrent clients, as a
ratio page / REST (targets: p95 <= 100 ms, ratio >= 60 %). Page and REST call take turns (five
slices each), so a change in a shared machine's load falls on both alike. Last, each page's own bytes: its HTML plus
the stylesheet and script it loads (target <= 150 KB). A table, not a test: the machine may be shared.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from dataclasses import dataclass

import asyncpg
import httpx
import nats

from bench.flows import stack
from bench.infra import Infra
from bench.procs import BenchError
from bench.scale_bench import _grow, p50_p95, seed_invoice, sequential_ms
from billwire_shared import subjects
from billwire_shared.bus_client import BusClient
from billwire_shared.contracts.common import Caller
from billwire_shared.contracts.users import CreateUser, UserInput
from billwire_shared.subjects import Names

DOCUMENTS = 10_000
EMAIL, PASSWORD = "bench@bench.example", "the bench user's password"
ASSETS = ("/static/app.css", "/static/app.js")


@dataclass
class Timing:
    p50: float
    p95: float
    per_second: float


def pairs(document_id: str) -> list[tuple[str, str, str]]:
    """(name, page, the REST call fetching its data): the overview's figures have no single REST
    call, the revenue statistics are the nearest."""
    return [
        ("overview", "/", "/api/v1/stats"),
        ("documents list", "/documents", "/api/v1/documents?limit=25"),
        ("document page", f"/documents/{document_id}", f"/api/v1/documents/{document_id}"),
    ]


async def add_user(infra: Infra) -> None:
    """A user of the bench's one account (made on the bus, as the CLI would), with a password of its own."""
    conn = await asyncpg.connect(infra.database_url, server_settings={"search_path": "invoices"})
    try:
        account_id: uuid.UUID = await conn.fetchval("SELECT id FROM accounts LIMIT 1")
    finally:
        await conn.close()
    nc = await nats.connect(infra.nats_url)
    try:
        command = CreateUser(ctx=Caller(account_id=account_id), user=UserInput(email=EMAIL, role="owner", password=PASSWORD))
        await BusClient(nc, Names(infra.prefix), 10).call(subjects.USER_CREATE, command)
    finally:
        await nc.close()


async def signed_in(base: str) -> httpx.AsyncClient:
    """A browser-like client with a session: the login form's CSRF token, then the form posted."""
    http = httpx.AsyncClient(base_url=base, timeout=60)
    form = await http.get("/login")
    token = re.search(r'name="_csrf" value="([^"]+)"', form.text)
    if token is None:
        raise BenchError("the login page has no CSRF field")
    answer = await http.post("/login", data={"email": EMAIL, "password": PASSWORD, "_csrf": token.group(1)})
    if answer.status_code != 303:
        raise BenchError(f"sign-in answered {answer.status_code}")
    return http


SLICES = 5  # page and REST take turns this many times, so a change in the shared machine's load falls on both alike


async def throughput(clients: list[httpx.AsyncClient], path: str, seconds: float) -> tuple[int, float]:
    """(GETs done, seconds taken) by the clients at once, each sending its next request when the last answered."""
    deadline, done = time.monotonic() + seconds, 0

    async def worker(http: httpx.AsyncClient) -> None:
        nonlocal done
        while time.monotonic() < deadline:
            (await http.get(path)).raise_for_status()
            done += 1

    started = time.monotonic()
    await asyncio.gather(*(worker(http) for http in clients))
    return done, time.monotonic() - started


async def side_by_side(pages: list[httpx.AsyncClient], page: str, apis: list[httpx.AsyncClient], rest: str, rounds: int,
                       seconds: float) -> tuple[Timing, Timing]:
    """The page and its REST call measured in turns: latency in SLICES alternating runs of sequential GETs,
    throughput in SLICES alternating slices of `seconds / SLICES` each."""
    times: dict[str, list[float]] = {page: [], rest: []}
    counts: dict[str, list[float]] = {page: [0, 0.0], rest: [0, 0.0]}
    for clients, path in ((pages, page), (apis, rest)):
        (await clients[0].get(path)).raise_for_status()  # one untimed each
    for _ in range(SLICES):
        for clients, path in ((pages, page), (apis, rest)):
            times[path].extend(await sequential_ms(clients[0], path, max(1, rounds // SLICES)))
    for _ in range(SLICES):
        for clients, path in ((pages, page), (apis, rest)):
            done, took = await throughput(clients, path, seconds / SLICES)
            counts[path][0] += done
            counts[path][1] += took
    timings = []
    for path in (page, rest):
        timings.append(Timing(*p50_p95(times[path]), counts[path][0] / counts[path][1]))
    return timings[0], timings[1]


async def own_bytes(http: httpx.AsyncClient, path: str) -> tuple[int, int]:
    """(HTML bytes, HTML + CSS + JS bytes) of one page."""
    html = len((await http.get(path)).content)
    assets = sum([len((await http.get(asset)).content) for asset in ASSETS])
    return html, html + assets


async def measure(base: str, key: str, document_id: str, quick: bool) -> tuple[dict[str, tuple[Timing, Timing]], dict[str, tuple[int, int]]]:
    rounds, seconds, workers = (40, 4.0, 4) if quick else (100, 10.0, 4)
    pages = [await signed_in(base) for _ in range(workers)]
    apis = [httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=60) for _ in range(workers)]
    results, sizes = {}, {}
    try:
        for name, page, rest in pairs(document_id):
            print(f"[web] {name}: {page} against {rest} ...", flush=True)
            results[name] = await side_by_side(pages, page, apis, rest, rounds, seconds)
            sizes[name] = await own_bytes(pages[0], page)
    finally:
        for http in pages + apis:
            await http.aclose()
    return results, sizes


def run(quick: bool = False) -> int:
    # stack() lifts the rate limits (per key and per account): the bench measures the pages.
    with Infra() as infra, stack(infra, ("invoices", "gateway")) as running:
        document_id = asyncio.run(seed_invoice(running.base, running.key, running.client_id))
        print(f"[web] {DOCUMENTS:,} documents in the account ...", flush=True)
        asyncio.run(_grow(infra.database_url, document_id, 1, DOCUMENTS))
        asyncio.run(add_user(infra))
        results, sizes = asyncio.run(measure(running.base, running.key, document_id, quick))
    print(f"\nWeb pages against REST, {DOCUMENTS:,} documents in the account (p50 / p95 ms from one sequential client; "
          "throughput from 4 concurrent clients)")
    print(f"{'page':<16}{'page p50/p95':>16}{'REST p50/p95':>16}{'page/s':>9}{'REST/s':>9}{'ratio':>8}{'p95<=100':>10}{'>=60 %':>8}")
    for name, (page, rest) in results.items():
        ratio = page.per_second / rest.per_second if rest.per_second else 0.0
        print(f"{name:<16}{f'{page.p50:.1f} / {page.p95:.1f}':>16}{f'{rest.p50:.1f} / {rest.p95:.1f}':>16}{page.per_second:>9.1f}"
              f"{rest.per_second:>9.1f}{ratio:>8.0%}{'yes' if page.p95 <= 100 else 'NO':>10}{'yes' if ratio >= 0.6 else 'NO':>8}")
    print(f"\n{'page':<16}{'HTML KB':>10}{'HTML+CSS+JS KB':>16}{'<=150 KB':>10}")
    for name, (html, total) in sizes.items():
        print(f"{name:<16}{html / 1024:>10.1f}{total / 1024:>16.1f}{'yes' if total <= 150 * 1024 else 'NO':>10}")
    return 0
