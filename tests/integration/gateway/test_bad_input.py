"""Bad requests across every endpoint: a clear 4xx that names the field, and nothing written.

Each row of CASES is one request against a prepared account (a client, a product and a draft
invoice). For every row the test checks the status and error code, the field named in
`details`, the error body's shape, and that the account's rows in the database (clients,
products, documents, keys, number series, idempotency keys, audit log, profile) are exactly
as they were before the request.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
import pytest_asyncio

from tests.stack import BUYER, Api, Stack, ready_account

NO_SUCH_ID = "00000000-0000-7000-8000-000000000000"
OVER_1_MB = 1_100_000


@dataclass(frozen=True)
class Raw:
    """A body sent byte for byte, as JSON, without encoding it first."""

    content: bytes


@dataclass(frozen=True)
class Bad:
    name: str
    method: str
    path: str  # relative to /api/v1; {client}, {product}, {invoice} are the prepared ids
    body: Any = None
    status: int = 422
    code: str = "VALIDATION_ERROR"
    field: str | tuple[str, ...] | None = None  # the field `details` must name (one of them); None: no field


def line(**fields: Any) -> dict[str, Any]:
    return {"description": "Consulting", "unit_price": "100"} | fields


def invoice(**fields: Any) -> dict[str, Any]:
    return {"client": BUYER, "lines": [line()]} | fields


CASES = [
    # -- clients ---------------------------------------------------------------------------------
    Bad("client: unknown top-level field", "POST", "/clients", {"name": "X", "nickname": "x"}, field="nickname"),
    Bad("client: unknown nested field", "POST", "/clients", {"name": "X", "address": {"planet": "Mars"}}, field="address.planet"),
    Bad("client: name is a number", "POST", "/clients", {"name": 5}, field="name"),
    Bad("client: address is a string", "POST", "/clients", {"name": "X", "address": "Main St"}, field="address"),
    Bad("client: name missing", "POST", "/clients", {"email": "a@b.example"}, field="name"),
    Bad("client: name empty", "POST", "/clients", {"name": ""}, field="name"),
    Bad("client: name too long", "POST", "/clients", {"name": "x" * 201}, field="name"),
    Bad("client: invalid email", "POST", "/clients", {"name": "X", "email": "not-an-email"}, field="email"),
    Bad("client: unknown currency", "POST", "/clients", {"name": "X", "currency": "XYZ"}, field="currency"),
    Bad("client: lowercase currency", "POST", "/clients", {"name": "X", "currency": "eur"}, field="currency"),
    Bad("client: unknown country", "POST", "/clients", {"name": "X", "address": {"country": "XX"}}, field="address.country"),
    Bad("client: unknown language", "POST", "/clients", {"name": "X", "language": "fr"}, field="language"),
    Bad("client: unknown vat regulation", "POST", "/clients", {"name": "X", "vat_regulation": "exempt"}, field="vat_regulation"),
    Bad("client: NUL character in the name", "POST", "/clients", {"name": "Nul\u0000Corp"}, field="name"),
    Bad("client: NUL character in the notes", "POST", "/clients", {"name": "X", "notes": "a\u0000b"}, field="notes"),
    Bad("client: malformed JSON", "POST", "/clients", Raw(b'{"name": "X",'), 400, "MALFORMED_JSON"),
    Bad("client: not JSON at all", "POST", "/clients", Raw(b"name=X"), 400, "MALFORMED_JSON"),
    Bad("client: empty body", "POST", "/clients", Raw(b""), 400, "MALFORMED_JSON"),
    Bad("client: array instead of object", "POST", "/clients", [{"name": "X"}], field=""),
    Bad("client: body over 1 MB", "POST", "/clients", {"name": "X", "notes": "n" * OVER_1_MB}, 413, "BODY_TOO_LARGE"),
    Bad("client patch: invalid email", "PATCH", "/clients/{client}", {"email": "nope"}, field="email"),
    Bad("client patch: name null", "PATCH", "/clients/{client}", {"name": None}, field="name"),
    Bad("client patch: unknown field", "PATCH", "/clients/{client}", {"colour": "red"}, field="colour"),
    Bad("client patch: unknown country", "PATCH", "/clients/{client}", {"address": {"country": "ZZ"}}, field="address.country"),
    Bad("client patch: array body", "PATCH", "/clients/{client}", [], field=""),
    # -- products --------------------------------------------------------------------------------
    Bad("product: unknown field", "POST", "/products", {"title": "X", "net_price": "1", "sku": "A1"}, field="sku"),
    Bad("product: title missing", "POST", "/products", {"net_price": "1"}, field="title"),
    Bad("product: title is a bool", "POST", "/products", {"title": True, "net_price": "1"}, field="title"),
    Bad("product: price is a list", "POST", "/products", {"title": "X", "net_price": ["1"]}, field="net_price"),
    Bad("product: price not a number", "POST", "/products", {"title": "X", "net_price": "abc"}, field="net_price"),
    Bad("product: no price", "POST", "/products", {"title": "X"}, field="net_price"),
    Bad("product: negative net price", "POST", "/products", {"title": "X", "net_price": "-1"}, field="net_price"),
    Bad("product: negative gross price", "POST", "/products", {"title": "X", "gross_price": "-1"}, field="gross_price"),
    Bad("product: net and gross price", "POST", "/products", {"title": "X", "net_price": "1", "gross_price": "2"}, field="gross_price"),
    Bad("product: tax rate over 100", "POST", "/products", {"title": "X", "net_price": "1", "tax_rate": "101"}, field="tax_rate"),
    Bad("product: negative tax rate", "POST", "/products", {"title": "X", "net_price": "1", "tax_rate": "-7"}, field="tax_rate"),
    Bad("product: tax rate NaN", "POST", "/products", {"title": "X", "net_price": "1", "tax_rate": "NaN"}, field="tax_rate"),
    Bad("product: malformed JSON", "POST", "/products", Raw(b'{"title": }'), 400, "MALFORMED_JSON"),
    Bad("product: array instead of object", "POST", "/products", [], field=""),
    Bad("product: body over 1 MB", "POST", "/products", {"title": "X", "net_price": "1", "description": "d" * OVER_1_MB}, 413, "BODY_TOO_LARGE"),
    Bad("product patch: net and gross price", "PATCH", "/products/{product}", {"net_price": "1", "gross_price": "2"}, field="gross_price"),
    Bad("product patch: tax rate over 100", "PATCH", "/products/{product}", {"tax_rate": "200"}, field="tax_rate"),
    Bad("product patch: unknown field", "PATCH", "/products/{product}", {"stock": 3}, field="stock"),
    # -- invoices --------------------------------------------------------------------------------
    Bad("invoice: unknown top-level field", "POST", "/invoices", invoice(total="100"), field="total"),
    Bad("invoice: unknown field in a line", "POST", "/invoices", invoice(lines=[line(vat="19")]), field="lines[0].vat"),
    Bad("invoice: unknown field in the client address", "POST", "/invoices",
        invoice(client={"name": "X", "address": {"planet": "Mars"}}), field="client.address.planet"),
    Bad("invoice: lines is an object", "POST", "/invoices", invoice(lines={"0": line()}), field="lines"),
    Bad("invoice: quantity is a bool", "POST", "/invoices", invoice(lines=[line(quantity=True)]), field="lines[0].quantity"),
    Bad("invoice: date is a number", "POST", "/invoices", invoice(issue_date=20260101), field="issue_date"),
    Bad("invoice: impossible date", "POST", "/invoices", invoice(issue_date="2026-02-30"), field="issue_date"),
    Bad("invoice: client_id not a UUID", "POST", "/invoices", {"client_id": "42"}, field="client_id"),
    Bad("invoice: line without description or product", "POST", "/invoices",
        invoice(lines=[{"unit_price": "1"}]), field="lines[0].description"),
    Bad("invoice: line without price or product", "POST", "/invoices",
        invoice(lines=[{"description": "X"}]), field="lines[0].unit_price"),
    Bad("invoice: inline client without name", "POST", "/invoices", invoice(client={"email": "a@b.example"}), field="client.name"),
    Bad("invoice: service period without end", "POST", "/invoices",
        invoice(service_period={"start": "2026-01-01"}), field="service_period.end"),
    Bad("invoice: zero quantity", "POST", "/invoices", invoice(lines=[line(quantity="0")]), field="lines[0].quantity"),
    Bad("invoice: negative quantity", "POST", "/invoices", invoice(lines=[line(), line(quantity="-2")]), field="lines[1].quantity"),
    Bad("invoice: infinite quantity", "POST", "/invoices", invoice(lines=[line(quantity="Infinity")]), field="lines[0].quantity"),
    Bad("invoice: negative unit price", "POST", "/invoices", invoice(lines=[line(unit_price="-5")]), field="lines[0].unit_price"),
    Bad("invoice: line tax rate below 0", "POST", "/invoices", invoice(lines=[line(tax_rate="-1")]), field="lines[0].tax_rate"),
    Bad("invoice: line tax rate over 100", "POST", "/invoices", invoice(lines=[line(tax_rate="119")]), field="lines[0].tax_rate"),
    Bad("invoice: line discount over 100", "POST", "/invoices", invoice(lines=[line(discount_rate="150")]), field="lines[0].discount_rate"),
    Bad("invoice: negative document discount", "POST", "/invoices", invoice(discount_rate="-5"), field="discount_rate"),
    Bad("invoice: unknown currency", "POST", "/invoices", invoice(currency="ABC"), field="currency"),
    Bad("invoice: unknown country of the buyer", "POST", "/invoices",
        invoice(client={"name": "X", "address": {"country": "QQ"}}), field="client.address.country"),
    Bad("invoice: invalid buyer email", "POST", "/invoices", invoice(client={"name": "X", "email": "x@"}), field="client.email"),
    Bad("invoice: due_days over 365", "POST", "/invoices", invoice(due_days=400), field="due_days"),
    Bad("invoice: due date after the year 9999", "POST", "/invoices",
        invoice(issue_date="9999-12-31", due_days=365), field=("due_days", "issue_date")),
    Bad("invoice: both client_id and client", "POST", "/invoices", invoice(client_id="{client}"), field="client"),
    Bad("invoice: neither client_id nor client", "POST", "/invoices", {"lines": [line()]}, field="client_id"),
    Bad("invoice: client_id of no client", "POST", "/invoices", {"client_id": NO_SUCH_ID}, code="CLIENT_NOT_FOUND", field="client_id"),
    Bad("invoice: product_id of no product", "POST", "/invoices",
        invoice(lines=[{"product_id": NO_SUCH_ID}]), field="lines[0].product_id"),
    Bad("invoice: due_date before issue_date", "POST", "/invoices",
        invoice(issue_date="2026-05-10", due_date="2026-05-01"), field="due_date"),
    Bad("invoice: service period ends before it starts", "POST", "/invoices",
        invoice(service_period={"start": "2026-05-10", "end": "2026-05-01"}), field="service_period.end"),
    Bad("invoice: type estimate on /invoices", "POST", "/invoices", invoice(type="estimate"), field="type"),
    Bad("invoice: type credit_note on /invoices", "POST", "/invoices", invoice(type="credit_note"), field="type"),
    Bad("invoice: malformed JSON", "POST", "/invoices", Raw(b'{"client": {"name": "X"}'), 400, "MALFORMED_JSON"),
    Bad("invoice: array instead of object", "POST", "/invoices", [invoice()], field=""),
    Bad("invoice: body over 1 MB", "POST", "/invoices", invoice(notes="n" * OVER_1_MB), 413, "BODY_TOO_LARGE"),
    Bad("invoice patch: zero quantity", "PATCH", "/invoices/{invoice}", {"lines": [line(quantity=0)]}, field="lines[0].quantity"),
    Bad("invoice patch: unknown field", "PATCH", "/invoices/{invoice}", {"status": "paid"}, field="status"),
    Bad("invoice patch: service period ends before it starts", "PATCH", "/invoices/{invoice}",
        {"service_period": {"start": "2026-05-10", "end": "2026-05-01"}}, field="service_period.end"),
    Bad("invoice patch: due_date before issue_date", "PATCH", "/invoices/{invoice}",
        {"issue_date": "2026-05-10", "due_date": "2026-05-01"}, field="due_date"),
    Bad("invoice patch: both client_id and client", "PATCH", "/invoices/{invoice}",
        {"client_id": "{client}", "client": BUYER}, field="client"),
    # -- documents -------------------------------------------------------------------------------
    Bad("document: unknown type", "POST", "/documents", invoice(type="receipt"), field="type"),
    Bad("document: unknown field in a line", "POST", "/documents",
        invoice(type="estimate", lines=[line(sku="1")]), field="lines[0].sku"),
    Bad("document: zero quantity", "POST", "/documents",
        invoice(type="delivery_note", lines=[line(quantity="0")]), field="lines[0].quantity"),
    Bad("document: neither client_id nor client", "POST", "/documents", {"type": "estimate"}, field="client_id"),
    Bad("document: malformed JSON", "POST", "/documents", Raw(b"[{"), 400, "MALFORMED_JSON"),
    Bad("document: body over 1 MB", "POST", "/documents", invoice(type="estimate", notes="n" * OVER_1_MB), 413, "BODY_TOO_LARGE"),
    # -- sending, payments, cancel, webhooks ------------------------------------------------------
    Bad("send: unknown field", "POST", "/invoices/{invoice}/send", {"bcc": ["x@y.example"]}, field="bcc"),
    Bad("send: cc is a string", "POST", "/invoices/{invoice}/send", {"cc": "x@y.example"}, field="cc"),
    Bad("send: send_copy is a string", "POST", "/invoices/{invoice}/send", {"send_copy": "yes"}, field="send_copy"),
    Bad("send: wait is not a number", "POST", "/invoices/{invoice}/send?wait=soon", {}, field="wait"),
    Bad("send: empty recipient", "POST", "/invoices/{invoice}/send", {"recipient": ""}, field="recipient"),
    Bad("send: empty cc entry", "POST", "/invoices/{invoice}/send", {"cc": ["x@y.example", " "]}, field="cc[1]"),
    Bad("send: blank subject", "POST", "/invoices/{invoice}/send", {"subject": "  "}, field="subject"),
    Bad("send: line separator in the subject", "POST", "/invoices/{invoice}/send",
        {"subject": "Invoice\u2028Bcc: evil@x.example"}, field="subject"),
    Bad("send: next-line character in a cc", "POST", "/invoices/{invoice}/send", {"cc": ["x@y.example\x85"]}, field="cc[0]"),
    Bad("payment: amount not a number", "POST", "/invoices/{invoice}/payments", {"amount": "ten"}, field="amount"),
    Bad("payment: unknown method", "POST", "/invoices/{invoice}/payments", {"amount": "5", "method": "barter"}, field="method"),
    Bad("payment: bad date", "POST", "/invoices/{invoice}/payments", {"amount": "5", "date": "2026-02-30"}, field="date"),
    Bad("payment: unknown field", "POST", "/invoices/{invoice}/payments", {"amount": "5", "payer": "x"}, field="payer"),
    Bad("mark-paid: bad date", "POST", "/invoices/{invoice}/mark-paid", {"date": "today"}, field="date"),
    Bad("cancel: empty reason", "POST", "/invoices/{invoice}/cancel", {"reason": ""}, field="reason"),
    Bad("cancel: reason over 500 characters", "POST", "/invoices/{invoice}/cancel", {"reason": "r" * 501}, field="reason"),
    Bad("refund: amount not a number", "POST", "/invoices/{invoice}/refunds", {"amount": "ten"}, field="amount"),
    Bad("refund: unknown field", "POST", "/invoices/{invoice}/refunds", {"amount": "5", "payee": "x"}, field="payee"),
    Bad("patch: custom status without a name", "PATCH", "/invoices/{invoice}", {"custom_status": {"notes": "x"}},
        field="custom_status.name"),
    Bad("patch: sent is a string", "PATCH", "/invoices/{invoice}", {"sent": "yes"}, field="sent"),
    Bad("webhook: unknown event", "POST", "/webhooks", {"url": "https://hooks.example/x", "events": ["invoice.exploded"]},
        field="events[0]"),
    Bad("webhook: no events", "POST", "/webhooks", {"url": "https://hooks.example/x", "events": []}, field="events"),
    Bad("webhook: not an http(s) url", "POST", "/webhooks", {"url": "ftp://hooks.example/x", "events": ["invoice.paid"]},
        field="url"),
    # -- settings: profile -----------------------------------------------------------------------
    Bad("profile: unknown top-level field", "PATCH", "/settings/profile", {"ceo": "Ada"}, field="ceo"),
    Bad("profile: unknown nested field", "PATCH", "/settings/profile", {"bank": {"swift": "X"}}, field="bank.swift"),
    Bad("profile: payment terms is a string", "PATCH", "/settings/profile",
        {"default_payment_terms_days": "30"}, field="default_payment_terms_days"),
    Bad("profile: negative payment terms", "PATCH", "/settings/profile",
        {"default_payment_terms_days": -1}, field="default_payment_terms_days"),
    Bad("profile: invalid IBAN checksum", "PATCH", "/settings/profile",
        {"bank": {"iban": "DE89370400440532013001"}}, field="bank.iban"),
    Bad("profile: IBAN too short", "PATCH", "/settings/profile", {"bank": {"iban": "DE00123"}}, field="bank.iban"),
    Bad("profile: invalid BIC", "PATCH", "/settings/profile", {"bank": {"bic": "XX"}}, field="bank.bic"),
    Bad("profile: invalid email", "PATCH", "/settings/profile", {"email": "billing"}, field="email"),
    Bad("profile: line separator in the company name (the From of every e-mail)", "PATCH", "/settings/profile",
        {"company_name": "Acme\u2028Bcc: evil@x.example"}, field="company_name"),
    Bad("profile: unknown currency", "PATCH", "/settings/profile", {"default_currency": "ABC"}, field="default_currency"),
    Bad("profile: unknown country", "PATCH", "/settings/profile", {"address": {"country": "XX"}}, field="address.country"),
    Bad("profile: tax rate over 100", "PATCH", "/settings/profile", {"default_tax_rate": "101"}, field="default_tax_rate"),
    Bad("profile: unknown language", "PATCH", "/settings/profile", {"language": "fr"}, field="language"),
    Bad("profile: number pattern without SEQ", "PATCH", "/settings/profile",
        {"number_series": {"invoice": {"pattern": "INV"}}}, field="number_series.invoice.pattern"),
    Bad("profile: number pattern with unknown token", "PATCH", "/settings/profile",
        {"number_series": {"invoice": {"pattern": "{FOO}-{SEQ}"}}}, field="number_series.invoice.pattern"),
    Bad("profile: number pattern missing", "PATCH", "/settings/profile",
        {"number_series": {"invoice": {"yearly_reset": False}}}, field="number_series.invoice.pattern"),
    Bad("profile: number series of unknown type", "PATCH", "/settings/profile",
        {"number_series": {"receipt": {"pattern": "R{SEQ}"}}}, field="number_series.receipt"),
    Bad("profile: malformed JSON", "PATCH", "/settings/profile", Raw(b"{'company_name': 'X'}"), 400, "MALFORMED_JSON"),
    Bad("profile: array instead of object", "PATCH", "/settings/profile", [{"company_name": "X"}], field=""),
    Bad("profile: body over 1 MB", "PATCH", "/settings/profile", {"legal_footer": "f" * OVER_1_MB}, 413, "BODY_TOO_LARGE"),
    # -- settings: API keys ----------------------------------------------------------------------
    Bad("api key: unknown field", "POST", "/settings/api-keys", {"name": "ci", "expires": "never"}, field="expires"),
    Bad("api key: unknown scope", "POST", "/settings/api-keys", {"scopes": ["root"]}, field="scopes[0]"),
    Bad("api key: no scopes", "POST", "/settings/api-keys", {"scopes": []}, field="scopes"),
    Bad("api key: scopes is a string", "POST", "/settings/api-keys", {"scopes": "read"}, field="scopes"),
    Bad("api key: empty name", "POST", "/settings/api-keys", {"name": ""}, field="name"),
    Bad("api key: malformed JSON", "POST", "/settings/api-keys", Raw(b'{"name": "ci"'), 400, "MALFORMED_JSON"),
    Bad("api key: array instead of object", "POST", "/settings/api-keys", ["read"], field=""),
    # -- query parameters ------------------------------------------------------------------------
    Bad("clients: limit over 100", "GET", "/clients?limit=101", field="limit"),
    Bad("clients: limit 0", "GET", "/clients?limit=0", field="limit"),
    Bad("clients: negative offset", "GET", "/clients?offset=-1", field="offset"),
    Bad("clients: NUL character in q", "GET", "/clients?q=%00", field="q"),
    Bad("products: NUL character in q", "GET", "/products?q=a%00b", field="q"),
    Bad("products: limit over 100", "GET", "/products?limit=500", field="limit"),
    Bad("products: limit not a number", "GET", "/products?limit=ten", field="limit"),
    Bad("invoices: limit over 100", "GET", "/invoices?limit=101", field="limit"),
    Bad("invoices: offset beyond any count", "GET", "/invoices?offset=99999999999999999999", field="offset"),
    Bad("invoices: unknown status", "GET", "/invoices?status=overpaid", field="status"),
    Bad("invoices: bad from date", "GET", "/invoices?from=2026-02-30", field="from"),
    Bad("invoices: bad to date", "GET", "/invoices?to=yesterday", field="to"),
    Bad("invoices: bad updated_since", "GET", "/invoices?updated_since=last-week", field="updated_since"),
    Bad("invoices: client_id not a UUID", "GET", "/invoices?client_id=42", field="client_id"),
    Bad("invoices: finalized not a bool", "GET", "/invoices?finalized=maybe", field="finalized"),
    Bad("invoices: unknown sort", "GET", "/invoices?sort=amount", field="sort"),
    Bad("invoices: type other than invoice", "GET", "/invoices?type=estimate", field="type"),
    Bad("documents: unknown type", "GET", "/documents?type=receipt", field="type"),
    Bad("documents: limit over 100", "GET", "/documents?limit=1000", field="limit"),
    Bad("documents: bad from date", "GET", "/documents?from=01.02.2026", field="from"),
    # -- ids in the path that are not UUIDs --------------------------------------------------------
    *[
        Bad(f"{method} {path}: not a UUID", method, path, body, 404, "NOT_FOUND")
        for method, path, body in [
            ("GET", "/clients/42", None), ("PATCH", "/clients/42", {"name": "X"}), ("DELETE", "/clients/42", None),
            ("GET", "/products/abc", None), ("PATCH", "/products/abc", {"title": "X"}), ("DELETE", "/products/abc", None),
            ("GET", "/invoices/INV-2026-0001", None), ("PATCH", "/invoices/INV-2026-0001", {"notes": "x"}),
            ("DELETE", "/invoices/INV-2026-0001", None), ("POST", "/invoices/INV-2026-0001/finalize", None),
            ("GET", "/documents/1", None), ("PATCH", "/documents/1", {"notes": "x"}),
            ("DELETE", "/documents/1", None), ("POST", "/documents/1/finalize", None),
            ("DELETE", "/settings/api-keys/bw_abc", None),
        ]
    ],
]


@dataclass
class World:
    api: Api
    account_id: str
    ids: dict[str, str]
    db: asyncpg.Connection


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def world(stack: Stack) -> AsyncIterator[World]:
    """One account with a client, a product and a draft invoice to aim bad requests at."""
    api = await ready_account(stack, f"Bad Input {secrets.token_hex(3)}")
    admin_key = (await api.get("/settings/api-keys")).json()[0]
    client = await api.post("/clients", json=BUYER | {"client_number": "BAD-1"})
    product = await api.post("/products", json={"title": "Widget", "net_price": "10"})
    draft = await api.post("/invoices", json={"client_id": client.json()["id"], "lines": [line()]})
    for response in (client, product, draft):
        assert response.status_code == 201, response.text
    ids = {"client": client.json()["id"], "product": product.json()["id"], "invoice": draft.json()["id"]}
    db = await asyncpg.connect(stack.database_url)
    try:
        account_id = await db.fetchval("SELECT account_id FROM invoices.api_keys WHERE id = $1", admin_key["id"])
        yield World(api, str(account_id), ids, db)
    finally:
        await db.close()


async def account_rows(world: World) -> dict[str, Any]:
    """A fingerprint of every row the account owns; any write changes it."""
    rows: dict[str, Any] = {}
    for table in ("clients", "products", "documents", "api_keys", "number_series", "idempotency_keys"):
        rows[table] = await world.db.fetchval(
            f"SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '')"
            f" FROM invoices.{table} t WHERE account_id = $1",
            world.account_id,
        )
    rows["audit_log"] = await world.db.fetchval("SELECT count(*) FROM invoices.audit_log WHERE account_id = $1", world.account_id)
    rows["profile"] = await world.db.fetchval("SELECT profile::text FROM invoices.accounts WHERE id = $1", world.account_id)
    return rows


def fill(value: Any, ids: dict[str, str]) -> Any:
    """Replace "{client}"-style placeholders in a body with the prepared ids."""
    if isinstance(value, str) and value.startswith("{") and value.endswith("}") and value[1:-1] in ids:
        return ids[value[1:-1]]
    if isinstance(value, list):
        return [fill(item, ids) for item in value]
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    return value


def error_of(response) -> dict[str, Any]:
    """The `error` object, after checking the body is exactly {"error": {code, message, details}}."""
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "details"}, error
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], list)
    for detail in error["details"]:
        assert set(detail) == {"field", "message"}, detail
        assert isinstance(detail["field"], str) and isinstance(detail["message"], str) and detail["message"]
    return error


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
async def test_bad_request_is_refused_and_writes_nothing(world: World, case: Bad) -> None:
    before = await account_rows(world)
    path = case.path.format(**world.ids)
    if isinstance(case.body, Raw):
        response = await world.api.request(case.method, path, content=case.body.content, headers={"Content-Type": "application/json"})
    else:
        response = await world.api.request(case.method, path, json=fill(case.body, world.ids))

    assert response.status_code < 500, response.text
    assert response.status_code == case.status, response.text
    error = error_of(response)
    assert error["code"] == case.code, error
    if case.field is not None:
        wanted = {case.field} if isinstance(case.field, str) else set(case.field)
        assert wanted & {detail["field"] for detail in error["details"]}, error
    assert await account_rows(world) == before, "a refused request changed the account's data"

