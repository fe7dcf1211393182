"""examples/subscriber.py, run as a separate program against the stack, prints `invoice.paid`
for an invoice paid through the API; restarted, its durable consumer goes on where it was."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from tests.stack import BUYER, Stack, ready_account

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "subscriber.py"


class Subscriber:
    def __init__(self, stack: Stack, name: str) -> None:
        self.stack, self.name, self.lines = stack, name, []

    async def __aenter__(self) -> Subscriber:
        self.proc = await asyncio.create_subprocess_exec(
            self.stack.python, str(EXAMPLE), env=self.stack.env() | {"SUBSCRIBER_NAME": self.name},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        assert self.proc.stderr is not None
        ready = await asyncio.wait_for(self.proc.stderr.readline(), 20)
        assert b"listening for invoice.sent, invoice.paid" in ready, ready
        self.reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        while line := await self.proc.stdout.readline():
            self.lines.append(line.decode().rstrip())

    async def wait_for(self, text: str, timeout: float = 15) -> str:
        async with asyncio.timeout(timeout):
            while not any(text in line for line in self.lines):
                await asyncio.sleep(0.05)
        return next(line for line in self.lines if text in line)

    async def __aexit__(self, *exc) -> None:
        self.proc.send_signal(signal.SIGINT)
        code = await asyncio.wait_for(self.proc.wait(), 15)
        await self.reader
        assert self.proc.stderr is not None
        assert code == 0, (await self.proc.stderr.read()).decode()


async def pay_an_invoice(api) -> dict:
    draft = (await api.post("/invoices", json={"client": BUYER, "lines": [{"description": "Work", "quantity": "1", "unit_price": "80"}]})).json()
    assert (await api.post(f"/invoices/{draft['id']}/finalize")).status_code == 200
    paid = await api.post(f"/invoices/{draft['id']}/mark-paid")
    assert paid.status_code == 200, paid.text
    return paid.json()


async def test_example_subscriber_prints_paid_invoices_and_resumes(stack: Stack) -> None:
    api = await ready_account(stack, "Subscribed GmbH")
    async with Subscriber(stack, "test-example-subscriber") as first:
        invoice = await pay_an_invoice(api)
        line = await first.wait_for(invoice["id"])
    assert line.startswith(f"invoice.paid {invoice['number']} paid 95.20 EUR"), line
    assert not any("finalized" in seen for seen in first.lines)  # only the events it follows

    # Stopped, an invoice is paid; started again, it gets that one and not the first again.
    later = await pay_an_invoice(api)
    async with Subscriber(stack, "test-example-subscriber") as second:
        await second.wait_for(later["id"])
        await asyncio.sleep(0.5)
    assert not any(invoice["id"] in seen for seen in second.lines)
