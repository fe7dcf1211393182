"""Bring up each system under test and yield what to load: a `Target` plus its server pids."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

from bench.infra import Infra
from bench.loadgen import Target
from bench.payloads import CLIENT, invoice_body
from bench.procs import BenchError, ProcessGroup, child_env, post_json, wait_http_ok
from billwire_cli.embedded import free_port

BARE_CLIENT_ID = "01900000-0000-7000-8000-00000000c11e"  # the bare app stores it, checks nothing


@dataclass
class Running:
    """A started system: the request to measure and the pids whose CPU we report."""

    target: Target
    pids: dict[str, int]


def _check_once(target: Target) -> None:
    """One request before any load: a wrong status here stops the bench with the body."""
    status, body = post_json(target.url, target.body, target.headers)
    if status != target.expect:
        raise BenchError(f"POST {target.url} answered {status}, expected {target.expect}: {body[:1000].decode(errors='replace')}")


@contextlib.contextmanager
def bare(infra: Infra, path: str = "/invoices") -> Iterator[Running]:
    """`bench.bare_app` on a free port, against the bench database."""
    port = free_port()
    group = ProcessGroup("bare", child_env(DATABASE_URL=infra.database_url, PORT=str(port), BILLWIRE_LOG_LEVEL="WARNING"))
    try:
        app = group.start("app", "bench.bare_app")
        wait_http_ok(app, f"http://127.0.0.1:{port}/ready")
        target = Target(url=f"http://127.0.0.1:{port}{path}", body=invoice_body(BARE_CLIENT_ID))
        _check_once(target)
        yield Running(target, {"bare app": app.pid})
    finally:
        group.stop()


def bare_row(infra: Infra) -> contextlib.AbstractContextManager[Running]:
    return bare(infra, "/rows")


@contextlib.contextmanager
def billwire(infra: Infra) -> Iterator[Running]:
    """Invoices service + gateway with a fresh account, key and client."""
    port = free_port()
    env = child_env(
        DATABASE_URL=infra.database_url, NATS_URL=infra.nats_url, BILLWIRE_PREFIX=infra.prefix, PORT=str(port),
        BILLWIRE_RATE_LIMIT_PER_MINUTE="1000000000", BILLWIRE_RATE_LIMIT_PER_ACCOUNT_PER_MINUTE="1000000000", BILLWIRE_LOG_LEVEL="WARNING",
    )  # fmt: skip
    group = ProcessGroup("billwire", env)
    base = f"http://127.0.0.1:{port}"
    try:
        out = group.run("invoices create-account", "billwire_invoices", "create-account", "--name", "Bench")
        match = re.search(r"^API key: (\S+)$", out, re.MULTILINE)
        if not match:
            raise BenchError(f"create-account printed no 'API key:' line:\n{out}")
        auth = {"Authorization": f"Bearer {match.group(1)}"}
        invoices = group.start("invoices", "billwire_invoices")
        gateway = group.start("gateway", "billwire_gateway")
        wait_http_ok(gateway, f"{base}/ready")
        if not invoices.alive():
            raise invoices.failure("stopped")
        status, body = post_json(f"{base}/api/v1/clients", json.dumps(CLIENT).encode(), auth)
        if status != 201:
            raise BenchError(f"POST /api/v1/clients answered {status}: {body[:1000].decode(errors='replace')}")
        client_id = json.loads(body)["id"]
        target = Target(url=f"{base}/api/v1/invoices", body=invoice_body(client_id), headers=auth)
        _check_once(target)
        yield Running(target, {"gateway": gateway.pid, "invoices svc": invoices.pid})
    finally:
        group.stop()
