"""Decimal fields and date-time filters take what the OpenAPI document says, and nothing else:
money, rates and quantities as a decimal string of the documented pattern or as a JSON number
(read from its decimal text, never through a float); other spellings Python's Decimal would
read are a 422 naming the field; `updated_since` is an RFC 3339 date-time, not a number."""

from __future__ import annotations

import json

import pytest

from tests.stack import BUYER, Stack, ready_account


async def test_money_as_a_decimal_string_or_a_json_number_is_taken_exactly(stack: Stack) -> None:
    api = await ready_account(stack)
    body = b'{"client": %s, "lines": [{"description": "Hours", "quantity": 2, "unit_price": 1234567890.12345678, "tax_rate": 19},' \
           b' {"description": "Book", "quantity": "1", "unit_price": "19.99", "tax_rate": "7.0"}]}' % json.dumps(BUYER).encode()
    created = await api.post("/invoices", content=body, headers={"Content-Type": "application/json"})
    assert created.status_code == 201, created.text
    first, second = created.json()["lines"]
    # through a float it would be 1234567890.1234567 (a float holds 17 digits)
    assert (first["quantity"], first["unit_price"], first["net_amount"]) == ("2", "1234567890.12345678", "2469135780.25")
    assert (second["unit_price"], second["tax_rate"]) == ("19.99", "7.0")


@pytest.mark.parametrize(("field", "value"), [
    ("unit_price", "1e3"), ("unit_price", " 1"), ("unit_price", "+1"), ("unit_price", "1_000"), ("unit_price", "١٢"),
    ("unit_price", "-0"), ("unit_price", "NaN"), ("unit_price", "1.123456789"), ("tax_rate", "100.5"), ("quantity", "0"),
])
async def test_other_spellings_of_a_decimal_are_422s_naming_the_field(stack: Stack, field: str, value: str) -> None:
    api = await ready_account(stack)
    line = {"description": "Hours", "quantity": "1", "unit_price": "10"} | {field: value}
    response = await api.post("/invoices", json={"client": BUYER, "lines": [line]})
    assert response.status_code == 422, response.text
    assert [d["field"] for d in response.json()["error"]["details"]] == [f"lines[0].{field}"]


@pytest.mark.parametrize(("field", "number"), [
    ("unit_price", "1e-38"), ("unit_price", "0.000000001"), ("unit_price", "12.345678912"), ("unit_price", "1e11"),
    ("quantity", "1e-38"), ("quantity", "1e8"), ("quantity", "0.123456789"), ("tax_rate", "100.000000001"),
])
async def test_a_json_number_needs_the_digits_a_decimal_string_may_have(stack: Stack, field: str, number: str) -> None:
    """As a string each of these is refused by the field's pattern; as a JSON number it was taken
    and rounded (0.000000001 became a price of 0) or kept in exponent form (1e-38)."""
    api = await ready_account(stack)
    line = b'{"description": "Hours", "quantity": 1, "unit_price": 10, "%s": %s}' % (field.encode(), number.encode())
    body = b'{"client": %s, "lines": [%s]}' % (json.dumps(BUYER).encode(), line)
    response = await api.post("/invoices", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    assert [d["field"] for d in response.json()["error"]["details"]] == [f"lines[0].{field}"]


async def test_a_json_number_in_exponent_form_is_taken_written_out(stack: Stack) -> None:
    api = await ready_account(stack)
    line = b'{"description": "Hours", "quantity": 5e1, "unit_price": 1.50E2, "tax_rate": 1.9e1}'
    body = b'{"client": %s, "lines": [%s]}' % (json.dumps(BUYER).encode(), line)
    created = await api.post("/invoices", content=body, headers={"Content-Type": "application/json"})
    assert created.status_code == 201, created.text
    [taken] = created.json()["lines"]
    assert (taken["quantity"], taken["unit_price"], taken["tax_rate"]) == ("50", "150", "19")


async def test_the_upload_documents_its_one_part(stack: Stack) -> None:
    spec = (await stack.api(None).get("/schema/openapi.json")).json()
    upload = spec["paths"]["/api/v1/settings/profile/logo"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert upload["required"] == ["file"] and upload["additionalProperties"] is False


async def test_request_bodies_are_described_as_decoded_and_responses_as_encoded(stack: Stack) -> None:
    """A request body's schema is msgspec's (unknown fields refused, decimals by pattern or number,
    ISO codes as the lists the server checks); a response holding the same type (a recurring
    invoice's lines) keeps the plain strings the server writes."""
    spec = (await stack.api(None).get("/schema/openapi.json")).json()
    schemas = spec["components"]["schemas"]
    body = spec["paths"]["/api/v1/recurring-invoices"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/RecurringInput_request"}
    line = schemas["LineInput_request"]
    assert line["additionalProperties"] is False
    [as_text, as_number] = line["properties"]["unit_price"]["anyOf"][0]["anyOf"]
    assert as_text["type"] == "string" and as_number["type"] == "number"
    # a number has the range and decimals of the pattern: 11 digits before the point, 8 after
    assert (as_number["minimum"], as_number["exclusiveMaximum"], as_number["multipleOf"]) == (0, 10**11, 1e-8)
    assert schemas["RecurringInvoice"]["properties"]["lines"]["items"] == {"$ref": "#/components/schemas/LineInput"}
    assert "pattern" not in json.dumps(schemas["LineInput"]["properties"]["unit_price"])
    [currency, _] = schemas["ClientInput_request"]["properties"]["currency"]["anyOf"]
    [country, _] = schemas["Address_request"]["properties"]["country"]["anyOf"]
    assert "EUR" in currency["enum"] and "XXY" not in currency["enum"]
    assert "DE" in country["enum"] and "XX" not in country["enum"]
    cursor = next(p for p in spec["paths"]["/api/v1/documents"]["get"]["parameters"] if p["name"] == "cursor")
    assert cursor["schema"]["pattern"] == "^[A-Za-z0-9_-]+$"


async def test_updated_since_is_a_date_time_not_a_number(stack: Stack) -> None:
    api = await ready_account(stack)
    assert (await api.get("/invoices", params={"updated_since": "2026-12-04T10:00:00Z"})).status_code == 200
    for value in ("0.5", "1733300000", "2026-12-04"):
        response = await api.get("/invoices", params={"updated_since": value})
        assert response.status_code == 422 and response.json()["error"]["details"][0]["field"] == "updated_since", value


async def test_a_whole_number_written_with_a_point_is_taken_where_an_integer_goes(stack: Stack) -> None:
    """JSON Schema's `integer` includes 349.0; a fraction is still refused."""
    api = await ready_account(stack)
    body = b'{"enabled": true, "levels": [{"days_after_due": 7.0}, {"days_after_due": 1.4e1}]}'
    response = await api.put("/settings/reminders", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    assert [level["days_after_due"] for level in response.json()["levels"]] == [7, 14]
    fraction = await api.put("/settings/reminders", content=b'{"levels": [{"days_after_due": 7.5}]}',
                             headers={"Content-Type": "application/json"})
    assert fraction.status_code == 422 and fraction.json()["error"]["details"][0]["field"] == "levels[0].days_after_due"
