"""The happy path of the settings, API-key, client and product endpoints, through the real gateway.

Documents (invoices, estimates, ...) are in test_endpoints_documents.py.
"""

from __future__ import annotations

import asyncio
import secrets

from tests.stack import BUYER, Api, Stack, created, ready_account, unique

DEFAULT_SERIES = {
    "invoice": {"pattern": "INV-{YYYY}-{SEQ:4}", "yearly_reset": True},
    "estimate": {"pattern": "EST-{YYYY}-{SEQ:4}", "yearly_reset": True},
    "credit_note": {"pattern": "CN-{YYYY}-{SEQ:4}", "yearly_reset": True},
    "delivery_note": {"pattern": "DN-{YYYY}-{SEQ:4}", "yearly_reset": True},
    "order_confirmation": {"pattern": "OC-{YYYY}-{SEQ:4}", "yearly_reset": True},
    "purchase_order": {"pattern": "PO-{YYYY}-{SEQ:4}", "yearly_reset": True},
}


async def finalized_number(api: Api, path: str, body: dict) -> str:
    doc = await created(api, path, body)
    response = await api.post(f"{path}/{doc['id']}/finalize")
    assert response.status_code == 200, response.text
    return response.json()["number"]


# -- profile -----------------------------------------------------------------------------------


async def test_profile_starts_with_defaults_and_patch_changes_only_what_is_sent(stack: Stack) -> None:
    name = unique("Profile GmbH")
    _, key = await stack.new_account(name)
    api = stack.api(key)

    profile = (await api.get("/settings/profile")).json()
    assert profile["company_name"] == name
    assert (profile["default_currency"], profile["default_payment_terms_days"], profile["default_tax_rate"]) == ("EUR", 14, "19")
    assert profile["language"] == "en"
    assert profile["number_series"] == DEFAULT_SERIES

    response = await api.patch("/settings/profile", json={
        "address": {"street": "Alexanderplatz 1", "zip": "10178", "city": "Berlin", "country": "DE"},
        "vat_id": "DE811569869",
        "bank": {"iban": "DE89 3704 0044 0532 0130 00", "bic": "COBADEFFXXX"},
        "default_payment_terms_days": 30,
        "language": "de",
        "legal_footer": "Amtsgericht Berlin HRB 1",
    })
    assert response.status_code == 200, response.text
    patched = response.json()
    assert patched["address"]["city"] == "Berlin" and patched["vat_id"] == "DE811569869"
    assert patched["default_payment_terms_days"] == 30 and patched["language"] == "de"
    assert patched["company_name"] == name, "a field not in the patch must keep its value"
    assert patched["default_currency"] == "EUR" and patched["number_series"] == DEFAULT_SERIES
    assert (await api.get("/settings/profile")).json() == patched

    # The new payment terms are the default of the next invoice.
    invoice = await created(api, "/invoices", {"client": BUYER, "issue_date": "2026-03-01"})
    assert invoice["due_days"] == 30 and invoice["due_date"] == "2026-03-31"


async def test_number_series_pattern_change_sets_the_next_number(stack: Stack) -> None:
    api = await ready_account(stack, unique("Series AG"))
    body = {"client": BUYER, "lines": [{"description": "Work", "unit_price": "10"}]}
    assert await finalized_number(api, "/invoices", body | {"issue_date": "2026-02-01"}) == "INV-2026-0001"

    response = await api.patch("/settings/profile", json={"number_series": {
        "invoice": {"pattern": "R{YY}-{SEQ:3}", "yearly_reset": True},
        "delivery_note": {"pattern": "DN{SEQ:2}", "yearly_reset": False},
    }})
    assert response.status_code == 200, response.text
    series = (await api.get("/settings/profile")).json()["number_series"]
    assert series["invoice"] == {"pattern": "R{YY}-{SEQ:3}", "yearly_reset": True}
    assert series["estimate"] == DEFAULT_SERIES["estimate"], "series not in the patch stay as they were"

    # The counter of the year goes on; only the format changes. A new year starts at 1 again.
    assert await finalized_number(api, "/invoices", body | {"issue_date": "2026-02-02"}) == "R26-002"
    assert await finalized_number(api, "/invoices", body | {"issue_date": "2027-01-05"}) == "R27-001"
    # Without yearly reset the sequence runs across years.
    note = body | {"type": "delivery_note"}
    assert await finalized_number(api, "/documents", note | {"issue_date": "2026-12-30"}) == "DN01"
    assert await finalized_number(api, "/documents", note | {"issue_date": "2027-01-02"}) == "DN02"
    # Other types keep their default pattern.
    assert await finalized_number(api, "/documents", body | {"type": "estimate", "issue_date": "2026-02-03"}) == "EST-2026-0001"


# -- API keys ----------------------------------------------------------------------------------


async def test_api_key_secret_is_shown_once_and_revoking_stops_it(stack: Stack) -> None:
    _, admin_key = await stack.new_account(unique("Keys Ltd"))
    admin = stack.api(admin_key)

    response = await admin.post("/settings/api-keys", json={"name": "reporting", "scopes": ["read"]})
    assert response.status_code == 201, response.text
    new = response.json()
    secret = new["key"]
    assert secret.startswith("bw_") and len(secret) >= 30
    assert new["prefix"].startswith("bw_") and secret.startswith(new["prefix"]) and new["prefix"] != secret
    assert (new["name"], new["scopes"], new["revoked_at"]) == ("reporting", ["read"], None)

    default = (await admin.post("/settings/api-keys", json={})).json()
    assert default["scopes"] == ["read", "write", "email:send"] and default["key"].startswith("bw_")

    listing = await admin.get("/settings/api-keys")
    assert listing.status_code == 200
    keys = {k["id"]: k for k in listing.json()}
    assert set(keys) >= {new["id"], default["id"]} and len(keys) == 3  # with the account's admin key
    assert all("key" not in k for k in keys.values())
    assert secret not in listing.text and default["key"] not in listing.text
    assert keys[new["id"]]["prefix"] == new["prefix"]

    reporting = stack.api(secret)
    assert (await reporting.get("/clients")).status_code == 200
    forbidden = await reporting.post("/clients", json={"name": "X"})
    assert forbidden.status_code == 403 and forbidden.json()["error"]["code"] == "FORBIDDEN"

    assert (await admin.delete(f"/settings/api-keys/{new['id']}")).status_code == 204
    listed = {k["id"]: k for k in (await admin.get("/settings/api-keys")).json()}
    assert listed[new["id"]]["revoked_at"] is not None
    assert listed[default["id"]]["revoked_at"] is None
    assert await status_within(reporting, "/clients", 401, seconds=10) == 401
    assert (await stack.api(default["key"]).get("/clients")).status_code == 200


async def status_within(api: Api, path: str, wanted: int, seconds: float) -> int:
    """GET `path` until it answers `wanted` (a revocation reaches every gateway cache within seconds)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        status = (await api.get(path)).status_code
        if status == wanted or asyncio.get_running_loop().time() > deadline:
            return status
        await asyncio.sleep(0.1)


# -- clients -----------------------------------------------------------------------------------


async def test_client_create_get_patch_delete(stack: Stack) -> None:
    api = await ready_account(stack, unique("Clients GmbH"))
    body = {
        "name": unique("Initech"), "email": "ap@initech.example", "phone": "+1 555 0100", "client_number": "C-100",
        "address": {"street": "1 Infinite Loop", "zip": "95014", "city": "Cupertino", "state": "CA", "country": "US"},
        "vat_id": "US12345", "currency": "USD", "language": "en", "vat_regulation": "standard", "notes": "net 30",
    }
    client = await created(api, "/clients", body)
    assert {k: client[k] for k in body} == body | {"address": body["address"] | {"line2": None}}
    assert client["id"] and client["created_at"] == client["updated_at"]

    fetched = await api.get(f"/clients/{client['id']}")
    assert fetched.status_code == 200 and fetched.json() == client

    response = await api.patch(f"/clients/{client['id']}", json={"email": "billing@initech.example", "phone": None})
    assert response.status_code == 200, response.text
    patched = response.json()
    assert patched["email"] == "billing@initech.example" and patched["phone"] is None
    assert patched["name"] == body["name"] and patched["address"] == client["address"]
    assert patched["created_at"] == client["created_at"] and patched["updated_at"] > client["updated_at"]
    assert (await api.get(f"/clients/{client['id']}")).json() == patched

    assert (await api.delete(f"/clients/{client['id']}")).status_code == 204
    gone = await api.get(f"/clients/{client['id']}")
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "CLIENT_NOT_FOUND"
    assert (await api.delete(f"/clients/{client['id']}")).status_code == 404


async def test_client_search_and_pagination(stack: Stack) -> None:
    api = await ready_account(stack, unique("Search GmbH"))
    tag = secrets.token_hex(3)
    for i, name in enumerate(["Delta", "alpha", "Charlie", "Bravo", "Echo"]):
        await created(api, "/clients", {"name": f"{name} {tag}", "email": f"{name.lower()}@{tag}.example", "client_number": f"N{tag}-{i}"})
    await created(api, "/clients", {"name": "Unrelated Corp"})

    async def names(**params) -> tuple[list[str], int]:
        response = await api.get("/clients", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        return [c["name"].split()[0] for c in page["items"]], page["total"]

    assert await names() == (["alpha", "Bravo", "Charlie", "Delta", "Echo", "Unrelated"], 6)
    assert await names(q=f"charlie {tag}") == (["Charlie"], 1)  # name, case-insensitive
    assert await names(q=f"echo@{tag}") == (["Echo"], 1)  # email
    assert await names(q=f"n{tag}-3") == (["Bravo"], 1)  # client number
    assert await names(q=tag) == (["alpha", "Bravo", "Charlie", "Delta", "Echo"], 5)
    assert await names(q="no such client anywhere") == ([], 0)
    assert await names(q="%") == ([], 0), "q is text, not a LIKE pattern"

    assert await names(q=tag, limit=2) == (["alpha", "Bravo"], 5)
    assert await names(q=tag, limit=2, offset=2) == (["Charlie", "Delta"], 5)
    assert await names(q=tag, limit=2, offset=4) == (["Echo"], 5)
    assert await names(q=tag, limit=2, offset=10) == ([], 5)
    page = (await api.get("/clients", params={"limit": 3, "offset": 1})).json()
    assert (page["limit"], page["offset"], page["total"]) == (3, 1, 6)


async def test_client_number_is_unique_per_account(stack: Stack) -> None:
    api = await ready_account(stack, unique("Numbers GmbH"))
    first = await created(api, "/clients", {"name": "First", "client_number": "K-1"})

    taken = await api.post("/clients", json={"name": "Second", "client_number": "K-1"})
    assert taken.status_code == 409, taken.text
    error = taken.json()["error"]
    assert error["code"] == "CLIENT_NUMBER_TAKEN" and [d["field"] for d in error["details"]] == ["client_number"]
    assert (await api.get("/clients", params={"q": "Second"})).json()["total"] == 0

    second = await created(api, "/clients", {"name": "Second", "client_number": "K-2"})
    clash = await api.patch(f"/clients/{second['id']}", json={"client_number": "K-1"})
    assert clash.status_code == 409 and clash.json()["error"]["code"] == "CLIENT_NUMBER_TAKEN"
    assert (await api.get(f"/clients/{second['id']}")).json()["client_number"] == "K-2"

    # Several clients may have no number, and a number freed by a delete can be used again.
    await created(api, "/clients", {"name": "Third"})
    await created(api, "/clients", {"name": "Fourth"})
    assert (await api.delete(f"/clients/{first['id']}")).status_code == 204
    assert (await created(api, "/clients", {"name": "Fifth", "client_number": "K-1"}))["client_number"] == "K-1"

    # Another account has its own numbers.
    other = await ready_account(stack, unique("Other GmbH"))
    assert (await created(other, "/clients", {"name": "Elsewhere", "client_number": "K-2"}))["client_number"] == "K-2"


# -- products ----------------------------------------------------------------------------------


async def test_product_create_get_list_patch_delete(stack: Stack) -> None:
    api = await ready_account(stack, unique("Products GmbH"))
    tag = secrets.token_hex(3)
    hours = await created(api, "/products", {"title": f"Consulting {tag}", "description": "senior", "unit": "h", "net_price": "120.50"})
    assert (hours["net_price"], hours["tax_rate"], hours["unit"]) == ("120.5", "19", "h")  # tax rate: the profile default
    book = await created(api, "/products", {"title": f"Book {tag}", "net_price": "20", "tax_rate": "7"})
    assert (book["net_price"], book["tax_rate"]) == ("20", "7")

    assert (await api.get(f"/products/{book['id']}")).json() == book
    listing = (await api.get("/products", params={"q": tag})).json()
    assert [p["title"] for p in listing["items"]] == [f"Book {tag}", f"Consulting {tag}"] and listing["total"] == 2
    assert [p["id"] for p in (await api.get("/products", params={"q": "SENIOR"})).json()["items"]] == [hours["id"]]
    assert (await api.get("/products", params={"q": tag, "limit": 1, "offset": 1})).json()["items"][0]["id"] == hours["id"]

    patched = (await api.patch(f"/products/{hours['id']}", json={"net_price": "130", "unit": "hour"})).json()
    assert (patched["net_price"], patched["unit"], patched["title"], patched["tax_rate"]) == ("130", "hour", hours["title"], "19")
    by_gross = (await api.patch(f"/products/{book['id']}", json={"gross_price": "21.40"})).json()
    assert (by_gross["net_price"], by_gross["tax_rate"]) == ("20", "7")

    assert (await api.delete(f"/products/{book['id']}")).status_code == 204
    gone = await api.get(f"/products/{book['id']}")
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "PRODUCT_NOT_FOUND"
    assert (await api.get("/products", params={"q": tag})).json()["total"] == 1


async def test_gross_price_product_invoices_at_exactly_that_gross(stack: Stack) -> None:
    api = await ready_account(stack, unique("Gross GmbH"))
    ticket = await created(api, "/products", {"title": "Ticket", "gross_price": "119.00", "tax_rate": "19"})
    assert ticket["net_price"] == "100" and ticket["tax_rate"] == "19"
    voucher = await created(api, "/products", {"title": "Voucher", "gross_price": "10.00", "tax_rate": "7"})

    async def gross(product: dict, quantity: str) -> str:
        doc = await created(api, "/invoices", {"client": BUYER, "lines": [{"product_id": product["id"], "quantity": quantity}]})
        return doc["totals"]["gross"]

    assert await gross(ticket, "1") == "119.00"
    assert await gross(ticket, "3") == "357.00"
    assert await gross(voucher, "1") == "10.00"
    assert await gross(voucher, "3") == "30.00"


async def test_product_defaults_fill_a_line_that_names_only_the_product(stack: Stack) -> None:
    api = await ready_account(stack, unique("Defaults GmbH"))
    product = await created(api, "/products", {"title": "Workshop day", "unit": "day", "net_price": "800", "tax_rate": "7"})

    doc = await created(api, "/invoices", {"client": BUYER, "lines": [
        {"product_id": product["id"]},
        {"product_id": product["id"], "quantity": "0.5", "description": "Half day", "unit_price": "450"},
    ]})
    first, second = doc["lines"]
    assert first == {
        "position": 1, "description": "Workshop day", "quantity": "1", "unit": "day", "unit_price": "800",
        "tax_rate": "7", "discount_rate": None, "product_id": product["id"], "net_amount": "800.00",
    }
    assert (second["description"], second["unit"], second["unit_price"], second["net_amount"]) == ("Half day", "day", "450", "225.00")
    assert doc["totals"]["taxes"] == [{"rate": "7", "net": "1025.00", "tax": "71.75"}]
    assert doc["totals"]["gross"] == "1096.75"

    # A later price change does not touch the existing draft's line.
    await api.patch(f"/products/{product['id']}", json={"net_price": "900"})
    assert (await api.get(f"/invoices/{doc['id']}")).json()["lines"][0]["unit_price"] == "800"
