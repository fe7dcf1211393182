"""Input the API does not take is refused, all of it named at once: unknown query parameters on
every GET route of the OpenAPI document (a 400 naming each), and every unknown, missing or
invalid field of a body in one 422."""

from __future__ import annotations

import re

import pytest

from tests.stack import BUYER, Stack, created, ready_account


async def test_every_get_route_refuses_unknown_query_parameters_and_names_each(stack: Stack) -> None:
    api = await ready_account(stack, "Query GmbH")
    client = await created(api, "/clients", BUYER)
    draft = await created(api, "/invoices", {"client_id": client["id"], "lines": [{"description": "x", "unit_price": "1"}]})
    product = await created(api, "/products", {"title": "Hour", "net_price": "10"})
    ids = {"client_id": client["id"], "document_id": draft["id"], "invoice_id": draft["id"], "product_id": product["id"]}
    schema = (await stack.http.get("/schema/openapi.json")).json()
    routes = [path for path, item in schema["paths"].items() if "get" in item and path.startswith("/api/v1/")]
    assert len(routes) > 20
    checked = []
    for path in routes:
        names = set(re.findall(r"{(\w+)}", path))
        if not names <= set(ids):
            continue  # ids of things this test does not make (webhooks, recurring, keys): the lists are enough
        url = re.sub(r"{(\w+)}", lambda match: ids[match.group(1)], path)
        response = await api.get(url, params={"clientId": client["id"], "limt": "5"})
        assert response.status_code == 400, (path, response.status_code, response.text)
        error = response.json()["error"]
        assert error["code"] == "UNKNOWN_QUERY_PARAMETER", (path, error)
        assert [d["field"] for d in error["details"]] == ["clientId", "limt"], (path, error)
        assert "clientId" in error["message"] and "limt" in error["message"]
        checked.append(path)
    lists = {"/api/v1/invoices", "/api/v1/documents", "/api/v1/clients", "/api/v1/products", "/api/v1/webhooks",
             "/api/v1/recurring-invoices", "/api/v1/settings/api-keys", "/api/v1/stats", "/api/v1/usage"}
    assert lists <= set(checked), lists - set(checked)

    # The ones a route does take still work, and the refusal names what the route takes instead.
    listed = await api.get("/invoices", params={"client_id": client["id"], "limit": "5"})
    assert listed.status_code == 200 and listed.json()["total"] == 1
    wrong = (await api.get("/invoices", params={"clientId": client["id"]})).json()["error"]["message"]
    assert "`client_id`" in wrong
    assert (await api.get("/clients", params={"q": "Globex"})).json()["total"] == 1
    assert (await stack.http.get("/health", params={"verbose": "1"})).status_code == 400


@pytest.mark.parametrize(("body", "expected"), [
    (  # the Billbot quick-start body: camelCase names, a number for money, a wrong type, a word for a rate
        {"clientName": "Globex", "client": BUYER | {"country": "US"}, "dueDate": "2026-01-01", "currency": "EURO",
         "lines": [{"description": "Consulting", "quantity": "x", "unit_price": 100.5, "vat": "19"}, {"quantity": "1", "tax_rate": "high"}]},
        {"clientName", "client.country", "dueDate", "currency", "lines[0].quantity", "lines[0].vat", "lines[1].tax_rate"},
    ),
])
async def test_a_body_with_many_problems_gets_them_all_in_one_422(stack: Stack, body: dict, expected: set[str]) -> None:
    api = await ready_account(stack, "Body GmbH")
    response = await api.post("/invoices", json=body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and error["message"] == "The request has invalid fields."
    fields = {detail["field"] for detail in error["details"]}
    assert expected <= fields, (expected - fields, error["details"])
    assert all(detail["message"] for detail in error["details"])
    assert (await api.get("/invoices")).json()["total"] == 0  # nothing written

    one = await api.post("/clients", json={"name": "X", "nickname": "x"})
    assert one.status_code == 422 and [d["field"] for d in one.json()["error"]["details"]] == ["nickname"]


async def test_a_patch_with_many_problems_gets_them_all_including_nested_ones(stack: Stack) -> None:
    api = await ready_account(stack, "Patch GmbH")
    client = await created(api, "/clients", BUYER)
    response = await api.patch(f"/clients/{client['id']}", json={
        "notes": 5, "address": {"city": 7, "planet": "Mars"}, "colour": "red", "name": None,
    })
    assert response.status_code == 422, response.text
    fields = {detail["field"] for detail in response.json()["error"]["details"]}
    assert fields == {"notes", "address.city", "address.planet", "colour", "name"}, response.json()
    assert (await api.get(f"/clients/{client['id']}")).json()["name"] == BUYER["name"]  # nothing changed


async def test_a_query_parameter_given_twice_is_refused_naming_it(stack: Stack) -> None:
    """No parameter takes a list: `?type=invoice&type=estimate` would be read as one of them."""
    api = await ready_account(stack, "Twice GmbH")
    response = await api.get("/documents?type=invoice&type=estimate&limit=5")
    assert response.status_code == 422, response.text
    assert [d["field"] for d in response.json()["error"]["details"]] == ["type"]
    assert (await api.get("/documents?type=invoice&limit=5")).status_code == 200
