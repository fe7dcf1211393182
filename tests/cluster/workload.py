"""What the cluster test does as a customer would: HTTP calls that retry with the same
Idempotency-Key on any failure (through either gateway), and a durable event subscriber."""

from __future__ import annotations

import asyncio
import itertools
import re
import subprocess
import sys
from typing import Any

import httpx
import msgspec
import nats

from billwire_shared.subjects import Names

PROFILE = {
    "company_name": "Cluster GmbH", "vat_id": "DE136695976", "email": "billing@cluster.example",
    "address": {"street": "Hauptstraße 1", "zip": "10115", "city": "Berlin", "country": "DE"},
}
BUYER = {"name": "Globex", "email": "ap@globex.example",
         "address": {"street": "Main Street 5", "zip": "12345", "city": "Springfield", "country": "US"}}


class Client:
    def __init__(self, base: str, key: str) -> None:
        self.base, self.key = base, key
        self.http = httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=30)

    async def call(self, method: str, path: str, json: Any = None, key: str | None = None) -> httpx.Response:
        headers = {"Idempotency-Key": key} if key else {}
        return await self.http.request(method, f"/api/v1{path}", json=json, headers=headers)

    async def all_sent(self, count: int) -> bool:
        try:
            listed = (await self.call("GET", "/invoices?sent=true&limit=1")).json()
        except httpx.HTTPError:
            return False
        return listed.get("total") == count

    async def numbers(self) -> list[str]:
        numbers, offset = [], 0
        while True:
            page = (await self.call("GET", f"/invoices?finalized=true&limit=100&offset={offset}")).json()
            numbers += [i["number"] for i in page["items"]]
            offset += 100
            if offset >= page["total"]:
                return numbers


async def reliably(clients: list[Client], method: str, path: str, json: Any, key: str, accept: set[int]) -> dict:
    """Retry through the gateways in turn until the call is answered as expected (a replay of
    the same key returns the first answer, so a retry never does the work twice)."""
    rotation = itertools.cycle(clients)
    last = "no answer"
    for _ in range(240):
        client = next(rotation)
        try:
            response = await client.call(method, path, json, key)
        except httpx.HTTPError as exc:
            last = repr(exc)
            await asyncio.sleep(0.5)
            continue
        if response.status_code in accept:
            return response.json()
        if response.status_code < 500 and response.status_code != 429:
            raise AssertionError(f"{method} {path} answered {response.status_code}: {response.text}")
        last = f"{response.status_code} {response.text[:300]}"
        await asyncio.sleep(0.5)
    raise AssertionError(f"{method} {path} never succeeded; last answer: {last}")


async def run_workload(clients: list[Client], count: int, concurrency: int = 16) -> list[str]:
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> str:
        async with gate:
            body = {"client": BUYER, "lines": [{"description": f"Work package {i}", "quantity": "1", "unit_price": "100"}]}
            invoice = await reliably(clients, "POST", "/invoices", body, f"create-{i}", {201})
            await reliably(clients, "POST", f"/invoices/{invoice['id']}/send", {}, f"send-{i}", {202})
            if i % 2 == 0:
                await reliably(clients, "POST", f"/invoices/{invoice['id']}/mark-paid", {}, f"pay-{i}", {200})
            return invoice["id"]

    return await asyncio.gather(*(one(i) for i in range(count)))


async def create_account(env: dict[str, str], base: str) -> str:
    out = subprocess.run([sys.executable, "-m", "billwire_invoices", "create-account", "--name", "Cluster GmbH"],
                         env=env, capture_output=True, text=True, check=True).stdout
    key = re.search(r"^API key: (\S+)$", out, re.MULTILINE).group(1)
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}) as http:
        response = await http.patch("/api/v1/settings/profile", json=PROFILE)
        assert response.status_code == 200, response.text
    return key


class Subscriber:
    """An outside system following `invoice.sent` and `invoice.paid` with durable consumers,
    as examples/subscriber.py does; it counts events by id (a redelivery is not a new event)."""

    def __init__(self, urls: list[str], names: Names) -> None:
        self.urls, self.names = urls, names
        self.sent: dict[str, str] = {}  # event id -> invoice id
        self.paid: dict[str, str] = {}
        self.duplicates = 0  # distinct events about an invoice beyond the first
        self.redelivered = 0
        self._tasks: list[asyncio.Task] = []

    async def start(self) -> None:
        async def quiet(exc: Exception) -> None:  # a node going away is expected here
            pass

        self.nc = await nats.connect(self.urls, max_reconnect_attempts=-1, error_cb=quiet)
        js = self.nc.jetstream(timeout=10)
        for fact, seen in (("sent", self.sent), ("paid", self.paid)):
            sub = await js.pull_subscribe(self.names.subject(f"events.invoice.{fact}"), durable=f"cluster-subscriber-{fact}",
                                          stream=self.names.events_stream)
            self._tasks.append(asyncio.create_task(self._follow(sub, seen)))

    async def _follow(self, sub: Any, seen: dict[str, str]) -> None:
        while True:
            try:
                messages = await sub.fetch(100, timeout=1)
            except (nats.errors.TimeoutError, asyncio.TimeoutError):
                continue
            except Exception:
                await asyncio.sleep(0.5)
                continue
            for msg in messages:
                event = msgspec.json.decode(msg.data)
                if event["id"] in seen:
                    self.redelivered += 1
                elif event["data"]["id"] in seen.values():
                    self.duplicates += 1
                else:
                    seen[event["id"]] = event["data"]["id"]
                try:
                    await msg.ack()
                except Exception:
                    pass

    async def has(self, sent: int, paid: int) -> bool:
        return len(self.sent) >= sent and len(self.paid) >= paid
