"""A freelancer's first invoice, through the real gateway, bus, service and database."""

from __future__ import annotations

from tests.events import read_events
from tests.stack import BUYER, Stack, ready_account


async def test_create_finalize_and_list_an_invoice(stack: Stack) -> None:
    api = await ready_account(stack)

    client = (await api.post("/clients", json=BUYER | {"client_number": "K-1"})).json()
    created = await api.post("/invoices", json={
        "client_id": client["id"],
        "lines": [
            {"description": "Consulting", "quantity": "10", "unit": "h", "unit_price": "150"},
            {"description": "Handbook", "quantity": 2, "unit_price": "19.99", "tax_rate": "7"},
        ],
        "service_period": {"start": "2026-10-01", "end": "2026-10-31"},
    })
    assert created.status_code == 201, created.text
    draft = created.json()
    assert draft["status"] == "draft" and draft["number"] is None
    assert draft["totals"] == {
        "lines_net": "1539.98", "discount": "0.00", "net": "1539.98",
        "taxes": [{"rate": "7", "net": "39.98", "tax": "2.80"}, {"rate": "19", "net": "1500.00", "tax": "285.00"}],
        "tax": "287.80", "gross": "1827.78",
    }
    assert draft["client"]["name"] == BUYER["name"]

    finalized = await api.post(f"/invoices/{draft['id']}/finalize")
    assert finalized.status_code == 200, finalized.text
    issued = finalized.json()
    assert issued["status"] == "open"
    assert issued["number"].startswith("INV-") and issued["number"].endswith("-0001")
    assert issued["due_date"] is not None

    edit = await api.patch(f"/invoices/{draft['id']}", json={"notes": "too late"})
    assert edit.status_code == 409 and edit.json()["error"]["code"] == "DOCUMENT_FINALIZED"
    assert (await api.delete(f"/invoices/{draft['id']}")).status_code == 409

    listed = (await api.get("/invoices", params={"status": "open", "client_id": client["id"]})).json()
    assert listed["total"] == 1 and listed["items"][0]["number"] == issued["number"]

    # The client can go; the invoice keeps the buyer as it was.
    assert (await api.delete(f"/clients/{client['id']}")).status_code == 204
    kept = (await api.get(f"/invoices/{draft['id']}")).json()
    assert kept["client"]["name"] == BUYER["name"] and kept["client"]["client_number"] == "K-1"

    events = await read_events(stack, {"client.created", "invoice.created", "invoice.finalized", "client.deleted"}, draft["id"], client["id"])
    assert [e["type"] for e in events] == ["client.created", "invoice.created", "invoice.finalized", "client.deleted"]
    assert events[2]["data"]["number"] == issued["number"]
