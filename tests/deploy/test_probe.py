"""`python -m billwire_shared.probe`: the exec probe of the workers, against real NATS."""

from __future__ import annotations

import asyncio
import os
import secrets
import sys

import msgspec
import nats

from billwire_shared import probe, service
from billwire_shared.contracts.common import HealthReply
from billwire_shared.errors import ERROR_HEADER


async def run_probe(env: dict[str, str], *args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "billwire_shared.probe", *args,
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 30)
    return proc.returncode, out.decode()


def test_probe_asks_the_subjects_the_services_answer():
    assert probe.HEALTH_SUBJECTS == service.HEALTH_SUBJECTS


def test_probe_starts_without_the_service_stack():
    """An exec probe starts a Python every few seconds: it must not import FastStream or asyncpg."""
    import subprocess

    code = "import sys, billwire_shared.probe; print(sorted(m for m in ('faststream', 'asyncpg', 'litestar') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


async def test_probe_passes_against_the_real_invoices_service(stack):
    code, out = await run_probe(stack.env(), "invoices")
    assert code == probe.OK, out
    assert "invoices: ok" in out
    # NATS_URL may list the cluster's nodes; one that is down does not fail the probe.
    code, out = await run_probe(stack.env() | {"NATS_URL": f"nats://127.0.0.1:9,{stack.nats_url}"}, "invoices")
    assert code == probe.OK, out


async def test_probe_reports_database_down_no_answer_and_error_replies(nats_url):
    prefix = f"probe{secrets.token_hex(3)}"
    env = os.environ | {"NATS_URL": nats_url, "BILLWIRE_PREFIX": prefix}
    nc = await nats.connect(nats_url)
    try:
        async def database_down(msg):
            await msg.respond(msgspec.json.encode(HealthReply(service="mailer", version="t", database=False)))

        async def error_reply(msg):
            await nc.publish(msg.reply, b'{"code":"INTERNAL_ERROR"}', headers={ERROR_HEADER: "INTERNAL_ERROR"})

        await nc.subscribe(f"{prefix}.mailer.rpc.system.health", cb=database_down)
        await nc.subscribe(f"{prefix}.rendering.rpc.system.health", cb=error_reply)
        await nc.flush()

        code, out = await run_probe(env, "mailer", "--timeout", "2")
        assert code == probe.UNHEALTHY and "database unreachable" in out, out
        # A liveness probe does not restart workers for a database outage.
        code, out = await run_probe(env, "mailer", "--timeout", "2", "--allow-database-down")
        assert code == probe.OK, out
        code, out = await run_probe(env, "rendering", "--timeout", "2")
        assert code == probe.UNHEALTHY and "error reply" in out, out
        code, out = await run_probe(env, "invoices", "--timeout", "1")  # nobody answers under this prefix
        assert code == probe.UNREACHABLE, out
    finally:
        await nc.close()


async def test_probe_gives_up_quickly_when_nats_is_unreachable():
    env = os.environ | {"NATS_URL": "nats://user:secret@127.0.0.1:9", "BILLWIRE_PREFIX": ""}
    code, out = await asyncio.wait_for(run_probe(env, "invoices", "--timeout", "1"), 10)
    assert code == probe.UNREACHABLE and "NATS unreachable" in out
    assert "secret" not in out
