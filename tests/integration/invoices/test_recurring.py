"""Recurring invoices through the API and scheduler replicas with an injected clock: the rule
cases end to end, catch-up, exactly one document per period under racing replicas, failed
runs retried on the same draft, bad input refused with nothing stored, accounts kept apart."""

from __future__ import annotations

import asyncio
import signal
import sys
import uuid
from datetime import date

import asyncpg
import pytest

from tests.integration.invoices.recurring_support import (
    at,
    documents_of,
    events_about,
    new_client,
    new_template,
    replicas,
    settled,  # noqa: F401 - the fixture
)
from tests.stack import Stack, ready_account

pytestmark = pytest.mark.usefixtures("settled")


async def test_monthly_on_the_31st_catches_up_three_months_in_date_order_in_german(stack: Stack) -> None:
    api = await ready_account(stack, "Retainer Studio GmbH")
    client = await new_client(api)
    template = await new_template(
        api, client["id"], {"frequency": "monthly", "day_of_month": 31, "start": "2031-12-31"}, auto_finalize=True,
        notes="Leistungszeitraum {period_start} bis {period_end} ({period})",
    )
    assert template["status"] == "active" and template["next_run_on"] == "2031-12-31"
    async with replicas(stack) as [replica]:
        replica.clock = lambda: at(date(2031, 12, 30))
        assert await replica.tick() == 0  # not yet
        replica.clock = lambda: at(date(2032, 3, 15))  # three periods have come: Dec 31, Jan 31, Feb 29 (leap year)
        assert await replica.tick() == 3
        assert await replica.tick() == 0  # nothing twice
    docs = await documents_of(api, template["id"])
    assert [d["period"] for d in docs] == [
        {"start": "2031-12-31", "end": "2032-01-30"},
        {"start": "2032-01-31", "end": "2032-02-28"},
        {"start": "2032-02-29", "end": "2032-03-30"},
    ]
    assert [d["service_period"] for d in docs] == [d["period"] for d in docs]
    assert [d["lines"][0]["description"] for d in docs] == ["Retainer Dezember 2031", "Retainer Januar 2032", "Retainer Februar 2032"]
    assert docs[1]["notes"] == "Leistungszeitraum 31.01.2032 bis 28.02.2032 (31.01.2032 – 28.02.2032)"
    assert all(d["recurring_id"] == template["id"] and d["status"] == "open" and d["language"] == "de" for d in docs)
    numbers = [d["number"] for d in docs]
    assert numbers == sorted(numbers) and len(set(numbers)) == 3  # numbered oldest period first
    after = (await api.get(f"/recurring-invoices/{template['id']}")).json()
    assert after["next_run_on"] == "2032-03-31" and after["last_run_on"] == "2032-02-29" and after["runs_count"] == 3
    assert [r["state"] for r in after["runs"]] == ["finalized"] * 3
    events = await events_about(stack, {"invoice.created", "invoice.finalized"}, "recurring_id", template["id"], count=6)
    assert sorted(e["type"] for e in events) == ["invoice.created"] * 3 + ["invoice.finalized"] * 3
    assert {e["data"]["period"]["start"] for e in events} == {"2031-12-31", "2032-01-31", "2032-02-29"}


async def test_catch_up_latest_bills_only_the_latest_missed_period(stack: Stack) -> None:
    api = await ready_account(stack, "Latest Only GmbH")
    client = await new_client(api, language="en")
    template = await new_template(api, client["id"], {"frequency": "monthly", "start": "2032-01-01"}, catch_up="latest")
    async with replicas(stack) as [replica]:
        replica.clock = lambda: at(date(2032, 3, 20))
        assert await replica.tick() == 1
    docs = await documents_of(api, template["id"])
    assert len(docs) == 1 and docs[0]["period"] == {"start": "2032-03-01", "end": "2032-03-31"}
    assert docs[0]["status"] == "draft" and docs[0]["lines"][0]["description"] == "Retainer March 2032"
    assert (await api.get(f"/recurring-invoices/{template['id']}")).json()["next_run_on"] == "2032-04-01"


async def test_an_end_after_three_runs_ends_the_schedule(stack: Stack) -> None:
    api = await ready_account(stack, "Three Times GmbH")
    client = await new_client(api)
    template = await new_template(api, client["id"], {"frequency": "weekly", "interval": 2, "start": "2033-03-07", "max_runs": 3})
    preview = (await api.get(f"/recurring-invoices/{template['id']}/preview", params={"count": 6})).json()
    assert [r["run_on"] for r in preview["runs"]] == ["2033-03-07", "2033-03-21", "2033-04-04"]
    async with replicas(stack) as [replica]:
        replica.clock = lambda: at(date(2033, 6, 1))
        assert await replica.tick() == 3
        assert await replica.tick() == 0
    after = (await api.get(f"/recurring-invoices/{template['id']}")).json()
    assert after["status"] == "ended" and after["next_run_on"] is None and after["runs_count"] == 3
    assert [d["period"]["start"] for d in await documents_of(api, template["id"])] == ["2033-03-07", "2033-03-21", "2033-04-04"]
    ended = await events_about(stack, {"recurring_invoice.ended"}, "id", template["id"], count=1)
    assert len(ended) == 1


async def test_preview_of_quarterly_and_yearly_with_totals(stack: Stack) -> None:
    api = await ready_account(stack, "Preview GmbH")
    client = await new_client(api, language="en")
    quarterly = await new_template(
        api, client["id"], {"frequency": "quarterly", "start": "2034-01-01"},
        lines=[{"description": "Hosting {period}", "quantity": "3", "unit_price": "10.00", "tax_rate": "19"}],
    )
    runs = (await api.get(f"/recurring-invoices/{quarterly['id']}/preview", params={"count": 5})).json()["runs"]
    assert [r["run_on"] for r in runs] == ["2034-01-01", "2034-04-01", "2034-07-01", "2034-10-01", "2035-01-01"]
    assert runs[1]["period"] == {"start": "2034-04-01", "end": "2034-06-30"}
    assert runs[1]["descriptions"] == ["Hosting Q2 2034"]
    assert runs[0]["totals"]["net"] == "30.00" and runs[0]["totals"]["gross"] == "35.70"
    yearly = await new_template(api, client["id"], {"frequency": "yearly", "start": "2036-02-29"}, lines=[
        {"description": "Domain {year}", "quantity": "1", "unit_price": "12.00"}])
    runs = (await api.get(f"/recurring-invoices/{yearly['id']}/preview", params={"count": 3})).json()["runs"]
    assert [(r["run_on"], r["descriptions"][0]) for r in runs] == [
        ("2036-02-29", "Domain 2036"), ("2037-02-28", "Domain 2037"), ("2038-02-28", "Domain 2038")]
    assert (await api.get(f"/recurring-invoices/{yearly['id']}/preview", params={"count": 0})).status_code in (400, 422)


async def test_two_replicas_racing_over_100_due_templates_make_exactly_100_documents(stack: Stack) -> None:
    api = await ready_account(stack, "Hundred Retainers GmbH")
    client = await new_client(api)
    ids = []
    for i in range(100):
        ids.append((await new_template(api, client["id"], {"frequency": "monthly", "start": "2035-05-01"},
                                       auto_finalize=i % 2 == 0))["id"])
    async with replicas(stack, 2, batch=7, workers=2) as racers:
        for racer in racers:
            racer.clock = lambda: at(date(2035, 5, 1))
        counts = await asyncio.gather(*(racer.tick() for racer in racers), *(racer.tick() for racer in racers))
    assert sum(counts) == 100
    conn = await asyncpg.connect(stack.database_url)
    try:
        per_template = await conn.fetch(
            "SELECT (data->>'recurring_id')::uuid AS id, count(*) AS n FROM invoices.documents"
            " WHERE (data->>'recurring_id')::uuid = ANY($1::uuid[]) GROUP BY 1", ids,
        )
        numbers = await conn.fetchval(
            "SELECT count(DISTINCT number) FROM invoices.documents WHERE (data->>'recurring_id')::uuid = ANY($1::uuid[])"
            " AND number IS NOT NULL", ids,
        )
    finally:
        await conn.close()
    assert len(per_template) == 100 and all(row["n"] == 1 for row in per_template)
    assert numbers == 50


async def test_a_failing_run_keeps_its_draft_and_succeeds_once_the_address_is_fixed(stack: Stack) -> None:
    api = await ready_account(stack, "Retry GmbH")
    client = await new_client(api)
    template = await new_template(api, client["id"], {"frequency": "monthly", "start": "2036-07-01"},
                                  auto_send={"subject": "Rechnung {number} für {period}"})
    assert (await api.patch(f"/clients/{client['id']}", json={"email": None})).status_code == 200
    async with replicas(stack) as [replica]:
        replica.clock = lambda: at(date(2036, 7, 1))
        assert await replica.tick() == 1
        failed = (await api.get(f"/recurring-invoices/{template['id']}")).json()["runs"]
        assert len(failed) == 1 and failed[0]["state"] == "failed" and "recipient" in failed[0]["failure"]
        draft = (await api.get(f"/invoices/{failed[0]['document_id']}")).json()
        assert draft["status"] == "draft"  # finalizing and sending rolled back together; the draft stays
        replica.clock = lambda: at(date(2036, 7, 2))
        assert await replica.tick() == 0  # still no address: tried again, still failing, no second draft
        again = (await api.get(f"/recurring-invoices/{template['id']}")).json()["runs"]
        assert len(again) == 1 and again[0]["state"] == "failed" and again[0]["attempts"] == 2
        assert (await api.patch(f"/clients/{client['id']}", json={"email": "sarah@schmidt.example"})).status_code == 200
        replica.clock = lambda: at(date(2036, 7, 3))
        assert await replica.tick() == 0
    runs = (await api.get(f"/recurring-invoices/{template['id']}")).json()["runs"]
    assert len(runs) == 1 and runs[0]["state"] == "queued" and runs[0]["failure"] is None and runs[0]["attempts"] == 3
    doc = (await api.get(f"/invoices/{runs[0]['document_id']}")).json()
    assert doc["status"] == "open" and doc["id"] == draft["id"] and doc["client"]["email"] == "sarah@schmidt.example"
    sends = (await api.get(f"/invoices/{doc['id']}/sends")).json()
    assert len(sends) == 1 and sends[0]["subject"] == f"Rechnung {doc['number']} für Juli 2036"
    assert len(await documents_of(api, template["id"])) == 1
    failures = await events_about(stack, {"recurring_invoice.run_failed"}, "recurring_id", template["id"], count=1)
    assert len(failures) == 1 and failures[0]["data"]["document_id"] == doc["id"]  # once per reason, not per tick


async def test_pause_resume_end_and_edits_apply_from_the_next_run(stack: Stack) -> None:
    api = await ready_account(stack, "Pausing GmbH")
    client = await new_client(api, language="en")
    template = await new_template(api, client["id"], {"frequency": "monthly", "start": "2037-01-01"})
    tid = template["id"]
    async with replicas(stack) as [replica]:
        replica.clock = lambda: at(date(2037, 1, 1))
        assert await replica.tick() == 1
        paused = (await api.post(f"/recurring-invoices/{tid}/pause")).json()
        assert paused["status"] == "paused"
        replica.clock = lambda: at(date(2037, 3, 10))
        assert await replica.tick() == 0
        edited = await api.patch(f"/recurring-invoices/{tid}", json={"lines": [
            {"description": "Support {month}", "quantity": "2", "unit_price": "80"}]})
        assert edited.status_code == 200 and edited.json()["version"] == 3
    resumed = (await api.post(f"/recurring-invoices/{tid}/resume")).json()
    # resume uses the real clock's today (2026 here), so the next period is still February 2037
    assert resumed["status"] == "active" and resumed["next_run_on"] == "2037-02-01"
    async with replicas(stack) as [replica]:
        replica.clock = lambda: at(date(2037, 2, 1))
        assert await replica.tick() == 1
    docs = await documents_of(api, tid)
    assert [d["lines"][0]["description"] for d in docs] == ["Retainer January 2037", "Support February"]
    ended = (await api.post(f"/recurring-invoices/{tid}/end")).json()
    assert ended["status"] == "ended" and ended["next_run_on"] is None
    assert (await api.post(f"/recurring-invoices/{tid}/pause")).status_code == 409
    listed = (await api.get("/recurring-invoices", params={"status": "ended"})).json()
    assert [t["id"] for t in listed["items"]] == [tid]
    assert (await api.delete(f"/recurring-invoices/{tid}")).status_code == 204
    assert (await api.get(f"/recurring-invoices/{tid}")).status_code == 404
    assert (await api.get(f"/invoices/{docs[0]['id']}")).json()["recurring_id"] == tid  # the documents stay


async def test_a_replica_killed_mid_run_leaves_no_duplicate_and_no_gap(stack: Stack) -> None:
    api = await ready_account(stack, "Killed Replica GmbH")
    client = await new_client(api)
    count = 80
    ids = [(await new_template(api, client["id"], {"frequency": "monthly", "start": "2042-01-01", "max_runs": 2},
                               auto_finalize=True))["id"] for _ in range(count)]
    conn = await asyncpg.connect(stack.database_url)

    async def runs() -> int:
        return await conn.fetchval("SELECT count(*) FROM invoices.recurring_runs WHERE recurring_id = ANY($1::uuid[])", ids)

    try:
        victim = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.integration.invoices.recurring_replica", "2042-02-15", "2", env=stack.env(),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )
        try:
            async with asyncio.timeout(60):
                assert b"replica ready" in await victim.stdout.readline()
                while await runs() < 20:  # some batches committed, more in flight
                    await asyncio.sleep(0.02)
        finally:
            victim.send_signal(signal.SIGKILL)
            await victim.wait()
        at_kill = await runs()
        assert 20 <= at_kill < 2 * count, "the replica must die mid-run for this test to mean anything"
        async with replicas(stack) as [survivor]:
            survivor.clock = lambda: at(date(2042, 2, 15))
            assert await survivor.tick() == 2 * count - at_kill  # exactly the rest
            assert await survivor.tick() == 0
        per_period = await conn.fetch(
            "SELECT (data->>'recurring_id')::uuid AS template, data->'period'->>'start' AS period, count(*) AS n"
            " FROM invoices.documents WHERE (data->>'recurring_id')::uuid = ANY($1::uuid[]) GROUP BY 1, 2", ids,
        )
        numbers = await conn.fetch(
            "SELECT number FROM invoices.documents WHERE (data->>'recurring_id')::uuid = ANY($1::uuid[])", ids,
        )
    finally:
        await conn.close()
    assert all(row["n"] == 1 for row in per_period)  # no duplicate
    assert {(row["template"], row["period"]) for row in per_period} == {
        (uuid.UUID(t), p) for t in ids for p in ("2042-01-01", "2042-02-01")}  # no gap
    sequence = sorted(int(row["number"].rsplit("-", 1)[1]) for row in numbers)
    assert sequence == list(range(sequence[0], sequence[0] + 2 * count))  # the numbers have no gap either
