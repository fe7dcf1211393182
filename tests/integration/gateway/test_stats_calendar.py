"""Revenue statistics over one calendar unit (Tekup's `period=month&year=&month=`, ISO weeks,
quarters, years, days) besides a range; credit notes netted against revenue; and every
incomplete or mixed selection refused naming the parameter."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.stack import BUYER, Api, Stack, created, ready_account

ISSUED = ["2024-12-30", "2025-01-10", "2025-01-31", "2025-02-01", "2025-04-01"]  # 2024-12-30 is in ISO week 1 of 2025


async def issue(api: Api, issue_date: str, price: str, doc_type: str = "invoice") -> dict:
    draft = await created(api, "/documents", {
        "type": doc_type, "client": BUYER, "issue_date": issue_date, "lines": [{"description": "Work", "unit_price": price}],
    })
    finalized = await api.post(f"/documents/{draft['id']}/finalize")
    assert finalized.status_code == 200, finalized.text
    return finalized.json()


async def test_one_calendar_unit_selects_its_days(stack: Stack) -> None:
    api = await ready_account(stack, "Calendar GmbH")
    for issued in ISSUED:
        await issue(api, issued, "100")

    async def selected(**params: object) -> dict:
        response = await api.get("/stats", params=params)
        assert response.status_code == 200, response.text
        return response.json()

    january = await selected(period="month", year=2025, month=1)
    assert (january["date_from"], january["date_to"]) == ("2025-01-01", "2025-01-31")
    assert [(p["period_start"], p["invoiced_count"]) for p in january["periods"]] == [("2025-01-01", 2)]
    assert Decimal(january["periods"][0]["invoiced"]) == Decimal("238.00")

    week = await selected(period="week", year=2025, week=1)
    assert (week["date_from"], week["date_to"]) == ("2024-12-30", "2025-01-05")
    assert [(p["period_start"], p["invoiced_count"]) for p in week["periods"]] == [("2024-12-30", 1)]

    quarter = await selected(period="quarter", year=2025, quarter=1)
    assert (quarter["date_from"], quarter["date_to"]) == ("2025-01-01", "2025-03-31")
    assert [p["invoiced_count"] for p in quarter["periods"]] == [3]

    year = await selected(period="year", year=2025)
    assert [p["invoiced_count"] for p in year["periods"]] == [4]

    day = await selected(period="day", date="2025-02-01")
    assert [(p["period_start"], p["invoiced_count"]) for p in day["periods"]] == [("2025-02-01", 1)]

    # A range still works as before.
    ranged = await selected(period="month", **{"from": "2025-01-01", "to": "2025-02-28"})
    assert [p["invoiced_count"] for p in ranged["periods"]] == [2, 1]


@pytest.mark.parametrize(("params", "fields"), [
    ({"period": "month", "year": 2025}, {"month"}),
    ({"period": "month", "month": 1}, {"year"}),
    ({"period": "week", "year": 2025, "week": 53}, {"week"}),  # 2025 has 52 ISO weeks
    ({"period": "week", "year": 2025, "week": 2, "month": 1}, {"month"}),
    ({"period": "day", "date": "2025-02-01", "year": 2025}, {"year"}),
    ({"period": "day", "year": 2025}, {"date", "year"}),
    ({"period": "month", "year": 2025, "month": 1, "from": "2025-01-01"}, {"from"}),
    ({"period": "quarter", "year": 2025}, {"quarter"}),
    ({"period": "year", "year": 2025, "month": 3}, {"month"}),
    ({"period": "month", "year": 2025, "month": 13}, {"month"}),
    ({"period": "month", "from": "2025-03-01", "to": "2025-01-01"}, {"to"}),
])
async def test_an_incomplete_or_mixed_selection_names_the_parameter(stack: Stack, params: dict, fields: set[str]) -> None:
    _, key = await stack.new_account()
    response = await stack.api(key).get("/stats", params=params)
    assert response.status_code in (400, 422), response.text
    named = {detail["field"] for detail in response.json()["error"]["details"]}
    assert named == fields, response.json()


async def test_credit_notes_are_netted_and_a_cancellation_nets_to_nothing(stack: Stack) -> None:
    api = await ready_account(stack, "Credit GmbH")
    kept = await issue(api, "2025-03-03", "1000")
    cancelled = await issue(api, "2025-03-04", "500")
    response = await api.post(f"/invoices/{cancelled['id']}/cancel", json={"reason": "wrong client"})
    assert response.status_code == 201, response.text  # its credit note is issued today, and left out with it
    note = await issue(api, "2025-03-20", "100", "credit_note")  # a partial credit on the kept one

    march = (await api.get("/stats", params={"period": "month", "year": 2025, "month": 3})).json()
    [row] = march["periods"]
    gross_kept, credited = Decimal(kept["totals"]["gross"]), abs(Decimal(note["totals"]["gross"]))
    assert credited == Decimal("119.00")
    assert (row["invoiced_count"], Decimal(row["invoiced"])) == (1, gross_kept)  # the cancelled one is left out
    assert (row["credit_notes_count"], Decimal(row["credited"])) == (1, credited)  # its credit note too; the other counts
    assert Decimal(row["revenue"]) == gross_kept - credited == Decimal("1071.00")
    assert (row["sent_count"], Decimal(row["sent"])) == (0, Decimal(0))
    assert [Decimal(client["revenue"]) for client in march["top_clients"]] == [Decimal("1071.00")]
    everything = (await api.get("/stats", params={"period": "year"})).json()["periods"]
    assert sum(row["credit_notes_count"] for row in everything) == 1  # the cancelling credit note counts in no year
