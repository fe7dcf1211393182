"""Recurring invoices from the outside: REST refuses bad input with a 422 naming the field and
stores nothing, keeps accounts apart and checks scopes; an agent previews, creates, pauses,
resumes and ends one over MCP with typed input schemas."""

from __future__ import annotations

import pytest

from tests.e2e.test_mcp import call, mcp_session
from tests.integration.invoices.recurring_support import new_client, new_template, settled  # noqa: F401
from tests.stack import Stack, ready_account

pytestmark = pytest.mark.usefixtures("settled")

GOOD = {"frequency": "monthly", "start": "2040-01-01"}
LINES = [{"description": "Retainer {month}", "quantity": "1", "unit_price": "100"}]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"schedule": GOOD | {"end_date": "2039-12-31"}}, "schedule.end_date"),
        ({"schedule": GOOD | {"interval": 0}}, "schedule.interval"),
        ({"schedule": {"frequency": "yearly", "start": "2040-01-01", "interval": 13}}, "schedule.interval"),
        ({"schedule": GOOD | {"day_of_month": 32}}, "schedule.day_of_month"),
        ({"schedule": GOOD | {"day_of_month": 0}}, "schedule.day_of_month"),
        ({"schedule": {"frequency": "weekly", "start": "2040-01-01", "day_of_month": 3}}, "schedule.day_of_month"),
        ({"auto_send": {}}, "auto_send.recipient"),  # the client has no address and none is given
        ({"lines": [{"product_id": "0190a0c0-0000-7000-8000-000000000000"}]}, "lines[0].product_id"),
        ({"currency": "XXQ"}, "currency"),
    ],
)
async def test_bad_input_is_a_422_naming_the_field_and_nothing_is_stored(stack: Stack, changes: dict, field: str) -> None:
    api = await ready_account(stack, "Strict GmbH")
    client = await new_client(api, email=None)
    body = {"client_id": client["id"], "schedule": GOOD, "lines": LINES} | changes
    response = await api.post("/recurring-invoices", json=body)
    assert response.status_code == 422, response.text
    assert field in [d["field"] for d in response.json()["error"]["details"]], response.text
    preview = await api.post("/recurring-invoices/preview", json=body)
    assert preview.status_code == 422 and field in preview.text
    assert (await api.get("/recurring-invoices")).json()["total"] == 0


async def test_a_client_of_another_account_is_refused_and_templates_stay_apart(stack: Stack) -> None:
    api_a = await ready_account(stack, "Account A GmbH")
    api_b = await ready_account(stack, "Account B GmbH")
    client_b = await new_client(api_b)
    response = await api_a.post("/recurring-invoices", json={"client_id": client_b["id"], "schedule": GOOD, "lines": LINES})
    assert response.status_code == 422 and response.json()["error"]["details"][0]["field"] == "client_id", response.text
    assert (await api_a.get("/recurring-invoices")).json()["total"] == 0
    template = await new_template(api_b, client_b["id"], GOOD)
    tid = template["id"]
    for method, path in [("GET", ""), ("GET", "/preview"), ("POST", "/pause"), ("POST", "/resume"), ("POST", "/end"), ("DELETE", "")]:
        response = await api_a.request(method, f"/recurring-invoices/{tid}{path}")
        assert response.status_code == 404, (method, path, response.text)
    patched = await api_a.patch(f"/recurring-invoices/{tid}", json={"notes": "mine now"})
    assert patched.status_code == 404
    assert (await api_a.get("/recurring-invoices")).json()["total"] == 0
    assert (await api_b.get(f"/recurring-invoices/{tid}")).json()["status"] == "active"


async def test_a_key_without_email_send_cannot_create_an_auto_send_template(stack: Stack) -> None:
    api = await ready_account(stack, "Scoped GmbH")
    client = await new_client(api)
    created = await api.post("/settings/api-keys", json={"name": "drafts only", "scopes": ["read", "write"]})
    assert created.status_code == 201, created.text
    limited = stack.api(created.json()["key"])
    body = {"client_id": client["id"], "schedule": GOOD, "lines": LINES, "auto_send": {}}
    assert (await limited.post("/recurring-invoices", json=body)).status_code == 403
    body.pop("auto_send")
    assert (await limited.post("/recurring-invoices", json=body)).status_code == 201
    reader = await api.post("/settings/api-keys", json={"name": "reader", "scopes": ["read"]})
    assert (await stack.api(reader.json()["key"]).post("/recurring-invoices", json=body)).status_code == 403


async def test_an_agent_previews_creates_pauses_resumes_and_ends_a_recurring_invoice(stack: Stack) -> None:
    api = await ready_account(stack, "Agent Retainers GmbH")
    client = await new_client(api)
    _, key = await stack.new_account("unused")  # another account's key sees none of it
    async with stack.served() as base, mcp_session(base, api.key) as session:
        tools = {t.name: t for t in (await session.list_tools()).tools}
        for name in ("create_recurring_invoice", "list_recurring_invoices", "get_recurring_invoice", "preview_recurring_invoice",
                     "pause_recurring_invoice", "resume_recurring_invoice", "end_recurring_invoice"):
            assert name in tools, name
        schema = tools["create_recurring_invoice"].input_schema
        template_schema = schema["properties"]["template"]  # spelled out where it is used
        assert {"client_id", "lines", "schedule", "auto_send", "catch_up"} <= set(template_schema["properties"])
        assert set(template_schema["required"]) == {"client_id", "lines", "schedule"}
        template = {"client_id": client["id"], "schedule": {"frequency": "quarterly", "start": "2041-01-01"},
                    "lines": [{"description": "Wartung {quarter} {year}", "quantity": "1", "unit_price": "300"}]}
        preview = await call(session, "create_recurring_invoice", template=template)
        assert preview["preview"] is True and preview["next_runs"][1]["descriptions"] == ["Wartung Q2 2041"]
        assert (await api.get("/recurring-invoices")).json()["total"] == 0  # a preview stores nothing
        bad = await session.call_tool("create_recurring_invoice", {"template": template | {"schedule": {
            "frequency": "weekly", "start": "2041-01-01", "day_of_month": 5}}, "confirm": True})
        assert bad.is_error and "schedule.day_of_month" in bad.content[0].text
        created = await call(session, "create_recurring_invoice", template=template, confirm=True)
        rid = created["id"]
        assert created["status"] == "active" and created["next_run_on"] == "2041-01-01"
        assert [t["id"] for t in (await call(session, "list_recurring_invoices"))["items"]] == [rid]
        runs = (await call(session, "preview_recurring_invoice", recurring_id=rid, count=2))["runs"]
        assert [r["run_on"] for r in runs] == ["2041-01-01", "2041-04-01"] and runs[0]["totals"]["net"] == "300.00"
        assert (await call(session, "pause_recurring_invoice", recurring_id=rid))["status"] == "paused"
        assert (await call(session, "resume_recurring_invoice", recurring_id=rid))["status"] == "active"
        ending = await call(session, "end_recurring_invoice", recurring_id=rid)
        assert ending["preview"] is True and (await call(session, "get_recurring_invoice", recurring_id=rid))["status"] == "active"
        assert (await call(session, "end_recurring_invoice", recurring_id=rid, confirm=True))["status"] == "ended"
    async with stack.served() as base, mcp_session(base, key) as other:
        refused = await other.call_tool("get_recurring_invoice", {"recurring_id": rid})
        assert refused.is_error
