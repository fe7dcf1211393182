"""Single-line fields refuse control characters and line separators (422 naming the field,
nothing stored), and VAT IDs and tax numbers are checked by their country's rules."""

from __future__ import annotations

import pytest

from tests.stack import BUYER, Stack, ready_account

BREAKS = {"CRLF": "\r\n", "LF": "\n", "trailing LF": "\n", "tab": "\t", "NEL": "\x85", "U+2028": "\u2028",
          "U+2029": "\u2029", "DEL": "\x7f", "ESC": "\x1b"}
LINE = {"description": "Consulting", "unit_price": "100"}


def with_break(where: str, char: str) -> str:
    return f"Acme{char}" if where == "trailing LF" else f"Acme{char}Bcc: evil@x.example"


# (method, path, body builder, field)
FIELDS = [
    ("POST", "/clients", lambda x: {"name": x}, "name"),
    ("POST", "/clients", lambda x: {"name": "C", "client_number": x}, "client_number"),
    ("POST", "/clients", lambda x: {"name": "C", "buyer_reference": x}, "buyer_reference"),
    ("POST", "/clients", lambda x: {"name": "C", "address": {"city": x}}, "address.city"),
    ("POST", "/products", lambda x: {"title": x, "net_price": "1"}, "title"),
    ("POST", "/invoices", lambda x: {"client": BUYER | {"name": x}, "lines": [LINE]}, "client.name"),
    ("POST", "/invoices", lambda x: {"client": BUYER, "lines": [LINE | {"unit": x}]}, "lines[0].unit"),
    ("PATCH", "/settings/profile", lambda x: {"company_name": x}, "company_name"),
    ("PATCH", "/settings/profile", lambda x: {"contact_name": x}, "contact_name"),
    ("PATCH", "/settings/profile", lambda x: {"number_series": {"invoice": {"pattern": f"INV{x}{{SEQ}}"}}},
     "number_series.invoice.pattern"),
    ("POST", "/settings/api-keys", lambda x: {"name": x, "scopes": ["read"]}, "name"),
    ("POST", "/invoices/{draft}/send", lambda x: {"subject": x}, "subject"),
    ("POST", "/invoices/{issued}/payments", lambda x: {"amount": "1", "reference": x}, "reference"),
]


@pytest.mark.parametrize("method,path,body,field", FIELDS, ids=[f"{m} {p} {f}" for m, p, _, f in FIELDS])
async def test_a_single_line_field_refuses_line_breaks_and_control_characters(stack: Stack, method, path, body, field) -> None:
    api = await ready_account(stack, "Single Line GmbH")
    draft = (await api.post("/invoices", json={"client": BUYER, "lines": [LINE]})).json()
    issued = (await api.post("/invoices", json={"client": BUYER, "lines": [LINE]})).json()
    assert (await api.post(f"/invoices/{issued['id']}/finalize")).status_code == 200
    before = {what: (await api.get(where)).json() for what, where in
              (("profile", "/settings/profile"), ("clients", "/clients"), ("products", "/products"), ("keys", "/settings/api-keys"))}
    for name, char in BREAKS.items():
        response = await api.request(method, path.format(draft=draft["id"], issued=issued["id"]), json=body(with_break(name, char)))
        assert response.status_code == 422, (name, response.text)
        error = response.json()["error"]
        assert error["code"] == "VALIDATION_ERROR" and field in {d["field"] for d in error["details"]}, (name, error)
        assert "one line" in " ".join(d["message"] for d in error["details"]), error
    after = {what: (await api.get(where)).json() for what, where in
             (("profile", "/settings/profile"), ("clients", "/clients"), ("products", "/products"), ("keys", "/settings/api-keys"))}
    assert after == before
    assert (await api.get(f"/invoices/{issued['id']}/payments")).json() == []


async def test_vat_ids_and_tax_numbers_are_checked_by_their_country(stack: Stack) -> None:
    api = await ready_account(stack, "Tax Ids GmbH")
    refused = [
        ({"vat_id": "DE123456789"}, "vat_id"),  # the checksum is wrong
        ({"vat_id": "<img src=x>"}, "vat_id"),
        ({"vat_id": "ATU12345678"}, "vat_id"),
        ({"vat_id": "CHE-123.456.789", "address": {"country": "CH"}}, "vat_id"),
        ({"tax_number": "12345", "address": {"country": "DE"}}, "tax_number"),
        ({"tax_number": "<b>1</b>"}, "tax_number"),
    ]
    for fields, field in refused:
        response = await api.post("/clients", json={"name": "Taxed"} | fields)
        assert response.status_code == 422, (fields, response.text)
        assert field in {d["field"] for d in response.json()["error"]["details"]}, response.text
        profile = await api.patch("/settings/profile", json=fields)
        assert profile.status_code == 422 and field in {d["field"] for d in profile.json()["error"]["details"]}, profile.text
    assert (await api.get("/clients", params={"q": "Taxed"})).json()["total"] == 0

    accepted = [
        {"vat_id": "DE136695976", "tax_number": "27/123/45678", "address": {"country": "DE"}},
        {"vat_id": "ATU13585627"},
        {"vat_id": "FR40303265045"},
        {"vat_id": "CHE-116.281.710 MWST", "address": {"country": "CH"}},
        {"vat_id": "US-12-3456789", "address": {"country": "US"}},  # no rules known: characters only
    ]
    for fields in accepted:
        created = await api.post("/clients", json={"name": "Valid"} | fields)
        assert created.status_code == 201, (fields, created.text)
    patched = await api.patch("/settings/profile", json={"vat_id": "DE811569869"})
    assert patched.status_code == 200 and patched.json()["vat_id"] == "DE811569869"
