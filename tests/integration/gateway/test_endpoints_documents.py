"""The happy path of the document endpoints (`/invoices` and `/documents`), through the real gateway.

Types, numbering per series, list filters, discounts, reverse charge, finalize checks,
deleting drafts, and the audit trail of a document.
"""

from __future__ import annotations

import asyncpg

from tests.stack import BUYER, Api, Stack, created, ready_account, unique

TYPES = ["invoice", "estimate", "credit_note", "delivery_note", "order_confirmation", "purchase_order"]
PREFIXES = {"invoice": "INV", "estimate": "EST", "credit_note": "CN", "delivery_note": "DN", "order_confirmation": "OC",
            "purchase_order": "PO"}
WORK = {"description": "Work", "quantity": "2", "unit_price": "50"}


async def finalize(api: Api, path: str, doc: dict) -> dict:
    response = await api.post(f"{path}/{doc['id']}/finalize")
    assert response.status_code == 200, response.text
    return response.json()


async def test_every_type_is_created_and_numbered_in_its_own_series(stack: Stack) -> None:
    api = await ready_account(stack, unique("Types GmbH"))
    drafts = {}
    for doc_type in TYPES:
        doc = await created(api, "/documents", {"type": doc_type, "client": BUYER, "lines": [WORK], "issue_date": "2026-06-01"})
        assert (doc["type"], doc["status"], doc["number"]) == (doc_type, "draft", None)
        assert doc["totals"]["gross"] == "119.00"
        drafts[doc_type] = doc

    for doc_type, doc in drafts.items():
        issued = await finalize(api, "/documents", doc)
        assert (issued["status"], issued["number"]) == ("open", f"{PREFIXES[doc_type]}-2026-0001")
    second_invoice = await finalize(api, "/invoices", await created(api, "/invoices", {"client": BUYER, "lines": [WORK], "issue_date": "2026-06-02"}))
    assert second_invoice["number"] == "INV-2026-0002"
    second_note = await created(api, "/documents", {"type": "credit_note", "client": BUYER, "lines": [WORK], "issue_date": "2026-06-02"})
    assert (await finalize(api, "/documents", second_note))["number"] == "CN-2026-0002"

    for doc_type in TYPES:
        listed = (await api.get("/documents", params={"type": doc_type})).json()
        assert {d["type"] for d in listed["items"]} == {doc_type}
        assert listed["total"] == (2 if doc_type in ("invoice", "credit_note") else 1)
    # /invoices holds invoices only: other types are not found there, but are under /documents.
    estimate = drafts["estimate"]
    assert (await api.get(f"/invoices/{estimate['id']}")).status_code == 404
    assert (await api.get(f"/documents/{estimate['id']}")).json()["number"] == "EST-2026-0001"
    assert {d["type"] for d in (await api.get("/invoices")).json()["items"]} == {"invoice"}
    assert (await api.get("/documents")).json()["total"] == len(TYPES) + 2  # a second invoice and credit note


async def test_list_filters_sorting_and_pagination(stack: Stack) -> None:
    api = await ready_account(stack, unique("Lists GmbH"))
    x = await created(api, "/clients", BUYER | {"name": "Client X"})
    y = await created(api, "/clients", BUYER | {"name": "Client Y"})
    inv1 = await created(api, "/invoices", {"client_id": x["id"], "lines": [WORK], "issue_date": "2026-01-10"})
    inv2 = await created(api, "/invoices", {"client_id": y["id"], "lines": [WORK], "issue_date": "2026-02-10"})
    inv3 = await created(api, "/invoices", {"client_id": x["id"], "lines": [WORK], "issue_date": "2026-03-10"})
    est = await created(api, "/documents", {"type": "estimate", "client_id": x["id"], "lines": [WORK], "issue_date": "2026-02-20"})
    await finalize(api, "/invoices", inv1)
    touched = await api.patch(f"/documents/{est['id']}", json={"notes": "updated last"})
    assert touched.status_code == 200, touched.text
    names = {inv1["id"]: "inv1", inv2["id"]: "inv2", inv3["id"]: "inv3", est["id"]: "est"}

    async def listed(path: str, **params) -> tuple[list[str], int]:
        response = await api.get(path, params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        return [names[d["id"]] for d in page["items"]], page["total"]

    assert await listed("/documents") == (["est", "inv3", "inv2", "inv1"], 4)  # newest first by default
    assert await listed("/invoices") == (["inv3", "inv2", "inv1"], 3)
    assert await listed("/documents", type="estimate") == (["est"], 1)
    assert await listed("/invoices", status="open") == (["inv1"], 1)
    assert await listed("/invoices", status="draft") == (["inv3", "inv2"], 2)
    assert await listed("/invoices", status="paid") == ([], 0)
    assert await listed("/invoices", client_id=x["id"]) == (["inv3", "inv1"], 2)
    assert await listed("/documents", client_id=x["id"], type="estimate") == (["est"], 1)
    assert await listed("/documents", **{"from": "2026-02-01", "to": "2026-02-28"}) == (["est", "inv2"], 2)
    assert await listed("/documents", **{"from": "2026-02-20"}) == (["est", "inv3"], 2)
    assert await listed("/documents", to="2026-02-10") == (["inv2", "inv1"], 2)
    assert await listed("/documents", finalized="true") == (["inv1"], 1)
    assert await listed("/documents", finalized="false") == (["est", "inv3", "inv2"], 3)
    assert await listed("/documents", updated_since=touched.json()["updated_at"]) == (["est"], 1)

    assert await listed("/documents", sort="date") == (["inv1", "inv2", "est", "inv3"], 4)
    assert await listed("/documents", sort="-date") == (["inv3", "est", "inv2", "inv1"], 4)
    assert await listed("/documents", sort="created_at") == (["inv1", "inv2", "inv3", "est"], 4)
    assert (await listed("/documents", sort="number"))[0][0] == "inv1"  # the only numbered one; drafts after
    assert await listed("/documents", sort="date", limit=2) == (["inv1", "inv2"], 4)
    assert await listed("/documents", sort="date", limit=2, offset=2) == (["est", "inv3"], 4)
    assert await listed("/documents", sort="-date", limit=3, offset=3) == (["inv1"], 4)
    assert await listed("/documents", sort="date", offset=9) == ([], 4)
    page = (await api.get("/documents", params={"limit": 1, "offset": 2})).json()
    assert (page["limit"], page["offset"], page["total"]) == (1, 2, 4)


async def test_line_and_document_discounts(stack: Stack) -> None:
    api = await ready_account(stack, unique("Discount GmbH"))
    doc = await created(api, "/invoices", {"client": BUYER, "discount_rate": "5", "lines": [
        {"description": "Design", "quantity": "3", "unit_price": "33.33", "discount_rate": "10"},
        {"description": "Print", "quantity": "1", "unit_price": "50", "tax_rate": "7"},
    ]})
    assert [line["net_amount"] for line in doc["lines"]] == ["89.99", "50.00"]  # 99.99 less 10 % = 89.991
    assert doc["discount_rate"] == "5"
    assert doc["totals"] == {
        "lines_net": "139.99", "discount": "7.00", "net": "132.99",
        "taxes": [{"rate": "7", "net": "47.50", "tax": "3.33"}, {"rate": "19", "net": "85.49", "tax": "16.24"}],
        "tax": "19.57", "gross": "152.56",
    }

    # Removing the document discount recomputes every total.
    response = await api.patch(f"/invoices/{doc['id']}", json={"discount_rate": None})
    assert response.status_code == 200, response.text
    totals = response.json()["totals"]
    assert (totals["discount"], totals["net"], totals["tax"], totals["gross"]) == ("0.00", "139.99", "20.60", "160.59")


async def test_reverse_charge_has_no_tax_and_needs_the_buyers_vat_id(stack: Stack) -> None:
    api = await ready_account(stack, unique("Reverse GmbH"))
    doc = await created(api, "/invoices", {"client": BUYER, "vat_regulation": "reverse_charge", "lines": [
        {"description": "Consulting", "quantity": "2", "unit_price": "500"},
    ]})
    assert doc["vat_regulation"] == "reverse_charge"
    assert doc["totals"]["taxes"] == [{"rate": "0", "net": "1000.00", "tax": "0.00"}]
    assert (doc["totals"]["tax"], doc["totals"]["gross"]) == ("0.00", "1000.00")

    refused = await api.post(f"/invoices/{doc['id']}/finalize")
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["code"] == "DOCUMENT_INCOMPLETE"
    assert [d["field"] for d in error["details"]] == ["client.vat_id"]
    assert (await api.get(f"/invoices/{doc['id']}")).json()["status"] == "draft"

    buyer = await created(api, "/clients", BUYER | {"vat_id": "ATU13585627", "vat_regulation": "reverse_charge"})
    assert (await api.patch(f"/invoices/{doc['id']}", json={"client_id": buyer["id"]})).status_code == 200
    issued = await finalize(api, "/invoices", doc)
    assert issued["client"]["vat_id"] == "ATU13585627" and issued["totals"]["gross"] == "1000.00"

    # A client marked reverse charge makes its documents reverse charge by default.
    second = await created(api, "/invoices", {"client_id": buyer["id"], "lines": [WORK]})
    assert second["vat_regulation"] == "reverse_charge" and second["totals"]["tax"] == "0.00"


async def test_finalize_names_every_missing_field(stack: Stack) -> None:
    _, key = await stack.new_account(unique("Empty Profile"))
    api = stack.api(key)
    assert (await api.patch("/settings/profile", json={"company_name": None})).status_code == 200
    doc = await created(api, "/invoices", {"client": {"name": "Someone"}})

    refused = await api.post(f"/invoices/{doc['id']}/finalize")
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["code"] == "DOCUMENT_INCOMPLETE"
    assert sorted(d["field"] for d in error["details"]) == sorted([
        "profile.company_name", "profile.address.street", "profile.address.zip", "profile.address.city",
        "profile.address.country", "profile.vat_id",
        "client.address.street", "client.address.zip", "client.address.city", "client.address.country",
        "lines",
    ])
    assert all(d["message"] for d in error["details"])
    unchanged = (await api.get(f"/invoices/{doc['id']}")).json()
    assert (unchanged["status"], unchanged["number"], unchanged["version"]) == ("draft", None, 1)

    # Once complete it gets the first number: the refusal used none.
    completed = await api.patch("/settings/profile", json={
        "company_name": "Now Complete", "tax_number": "12/345/67890",
        "address": {"street": "Weg 1", "zip": "80331", "city": "München", "country": "DE"},
    })
    assert completed.status_code == 200, completed.text
    filled = await api.patch(f"/invoices/{doc['id']}", json={"client": BUYER, "lines": [WORK], "issue_date": "2026-05-05"})
    assert filled.status_code == 200, filled.text
    assert (await finalize(api, "/invoices", doc))["number"] == "INV-2026-0001"


async def test_a_draft_with_payment_terms_can_be_edited(stack: Stack) -> None:
    api = await ready_account(stack, unique("Edits GmbH"))
    doc = await created(api, "/invoices", {"client": BUYER, "lines": [WORK], "issue_date": "2026-04-01"})
    assert (doc["due_days"], doc["due_date"], doc["version"]) == (14, "2026-04-15", 1)  # the profile's payment terms

    response = await api.patch(f"/invoices/{doc['id']}", json={"lines": [WORK, WORK], "introduction": "As agreed"})
    assert response.status_code == 200, response.text
    edited = response.json()
    assert edited["totals"]["gross"] == "238.00" and edited["introduction"] == "As agreed"
    assert (edited["version"], edited["due_days"], edited["due_date"]) == (2, 14, "2026-04-15")
    assert (await api.get(f"/invoices/{doc['id']}")).json() == edited


async def test_a_due_date_and_payment_terms_replace_each_other(stack: Stack) -> None:
    api = await ready_account(stack, unique("Due GmbH"))
    doc = await created(api, "/invoices", {"client": BUYER, "lines": [WORK]})
    assert (doc["due_days"], doc["due_date"]) == (14, None)

    response = await api.patch(f"/invoices/{doc['id']}", json={"due_date": "2026-04-30"})
    assert response.status_code == 200, response.text
    assert (response.json()["due_days"], response.json()["due_date"]) == (None, "2026-04-30")

    response = await api.patch(f"/invoices/{doc['id']}", json={"issue_date": "2026-04-01", "due_days": 30})
    assert response.status_code == 200, response.text
    assert (response.json()["due_days"], response.json()["due_date"]) == (30, "2026-05-01")


async def test_drafts_can_be_deleted_and_finalized_documents_cannot(stack: Stack) -> None:
    api = await ready_account(stack, unique("Delete GmbH"))
    draft = await created(api, "/invoices", {"client": BUYER, "lines": [WORK]})
    estimate = await created(api, "/documents", {"type": "estimate", "client": BUYER, "lines": [WORK]})
    issued = await finalize(api, "/invoices", await created(api, "/invoices", {"client": BUYER, "lines": [WORK]}))

    assert (await api.delete(f"/invoices/{draft['id']}")).status_code == 204
    assert (await api.get(f"/invoices/{draft['id']}")).status_code == 404
    assert (await api.delete(f"/documents/{estimate['id']}")).status_code == 204
    assert (await api.get(f"/documents/{estimate['id']}")).status_code == 404

    refused = await api.delete(f"/invoices/{issued['id']}")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "DOCUMENT_FINALIZED"
    assert (await api.delete(f"/documents/{issued['id']}")).status_code == 409
    assert (await api.get(f"/invoices/{issued['id']}")).json() == issued
    assert [d["id"] for d in (await api.get("/documents")).json()["items"]] == [issued["id"]]


async def test_audit_log_records_create_update_and_finalize_with_the_key(stack: Stack) -> None:
    api = await ready_account(stack, unique("Audit GmbH"))
    key = await created(api, "/settings/api-keys", {"name": "agent", "scopes": ["read", "write"]})
    agent = stack.api(key["key"])

    doc = await created(agent, "/invoices", {"client": BUYER, "lines": [WORK]})
    assert (await agent.patch(f"/invoices/{doc['id']}", json={"notes": "Thanks!"})).status_code == 200
    issued = await finalize(agent, "/invoices", doc)

    conn = await asyncpg.connect(stack.database_url)
    try:
        rows = await conn.fetch(
            "SELECT action, key_id, entity, after FROM invoices.audit_log WHERE entity_id = $1 ORDER BY id", doc["id"]
        )
    finally:
        await conn.close()
    assert [r["action"] for r in rows] == ["create", "update", "finalize"]
    assert {str(r["key_id"]) for r in rows} == {key["id"]}
    assert {r["entity"] for r in rows} == {"document"}
    assert '"Thanks!"' in rows[1]["after"] and issued["number"] in rows[2]["after"]
