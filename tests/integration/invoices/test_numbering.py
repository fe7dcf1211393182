"""Gapless numbering under concurrency: four service processes finalize one series at once."""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import sys
import uuid
from collections.abc import AsyncIterator

from tests.stack import BUYER, Stack, ready_account

REPLICAS = 4
INVOICES = 200


@contextlib.asynccontextmanager
async def invoices_replicas(stack: Stack, count: int) -> AsyncIterator[list[asyncio.subprocess.Process]]:
    """`count` extra invoices-service processes in the run's queue group, ready when yielded."""
    env = stack.env() | {"BILLWIRE_LOG_LEVEL": "INFO", "BILLWIRE_DB_POOL_SIZE": "4"}
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-m", "billwire_invoices", env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )
        for _ in range(count)
    ]
    try:
        for proc in procs:
            async with asyncio.timeout(60):
                while b"invoices service ready" not in (line := await proc.stdout.readline()):
                    assert line, f"an invoices replica exited early with code {await proc.wait()}"
        yield procs
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            async with asyncio.timeout(30):
                await proc.communicate()


async def finalize(api, invoice_id: str):
    """Finalize as a careful client does: one Idempotency-Key, retried while the service says it is
    not answering (a busy machine) — a retry must never take a second number."""
    key = str(uuid.uuid4())
    for _ in range(5):
        response = await api.post(f"/invoices/{invoice_id}/finalize", headers={"Idempotency-Key": key})
        if response.status_code != 503:
            return response
        await asyncio.sleep(1)
    return response


async def test_concurrent_finalizes_from_four_processes_number_one_series_without_gaps(stack: Stack) -> None:
    api = await ready_account(stack, "Numbering GmbH")
    body = {"client": BUYER, "lines": [{"description": "Work", "quantity": "1", "unit_price": "10"}]}
    drafts = []
    for start in range(0, INVOICES, 50):
        batch = await asyncio.gather(*(api.post("/invoices", json=body) for _ in range(start, start + 50)))
        assert {r.status_code for r in batch} == {201}, [r.text for r in batch if r.status_code != 201][:3]
        drafts += [r.json()["id"] for r in batch]

    async with invoices_replicas(stack, REPLICAS) as procs:
        results = await asyncio.gather(*(finalize(api, i) for i in drafts))
        assert all(p.returncode is None for p in procs)

    assert {r.status_code for r in results} == {200}, {r.text for r in results if r.status_code != 200}
    numbers = [r.json()["number"] for r in results]
    sequences = sorted(int(re.fullmatch(r"INV-\d{4}-(\d{4,})", n).group(1)) for n in numbers)
    assert sequences == list(range(1, INVOICES + 1))

    listed = (await api.get("/invoices", params={"finalized": "true", "limit": 1})).json()
    assert listed["total"] == INVOICES
