"""What `billwire run` sets for one machine: the README's `small` profile (one replica of everything
on a server of 1-2 cores and about 1 GB), for whatever the environment leaves unset.

Why: with the services' defaults (sized for several replicas on a few cores) the pools grew under
a stream of sends to 48 Postgres connections, a backend process each, and the mailer handed 16
e-mails to the relay at once; on one or two cores those only queue inside Postgres while each
backend holds its memory. An operator's own value (in the environment) always wins.

Invoices 6 and rendering 2 (they were 8 and 4): under 200 sends (`make bench BENCH_ARGS="footprint
--quick"`) the pools grew to every connection they may open, each a backend of 3-8 MB that stays
until 5 idle minutes pass; with 6 and 2 Postgres peaked 10-14 MB lower (98-100 against 108-112 MB)
at the same send rate, while 4 and 2 saved about 20 MB but sent about a quarter slower (issue 24).
Rendering holds a connection only to look up or store a PDF, never across a print.
"""

from __future__ import annotations

from collections.abc import Mapping

# Per service, as in the Kubernetes dev overlay (deploy/k8s/overlays/dev/kustomization.yaml), and
# one of its own: the browser only while there are PDFs to print (launched by the first render,
# closed with its driver after 5 minutes without one). A warm browser is ~310 MB of a ~640 MB idle
# stack, held all day for a handful of PDFs; the first PDF after an idle close waits for a launch.
SERVICE_ENV: dict[str, dict[str, str]] = {
    "invoices": {"BILLWIRE_DB_POOL_SIZE": "6", "BILLWIRE_DB_POOL_MIN_SIZE": "1"},
    "rendering": {
        "BILLWIRE_DB_POOL_SIZE": "2", "BILLWIRE_DB_POOL_MIN_SIZE": "1", "BILLWIRE_RENDER_RECENT_PDFS_MB": "4",
        "BILLWIRE_RENDER_PAGES": "1", "BILLWIRE_BROWSER_IDLE_CLOSE_SECONDS": "300",
    },
    "mailer": {"BILLWIRE_DB_POOL_SIZE": "8", "BILLWIRE_DB_POOL_MIN_SIZE": "1", "BILLWIRE_SEND_CONCURRENCY": "4"},
}

# The embedded Postgres: enough connections for the pools above plus each service's own few and
# the command-line tools; the small profile's buffers and sort memory. Shared buffers of 16 MB, not
# 64: every PDF is written through them, so over 10,000 sends all 64 MB filled and stayed (Postgres
# 150 MB at the stack's peak, 95 with 16), while the operating system's page cache still holds the
# tables; sends per second did not change. Synchronous I/O (Postgres 18, the pinned embedded build):
# no three I/O worker processes beside the backends. Statistics from 3,000 sampled rows, not 30,000:
# autovacuum's ANALYZE holds its whole sample in memory, and of the audit log and the outbox (rows
# with their payloads) that was 45-53 MB in one worker during a long run of sends, 7.6 MB with 10;
# the lists and stats are read through indexes on the account, which such statistics still choose.
POSTGRES_SETTINGS: dict[str, str] = {
    "max_connections": "50",
    "shared_buffers": "16MB",
    "io_method": "sync",
    "work_mem": "4MB",
    "maintenance_work_mem": "64MB",
    "effective_cache_size": "384MB",
    "default_statistics_target": "10",
}


# The embedded nats-server's Go garbage collector: collect when the heap grew by half, not doubled.
# PDFs of ~110 KB pass through it as requests and replies; 2,400 of them (4 at a time) took it
# to 28-33 MB with the default, 24-25 MB with GOGC=50, for a little more of its CPU (issue 24).
# Over 10,000 sends its heap still crept to 70-76 MB; GOMEMLIMIT, a soft limit (Go collects more
# often near it and never fails an allocation for it), held it at ~41 MB at the same send rate.
NATS_ENV: dict[str, str] = {"GOGC": "50", "GOMEMLIMIT": "32MiB"}


def service_env(name: str, env: Mapping[str, str]) -> dict[str, str]:
    """`env` with the small profile's values for service `name` where `env` has none."""
    return {**SERVICE_ENV.get(name, {}), **env}


def nats_env(env: Mapping[str, str]) -> dict[str, str]:
    """The small profile's Go runtime settings for the embedded nats-server where `env` has none."""
    return {name: value for name, value in NATS_ENV.items() if name not in env}
