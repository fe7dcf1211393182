"""One key never sees another account's data: B aims every endpoint at A's ids and finds nothing.

Account A has a client, a product, a finalized invoice, a draft estimate and an extra API key.
Account B, with its own admin key, reads, changes, deletes, finalizes and revokes them by id,
and references them in its own documents; every attempt is "not found", and A's data, read
back through A's API, is exactly as before. B's lists and searches never show A's items.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio

from tests.stack import BUYER, Api, Stack, created, ready_account


@dataclass
class Accounts:
    a: Api
    a_reader: Api  # A's extra key
    b: Api
    tag: str  # in the names of A's client and product
    ids: dict[str, str]  # A's ids, plus B's own draft as "b_draft"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def accounts(stack: Stack) -> AsyncIterator[Accounts]:
    tag = secrets.token_hex(4)
    a = await ready_account(stack, f"Alpha {tag}")
    client = await created(a, "/clients", BUYER | {
        "name": f"Isolated Client {tag}", "email": f"owner-{tag}@alpha.example", "client_number": f"A-{tag}",
    })
    product = await created(a, "/products", {"title": f"Isolated Product {tag}", "description": f"secret {tag}", "net_price": "42"})
    invoice = await created(a, "/invoices", {"client_id": client["id"], "lines": [{"product_id": product["id"]}]})
    finalized = await a.post(f"/invoices/{invoice['id']}/finalize")
    assert finalized.status_code == 200, finalized.text
    estimate = await created(a, "/documents", {"type": "estimate", "client_id": client["id"], "lines": [{"product_id": product["id"]}]})
    reader = await created(a, "/settings/api-keys", {"name": f"reader {tag}", "scopes": ["read"]})
    admin_key_id = next(k["id"] for k in (await a.get("/settings/api-keys")).json() if k["id"] != reader["id"])

    b = await ready_account(stack, f"Bravo {tag}")
    b_draft = await created(b, "/invoices", {"client": BUYER, "lines": [{"description": "B's work", "unit_price": "1"}]})
    yield Accounts(a, stack.api(reader["key"]), b, tag, {
        "client": client["id"], "product": product["id"], "invoice": invoice["id"], "estimate": estimate["id"],
        "key": reader["id"], "admin_key": admin_key_id, "b_draft": b_draft["id"],
    })


async def view_of_a(acc: Accounts) -> dict[str, Any]:
    """Everything of A's that B's probes could touch, read through A's own API."""
    ids = acc.ids
    view = {
        "client": await acc.a.get(f"/clients/{ids['client']}"),
        "product": await acc.a.get(f"/products/{ids['product']}"),
        "invoice": await acc.a.get(f"/invoices/{ids['invoice']}"),
        "estimate": await acc.a.get(f"/documents/{ids['estimate']}"),
        "keys": await acc.a.get("/settings/api-keys"),
        "profile": await acc.a.get("/settings/profile"),
        "clients": await acc.a.get("/clients"),
        "products": await acc.a.get("/products"),
        "documents": await acc.a.get("/documents"),
        "reader key works": await acc.a_reader.get("/clients"),
    }
    for name, response in view.items():
        assert response.status_code == 200, f"{name}: {response.text}"
    return {name: response.json() for name, response in view.items()}


async def totals_of_b(acc: Accounts) -> dict[str, int]:
    return {path: (await acc.b.get(path)).json()["total"] for path in ("/clients", "/products", "/documents")}


def refused(code: str, path: str, status: int = 404, **bodies: Any) -> list[tuple[str, str, Any, int, str]]:
    """B's requests (one per method, with its body) to a path with A's ids, and the refusal each gets."""
    return [(method, path, body, status, code) for method, body in bodies.items()]


PROBES = [
    *refused("CLIENT_NOT_FOUND", "/clients/{client}", GET=None, PATCH={"name": "Taken over"}, DELETE=None),
    *refused("PRODUCT_NOT_FOUND", "/products/{product}", GET=None, PATCH={"net_price": "0"}, DELETE=None),
    *refused("DOCUMENT_NOT_FOUND", "/invoices/{invoice}", GET=None, PATCH={"notes": "mine now"}, DELETE=None),
    *refused("DOCUMENT_NOT_FOUND", "/invoices/{invoice}/finalize", POST=None),
    *refused("DOCUMENT_NOT_FOUND", "/documents/{invoice}", GET=None),
    *refused("DOCUMENT_NOT_FOUND", "/documents/{estimate}", GET=None, PATCH={"notes": "mine now"}, DELETE=None),
    *refused("DOCUMENT_NOT_FOUND", "/documents/{estimate}/finalize", POST=None),
    *refused("DOCUMENT_NOT_FOUND", "/invoices/{invoice}/send", POST={}),
    *refused("DOCUMENT_NOT_FOUND", "/invoices/{invoice}/sends", GET=None),
    *refused("DOCUMENT_NOT_FOUND", "/invoices/{invoice}/payments", POST={"amount": "1"}, GET=None),
    *refused("DOCUMENT_NOT_FOUND", "/invoices/{invoice}/mark-paid", POST=None),
    *refused("DOCUMENT_NOT_FOUND", "/invoices/{invoice}/mark-unpaid", POST=None),
    *refused("DOCUMENT_NOT_FOUND", "/invoices/{invoice}/cancel", POST={"reason": "mine now"}),
    *refused("DOCUMENT_NOT_FOUND", "/documents/{invoice}/duplicate", POST=None),
    *refused("DOCUMENT_NOT_FOUND", "/estimates/{estimate}/convert", POST=None),
    *refused("API_KEY_NOT_FOUND", "/settings/api-keys/{key}", DELETE=None),
    *refused("API_KEY_NOT_FOUND", "/settings/api-keys/{admin_key}", DELETE=None),
    # A's ids as references inside B's own requests:
    *refused("CLIENT_NOT_FOUND", "/invoices", 422, POST={"client_id": "{client}"}),
    *refused("CLIENT_NOT_FOUND", "/invoices/{b_draft}", 422, PATCH={"client_id": "{client}"}),
    *refused("VALIDATION_ERROR", "/documents", 422, POST={"type": "estimate", "client": BUYER, "lines": [{"product_id": "{product}"}]}),
    *refused("VALIDATION_ERROR", "/invoices/{b_draft}", 422, PATCH={"lines": [{"product_id": "{product}"}]}),
]


def with_ids(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    if isinstance(value, dict):
        return {k: with_ids(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [with_ids(item, ids) for item in value]
    return value


def probe_id(probe: tuple) -> str:
    method, path, body = probe[:3]
    return f"{method} {path}" + (f" {sorted(body)}" if body else "")


@pytest.mark.parametrize(("method", "path", "body", "status", "code"), PROBES, ids=[probe_id(p) for p in PROBES])
async def test_b_cannot_reach_a_by_id(accounts: Accounts, method: str, path: str, body: Any, status: int, code: str) -> None:
    a_before, b_before = await view_of_a(accounts), await totals_of_b(accounts)
    b_draft_before = (await accounts.b.get(f"/invoices/{accounts.ids['b_draft']}")).json()

    response = await accounts.b.request(method, path.format(**accounts.ids), json=with_ids(body, accounts.ids))

    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert accounts.tag not in response.text, "the refusal shows A's data"
    assert await view_of_a(accounts) == a_before, "B's request changed A's data"
    assert await totals_of_b(accounts) == b_before, "B's refused request created something"
    assert (await accounts.b.get(f"/invoices/{accounts.ids['b_draft']}")).json() == b_draft_before


async def test_b_lists_and_searches_never_show_a(accounts: Accounts) -> None:
    tag, ids = accounts.tag, accounts.ids
    a_ids = {ids["client"], ids["product"], ids["invoice"], ids["estimate"]}
    queries = [
        ("/clients", {}), ("/clients", {"q": f"Isolated Client {tag}"}), ("/clients", {"q": f"owner-{tag}"}),
        ("/clients", {"q": f"A-{tag}"}), ("/clients", {"q": tag}),
        ("/products", {}), ("/products", {"q": f"Isolated Product {tag}"}), ("/products", {"q": f"secret {tag}"}),
        ("/invoices", {}), ("/invoices", {"client_id": ids["client"]}), ("/invoices", {"status": "open"}),
        ("/documents", {}), ("/documents", {"type": "estimate"}), ("/documents", {"client_id": ids["client"]}),
        ("/documents", {"finalized": "true"}), ("/documents", {"limit": 100}),
    ]
    for path, params in queries:
        # A sees its own items through the same query, so the query itself would find them.
        mine = await accounts.a.get(path, params=params)
        theirs = await accounts.b.get(path, params=params)
        assert mine.status_code == theirs.status_code == 200, (path, params)
        assert {item["id"] for item in mine.json()["items"]} & a_ids, (path, params, "A's own query finds nothing")
        assert not {item["id"] for item in theirs.json()["items"]} & a_ids, (path, params, "B sees A's items")
        assert tag not in theirs.text, (path, params)
        if "q" in params or "client_id" in params:
            assert theirs.json()["total"] == 0, (path, params)

    b_keys = (await accounts.b.get("/settings/api-keys")).json()
    assert not {k["id"] for k in b_keys} & {ids["key"], ids["admin_key"]}
    assert len(b_keys) == 1  # only B's own admin key


async def test_each_key_sees_its_own_profile(accounts: Accounts) -> None:
    tag = accounts.tag
    a_profile = (await accounts.a.get("/settings/profile")).json()
    b_profile = (await accounts.b.get("/settings/profile")).json()
    assert (a_profile["company_name"], b_profile["company_name"]) == (f"Alpha {tag}", f"Bravo {tag}")
    assert (await accounts.a_reader.get("/settings/profile")).json() == a_profile

    changed = await accounts.b.patch("/settings/profile", json={"legal_footer": f"Bravo footer {tag}", "default_tax_rate": "7"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["legal_footer"] == f"Bravo footer {tag}"
    assert (await accounts.a.get("/settings/profile")).json() == a_profile
    assert (await accounts.b.get("/settings/profile")).json()["default_tax_rate"] == "7"
