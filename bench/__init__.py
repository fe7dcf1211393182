"""`make bench` / `uv run python -m bench`: Billwire's create-invoice path against a bare baseline.

Two scenarios run one after the other on the same machine, with the same load generator:

- bare:     HTTP -> Litestar (uvicorn) -> asyncpg INSERT -> 201              (`bench.bare_app`)
- billwire: HTTP -> gateway -> NATS request/reply -> invoices service -> Postgres -> reply -> 201

It prints requests/s, p50 and p99 for each and the ratios against targets (PASS/MISS, never
an assertion), and writes the figures to `bench/results/latest.json`.

Load generator: `wrk` (install it with `apt-get install -y wrk`; the bench installs nothing);
without it, a Python asyncio generator runs in its own process instead.

Servers: `DATABASE_URL` / `NATS_URL` when set (server-level URLs; the bench makes and drops its
own database and namespace), embedded Postgres and NATS otherwise.

Settings: `--quick`, `BILLWIRE_BENCH_SECONDS`, `BILLWIRE_BENCH_CONNECTIONS`,
`BILLWIRE_BENCH_LOADGEN=wrk|python`.
"""
