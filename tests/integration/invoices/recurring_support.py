"""What the recurring tests share: a client and a template through the API, scheduler replicas
with their own pool and an injected clock, and the run's events about a template.

Templates start in 2031 and later: the stack's own scheduler (real clock) never finds them
due, so only the replicas a test starts, at the moment it chooses, generate their documents.
A scheduler tick looks at every account's templates: `settled` stops every template of the
run's database after each test, so one test's templates never come due in another's tick.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time
from typing import Any

import asyncpg
import pytest_asyncio
from nats.aio.msg import Msg

from billwire_invoices.app import open_pool
from billwire_invoices.lifecycle.handlers import LifecycleHandlers
from billwire_invoices.recurring.scheduler import RecurringScheduler
from billwire_invoices.settings import InvoicesSettings
from tests.events import collect_events
from tests.stack import Api, Stack


@pytest_asyncio.fixture
async def settled(stack: Stack) -> AsyncIterator[None]:
    yield
    conn = await asyncpg.connect(stack.database_url)
    try:
        await conn.execute("UPDATE invoices.recurring_invoices SET status = 'ended', next_run_on = NULL WHERE status <> 'ended'")
        await conn.execute("UPDATE invoices.recurring_runs SET state = 'abandoned' WHERE state = 'failed'")
    finally:
        await conn.close()


def at(day: date) -> datetime:
    return datetime.combine(day, time(6, 0), tzinfo=UTC)


async def new_client(api: Api, **fields: Any) -> dict:
    body = {"name": "Sarah Schmidt Design", "email": "sarah@schmidt.example", "language": "de",
            "address": {"street": "Lindenallee 3", "zip": "50667", "city": "Köln", "country": "DE"}} | fields
    response = await api.post("/clients", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def new_template(api: Api, client_id: str, schedule: dict, **fields: Any) -> dict:
    body = {
        "client_id": client_id, "schedule": schedule,
        "lines": [{"description": "Retainer {month} {year}", "quantity": "1", "unit_price": "1200.00"}],
    } | fields
    response = await api.post("/recurring-invoices", json=body)
    assert response.status_code == 201, response.text
    return response.json()


@contextlib.asynccontextmanager
async def replicas(stack: Stack, count: int = 1, **kwargs: Any) -> AsyncIterator[list[RecurringScheduler]]:
    """`count` scheduler replicas, each with its own pool; set `.clock` before ticking."""
    settings = stack.settings(InvoicesSettings)
    pools = [await open_pool(settings, min_size=1, max_size=2) for _ in range(count)]
    try:
        yield [RecurringScheduler(pool, LifecycleHandlers(pool), interval=0.05, **kwargs) for pool in pools]
    finally:
        for pool in pools:
            await pool.close()


async def documents_of(api: Api, template_id: str) -> list[dict]:
    """The template's documents (from its runs), oldest period first."""
    template = (await api.get(f"/recurring-invoices/{template_id}")).json()
    docs = []
    for run in sorted(template["runs"], key=lambda r: r["period"]["start"]):
        response = await api.get(f"/invoices/{run['document_id']}")
        assert response.status_code == 200, response.text
        docs.append(response.json())
    return docs


async def events_about(stack: Stack, types: set[str], key: str, value: str, count: int, timeout: float = 10.0) -> list[dict]:
    """The run's events of `types` whose data[key] is `value`, once at least `count` are there."""

    def matching(_msg: Msg, event: dict) -> bool:
        return event["type"] in types and str(event["data"].get(key)) == value

    return await collect_events(stack, ">", matching, count, timeout, idle=0.5)
