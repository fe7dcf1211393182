"""Whole-system benchmarks on real processes: MCP against REST, and sending end to end.

`uv run python -m bench mcp`: `create_invoice` + `get_invoice` through the MCP endpoint against
the same two REST calls, same stack, same load, one run: round trips per second, p50, p99, each
path warmed first; the gateway's first MCP round trip (it loads the SDK then) is timed on its own.
`uv run python -m bench send`: N invoices sent end to end (gateway -> invoices -> rendering ->
mailer -> an SMTP server), against the rendering service alone in the same run.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import msgspec
import nats

from bench import render_service
from bench.cpu import CoreSplit, running_on, split_cores, tree_seconds
from bench.infra import Infra
from bench.payloads import CLIENT
from bench.procs import BenchError, ProcessGroup, child_env, wait_http_ok
from bench.pyload import build_request, read_response
from bench.smtp_sink import SmtpSink
from billwire_cli.embedded import free_port
from billwire_shared import subjects
from billwire_shared.contracts.common import Caller
from billwire_shared.contracts.rendering import GetRenderInput, RenderInput
from billwire_shared.subjects import Names

PROFILE = {"company_name": "Bench GmbH", "vat_id": "DE136695976", "email": "billing@bench.example",
           "address": {"street": "Hauptstraße 1", "zip": "10115", "city": "Berlin", "country": "DE"}}
LINES = [{"description": f"Consulting {i}", "quantity": "10", "unit": "h", "unit_price": "150.00", "tax_rate": "19"} for i in range(5)]


@dataclass
class Stack:
    base: str
    key: str
    client_id: str
    pids: dict[str, int]


@contextlib.contextmanager
def stack(infra: Infra, services: tuple[str, ...], cpus: dict[str, frozenset[int]] | None = None, **env: str) -> Iterator[Stack]:
    """`services` up with one account, its profile and one client; `cpus` pins services by name."""
    port = free_port()
    group = ProcessGroup("flows", child_env(
        DATABASE_URL=infra.database_url, NATS_URL=infra.nats_url, BILLWIRE_PREFIX=infra.prefix, PORT=str(port),
        BILLWIRE_RATE_LIMIT_PER_MINUTE="1000000000", BILLWIRE_RATE_LIMIT_PER_ACCOUNT_PER_MINUTE="1000000000", BILLWIRE_LOG_LEVEL="WARNING", **env,
    ))
    base = f"http://127.0.0.1:{port}"
    try:
        out = group.run("invoices create-account", "billwire_invoices", "create-account", "--name", "Bench GmbH")
        key = re.search(r"^API key: (\S+)$", out, re.MULTILINE).group(1)
        for service in services:
            group.start(service, f"billwire_{service}", cpus=(cpus or {}).get(service))
        wait_http_ok(group.children[-1], f"{base}/ready", timeout=120)
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
            http.patch("/api/v1/settings/profile", json=PROFILE).raise_for_status()
            client = http.post("/api/v1/clients", json=CLIENT | {"email": "ap@globex.example"})
            client.raise_for_status()
        yield Stack(base, key, client.json()["id"], {c.name: c.pid for c in group.children})
    finally:
        group.stop()


async def load(round_trip: Callable[[httpx.AsyncClient], Awaitable[None]], base: str, key: str,
               seconds: float, workers: int) -> tuple[float, float, float, int]:
    """Round trips per second, p50 ms, p99 ms, errors, from `workers` concurrent clients."""
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds

    async def worker() -> None:
        nonlocal errors
        async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=30) as http:
            while time.monotonic() < deadline:
                started = time.perf_counter()
                try:
                    await round_trip(http)
                except Exception:
                    errors += 1
                    continue
                latencies.append(time.perf_counter() - started)

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(workers)))
    elapsed = time.monotonic() - started
    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, int(len(latencies) * q))] * 1000 if latencies else float("nan")  # noqa: E731
    return len(latencies) / elapsed, p(0.5), p(0.99), errors


async def first_round_trip(round_trip: Callable[[httpx.AsyncClient], Awaitable[None]], base: str, key: str) -> float:
    """Milliseconds of one round trip on its own."""
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=120) as http:
        started = time.perf_counter()
        await round_trip(http)
        return (time.perf_counter() - started) * 1000


MODERN = "2026-07-28"  # what the official SDK client negotiates (server/discover) by default
LEGACY = "2025-11-25"  # the initialize-handshake era, served statelessly
CLIENT_META = {"io.modelcontextprotocol/protocolVersion": MODERN, "io.modelcontextprotocol/clientInfo": {"name": "bench", "version": "1"},
               "io.modelcontextprotocol/clientCapabilities": {}}


def mcp_call(name: str, arguments: dict, request_id: int, version: str) -> tuple[dict, dict]:
    """A tools/call body and its headers, as the official client sends them at `version`."""
    params: dict = {"name": name, "arguments": arguments}
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json", "MCP-Protocol-Version": version}
    if version == MODERN:
        params["_meta"] = CLIENT_META
        headers |= {"Mcp-Method": "tools/call", "Mcp-Name": name}
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": params}, headers


def run_mcp(quick: bool) -> int:
    seconds, workers = (5, 8) if quick else (15, 16)
    with Infra() as infra, stack(infra, ("invoices", "gateway")) as s:
        body = {"client_id": s.client_id, "lines": LINES}

        async def rest(http: httpx.AsyncClient) -> None:
            created = await http.post("/api/v1/invoices", json=body)
            created.raise_for_status()
            (await http.get(f"/api/v1/invoices/{created.json()['id']}")).raise_for_status()

        def mcp(version: str) -> Callable[[httpx.AsyncClient], Awaitable[None]]:
            async def round_trip(http: httpx.AsyncClient) -> None:
                payload, headers = mcp_call("create_invoice", {"client_id": s.client_id, "lines": LINES}, 1, version)
                result = (await http.post("/api/mcp", json=payload, headers=headers)).json()["result"]
                if result.get("isError"):
                    raise BenchError(str(result))
                payload, headers = mcp_call("get_invoice", {"invoice_id": result["structuredContent"]["result"]["id"]}, 2, version)
                got = (await http.post("/api/mcp", json=payload, headers=headers)).json()
                if got["result"].get("isError"):
                    raise BenchError(str(got))

            return round_trip

        paths = (("REST POST + GET", rest), (f"MCP create + get ({MODERN})", mcp(MODERN)),
                 (f"MCP create + get ({LEGACY})", mcp(LEGACY)))
        first_call = asyncio.run(first_round_trip(mcp(MODERN), s.base, s.key))
        for _, fn in paths:  # warm-up: each path's first calls (and the MCP server's build) stay out of its figures
            asyncio.run(load(fn, s.base, s.key, 2, workers))
        figures = {name: asyncio.run(load(fn, s.base, s.key, seconds, workers)) for name, fn in paths}
    rest_rate, _, rest_p99, _ = figures[paths[0][0]]
    print("\nMCP create_invoice + get_invoice vs the same two REST calls"
          f" ({workers} concurrent clients, {seconds} s each, Python load generator)")
    print(f"{'path':<36}{'round trips/s':>14}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}{'ratio':>8}{'p99 ratio':>10}")
    for name, (rate, p50, p99, errors) in figures.items():
        print(f"{name:<36}{rate:>14.0f}{p50:>10.1f}{p99:>10.1f}{errors:>8}{rate / rest_rate:>8.2f}{p99 / rest_p99:>10.2f}")
    print(f"first MCP round trip of the gateway (loads the MCP SDK and builds the tools, once per process): {first_call:.0f} ms")
    ratio = figures[paths[1][0]][0] / rest_rate if rest_rate else 0.0
    print(f"target: MCP as the official client speaks it ({MODERN}) >= 0.70 of REST: {ratio:.2f} {'PASS' if ratio >= 0.7 else 'MISS'}"
          f"; the {LEGACY} line is the older protocol, served statelessly, for reference")
    return 1 if any(f[3] for f in figures.values()) else 0


@dataclass
class SendRun:
    pages: int
    own_core: bool  # rendering on a core of its own, the rest on the others
    alone: Any  # render_scenarios.Result: every stretch of rendering alone together
    alone_rates: list[float]  # PDFs/s of each stretch, in order
    rate: float
    elapsed: float
    duplicates: int
    missing: int
    busy: float  # percent of the machine
    spent: dict[str, float]  # CPU seconds by process over the sends

    @property
    def ratio(self) -> float:
        return self.rate / self.alone.rate if self.alone.rate else 0.0

    @property
    def label(self) -> str:
        return f"{self.pages} page{'s' if self.pages > 1 else ''}, {'own core' if self.own_core else 'shared'}"


def _send_run(pages: int, count: int, quick: bool, split: CoreSplit | None = None) -> SendRun:
    """`count` sends end to end with `pages` pages, in `rounds` batches, each between two
    stretches of the rendering service alone (up beside the stack, idle while the other works).
    The machine's speed drifts by a third within minutes here; taking turns puts both sides of
    the ratio under the same drift. Each batch starts with an empty pipeline and ends when its
    last e-mail arrived, so the end-to-end side pays the filling and draining `rounds` times.
    With `split`, both rendering services (and their Chromium) run on `split.rendering`; the
    rest of the stack, the load, the SMTP sink and the embedded Postgres and nats-server (when
    the bench starts them) on `split.rest`."""
    rounds, seconds = (2, 3) if quick else (4, 5)
    render_cpus, rest_cpus = (split.rendering, split.rest) if split else (None, None)
    alone: list[Any] = []
    spent: dict[str, float] = {}
    elapsed = 0.0
    with running_on(rest_cpus):  # before the SMTP sink's thread and the embedded servers start: they inherit the cores
        sink = SmtpSink()
        sink.start()
        try:
            # Two databases and prefixes: rendering alone's send requests must not reach the mailer.
            with Infra() as alone_infra, render_service.running(alone_infra, pages, render_cpus) as render_alone, \
                    Infra() as infra, stack(
                        infra, ("invoices", "rendering", "mailer", "gateway"), {"rendering": render_cpus} if split else None,
                        BILLWIRE_SMTP_HOST="127.0.0.1", BILLWIRE_SMTP_PORT=str(sink.port), BILLWIRE_EMAIL_DAILY_QUOTA="0",
                        BILLWIRE_RENDER_PAGES=str(pages),
                        # A browser recycled within the sends takes its renderers' CPU out of the process
                        # tree (they are reparented, not reaped by the service): no recycling.
                        BILLWIRE_RENDER_RESTART_AFTER=str(count * 4)) as s:
                drafts = asyncio.run(_drafts(s, count + 1))
                sample = asyncio.run(_render_input(infra, s, drafts.pop()))  # both sides print the same invoice
                for batch in (drafts[i::rounds] for i in range(rounds)):
                    alone.append(render_alone(seconds, sample))
                    before = tree_seconds(s.pids)
                    elapsed += asyncio.run(_send_batch(s, batch, sink))
                    for name, used in tree_seconds(s.pids).items():
                        spent[name] = spent.get(name, 0.0) + used - before.get(name, 0.0)
                alone.append(render_alone(seconds, sample))
        finally:
            sink.stop()
    machine = spent.pop("machine", 0.0)
    return SendRun(
        pages=pages, own_core=split is not None, alone=render_service.combined(*alone), alone_rates=[r.rate for r in alone],
        rate=count / elapsed, elapsed=elapsed, duplicates=len(sink.message_ids) - len(set(sink.message_ids)),
        missing=count - len(set(sink.message_ids)), busy=machine / elapsed / (os.cpu_count() or 1) * 100, spent=spent,
    )


def run_send(quick: bool) -> int:
    """Three runs. The target's: one page, with rendering (alone and end to end) on a core of
    its own and everything else on the others, as a deployment gives the rendering service a
    CPU share of its own: the ratio says whether the pipeline keeps rendering fed. Postgres and
    nats-server given by the environment are not the bench's to pin. Then, for reference,
    everything sharing every core: with one
    page the other services' CPU competes with the prints; with two, rendering alone takes
    (nearly) the whole machine and the line says what the pipeline costs next to it."""
    count = 200 if quick else 1000
    split = split_cores()
    runs = [_send_run(1, count, quick, split)] if split else []
    runs += [_send_run(pages, count, quick) for pages in (1, 2)]
    print(f"\n{count} invoices sent end to end (HTTP send -> finalize -> render -> SMTP) against rendering alone, same run,"
          f" {os.cpu_count()} cores")
    print(f"(the sends go in {len(runs[0].alone_rates) - 1} batches, each between two stretches of rendering alone;"
          " 'alone range' shows how far the machine's speed drifted)")
    if split:
        external = [name for name, url in (("Postgres", "DATABASE_URL"), ("nats-server", "NATS_URL")) if os.environ.get(url)]
        servers = (f"{' and '.join(external)} from the environment, not the bench's to pin: anywhere" if external
                   else "the embedded Postgres and nats-server too")
        print(f"own core: both rendering services and their Chromium on core(s) {sorted(split.rendering)}; the other services,"
              f" the load and the SMTP sink on {sorted(split.rest)}, {servers}")
    else:
        print("own core: not measured (needs Linux CPU affinity and two cores)")
    print(f"{'rendering':<22}{'alone PDFs/s':>14}{'alone range':>14}{'alone cores':>13}{'e-mails/s':>11}{'total s':>9}"
          f"{'ratio':>7}{'busy %':>8}{'dup':>5}{'miss':>6}")
    for r in runs:
        verdict = f"target >= 0.80 {'PASS' if r.ratio >= 0.8 else 'MISS'}" if r.own_core else "reference"
        cores = r.alone.cpu / r.alone.seconds if r.alone.seconds else 0.0
        drift = f"{min(r.alone_rates):.1f}-{max(r.alone_rates):.1f}"
        print(f"{r.label:<22}{r.alone.rate:>14.1f}{drift:>14}{cores:>13.2f}{r.rate:>11.1f}{r.elapsed:>9.1f}{r.ratio:>7.2f}"
              f"{r.busy:>8.0f}{r.duplicates:>5}{r.missing:>6}    {verdict}")
    names = sorted(runs[-1].spent, key=lambda name: -runs[-1].spent[name])
    print("\nCPU ms per e-mail end to end (rendering alone: " + ", ".join(f"{r.alone.cpu_ms:.0f} ms per PDF ({r.label})" for r in runs) + ")")
    print(f"  {'process':<30}" + "".join(f"{r.label:>22}" for r in runs))
    for name in names:
        print(f"  {name:<30}" + "".join(f"{r.spent.get(name, 0.0) / count * 1000:>22.1f}" for r in runs))
    return 1 if any(r.duplicates or r.missing for r in runs) else 0


async def _drafts(s: Stack, count: int, workers: int = 16) -> list[str]:
    """The invoices to send, as drafts (not measured)."""
    async with httpx.AsyncClient(base_url=s.base, headers={"Authorization": f"Bearer {s.key}"}, timeout=60) as http:
        drafts: list[str] = []
        gate = asyncio.Semaphore(workers)

        async def draft() -> None:
            async with gate:
                response = await http.post("/api/v1/invoices", json={"client_id": s.client_id, "lines": LINES})
                response.raise_for_status()
                drafts.append(response.json()["id"])

        await asyncio.gather(*(draft() for _ in range(count)))
        return drafts


async def _render_input(infra: Infra, s: Stack, draft_id: str) -> RenderInput:
    """What the invoices service hands the rendering service for one of the bench's invoices,
    issued: rendering alone prints it too, so both sides of the ratio print the same document."""
    async with httpx.AsyncClient(base_url=s.base, headers={"Authorization": f"Bearer {s.key}"}, timeout=60) as http:
        (await http.post(f"/api/v1/invoices/{draft_id}/finalize")).raise_for_status()
    conn = await asyncpg.connect(infra.database_url)
    try:
        account_id = await conn.fetchval("SELECT id FROM invoices.accounts")
    finally:
        await conn.close()
    nc = await nats.connect(infra.nats_url)
    try:
        command = GetRenderInput(ctx=Caller(account_id=account_id), id=uuid.UUID(draft_id))
        reply = await nc.request(Names(infra.prefix).subject(subjects.DOCUMENT_RENDER_INPUT), msgspec.json.encode(command), timeout=30)
        return msgspec.json.decode(reply.data, type=RenderInput)
    finally:
        await nc.close()


async def _send_batch(s: Stack, drafts: list[str], sink: SmtpSink, workers: int = 16) -> float:
    """Send every draft over `workers` keep-alive connections; seconds until the last of their
    e-mails arrived. Plain HTTP/1.1 on asyncio streams (as `bench.pyload`): httpx spent about
    3 ms of CPU per request, on the same two cores as the services being measured."""
    expected = len(set(sink.message_ids)) + len(drafts)
    queue = list(reversed(drafts))
    auth = [f"Authorization: Bearer {s.key}"]

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(*build_request(s.base, b"", [])[:2])
        try:
            while queue:
                invoice_id = queue.pop()
                writer.write(build_request(f"{s.base}/api/v1/invoices/{invoice_id}/send", b"{}", auth)[2])
                status = await read_response(reader)
                if status != 202:
                    raise BenchError(f"sending {invoice_id} answered {status}")
        finally:
            writer.close()

    started = time.monotonic()
    await asyncio.gather(*(connection() for _ in range(workers)))
    deadline = started + 900
    while len(set(sink.message_ids)) < expected:
        if time.monotonic() > deadline:
            raise BenchError(f"only {len(sink.message_ids)} of {expected} e-mails arrived")
        await asyncio.sleep(0.05)
    return (sink.last or time.monotonic()) - started
