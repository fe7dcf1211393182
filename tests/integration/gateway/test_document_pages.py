"""Document lists paged by cursor through the gateway: every document exactly once, in the list's
order, while others are being created; and the CSV export, read from narrow rows in SQL, byte for
byte what the documents themselves give."""

from __future__ import annotations

import asyncio
import csv
import io
from typing import Any

import msgspec

from billwire_gateway.export import DOCUMENT_COLUMNS, LINE_COLUMNS, document_row, line_rows
from billwire_shared.contracts.documents import Document
from tests.stack import BUYER, Api, ready_account


async def walk(api: Api, path: str, between_pages: Any = None, **params: Any) -> list[dict]:
    """Every item of a list, page after page by `next_cursor`; `between_pages` runs after each page."""
    items: list[dict] = []
    cursor = None
    while True:
        response = await api.get(path, params=params | ({"cursor": cursor} if cursor else {}))
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
        assert len(page["items"]) == params["limit"]
        if between_pages:
            await between_pages()


async def drafts(api: Api, count: int, **body: Any) -> list[dict]:
    made = []
    for i in range(count):
        response = await api.post("/invoices", json={"client": BUYER, "lines": [{"description": f"Work {i}", "unit_price": "10"}]} | body)
        assert response.status_code == 201, response.text
        made.append(response.json())
    return made


async def test_cursor_pages_give_every_document_once_while_others_are_created(stack) -> None:
    api = await ready_account(stack, "Cursor GmbH")
    before = {d["id"] for d in await drafts(api, 23)}
    created_meanwhile: list[dict] = []

    async def create_two() -> None:
        for made in await asyncio.gather(drafts(api, 1), drafts(api, 1)):
            created_meanwhile.extend(made)

    walked = await walk(api, "/invoices", create_two, limit=4)
    ids = [d["id"] for d in walked]
    assert len(ids) == len(set(ids)), "a document came twice"
    assert set(ids) == before, "a document was skipped (or a newer one came in the old order)"
    assert [d["created_at"] for d in walked] == sorted((d["created_at"] for d in walked), reverse=True)
    assert len(created_meanwhile) >= 10

    # The same walk by offset, with documents created between its pages, repeats some: what the cursor prevents.
    by_offset: list[str] = []
    for offset in range(0, 24, 4):
        by_offset += [d["id"] for d in (await api.get("/invoices", params={"limit": 4, "offset": offset})).json()["items"]]
        await drafts(api, 2)
    assert len(by_offset) > len(set(by_offset))


async def test_cursor_pages_follow_every_sort_with_drafts_that_have_no_number_or_date(stack) -> None:
    api = await ready_account(stack, "Sorts GmbH")
    made = await drafts(api, 4)  # no number, no issue date
    for day, doc in zip(["2026-01-05", "2026-01-05", "2026-02-01", "2025-12-31", "2026-01-05"], await drafts(api, 5), strict=True):
        assert (await api.patch(f"/invoices/{doc['id']}", json={"issue_date": day})).status_code == 200
        made.append((await api.post(f"/invoices/{doc['id']}/finalize")).json())
    for sort in ("-created_at", "created_at", "date", "-date", "number", "-number"):
        whole = (await api.get("/invoices", params={"sort": sort, "limit": 100})).json()
        assert whole["next_cursor"] is None and whole["total"] == 9
        for limit in (1, 2, 4):
            walked = await walk(api, "/invoices", sort=sort, limit=limit)
            assert [d["id"] for d in walked] == [d["id"] for d in whole["items"]], (sort, limit)
    # Filters apply to every page; the total is of all matches.
    page = (await api.get("/invoices", params={"finalized": "true", "limit": 2, "sort": "date"})).json()
    assert page["total"] == 5 and page["next_cursor"]
    rest = (await api.get("/invoices", params={"finalized": "true", "limit": 100, "sort": "date", "cursor": page["next_cursor"]})).json()
    assert rest["total"] == 5 and len(rest["items"]) == 3 and rest["next_cursor"] is None


async def test_a_bad_cursor_or_a_cursor_with_an_offset_is_refused_naming_it(stack) -> None:
    api = await ready_account(stack, "Bad Cursor GmbH")
    await drafts(api, 3)
    cursor = (await api.get("/invoices", params={"limit": 1})).json()["next_cursor"]
    for params, field in (
        ({"cursor": "not-a-cursor"}, "cursor"), ({"cursor": cursor[:-4] + "AAAA"}, "cursor"),
        ({"cursor": cursor, "sort": "number"}, "cursor"), ({"cursor": cursor, "offset": 1}, "offset"),
    ):
        response = await api.get("/invoices", params=params)
        assert response.status_code == 400, (params, response.text)
        assert [d["field"] for d in response.json()["error"]["details"]] == [field], response.text


def expected_csv(documents: list[Document], lines: bool) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(LINE_COLUMNS if lines else DOCUMENT_COLUMNS)
    for doc in sorted(documents, key=lambda d: (d.created_at, d.id)):
        writer.writerows(line_rows(doc) if lines else [document_row(doc)])
    return buffer.getvalue()


async def test_the_export_is_byte_for_byte_what_the_documents_give(stack) -> None:
    api = await ready_account(stack, "Export Rows GmbH")
    client = await api.post("/clients", json=BUYER | {"name": "=HYPERLINK(\"x\")", "client_number": "+49 30"})
    assert client.status_code == 201, client.text
    client = client.json()
    lines = [{"description": "-Design,\n\"phase\" 1", "quantity": "1.5", "unit": "h", "unit_price": "80.125", "discount_rate": "2.5"},
             {"description": "Hosting", "quantity": "12", "unit_price": "0.10", "tax_rate": "7"}]
    plain = await drafts(api, 1)
    invoice = await api.post("/invoices", json={"client_id": client["id"], "currency": "CHF", "lines": lines})
    assert invoice.status_code == 201, invoice.text
    invoice = invoice.json()
    invoice = (await api.post(f"/invoices/{invoice['id']}/finalize")).json()
    assert (await api.post(f"/invoices/{invoice['id']}/payments", json={"amount": "10.01"})).status_code == 201
    cancelled = (await api.post(f"/invoices/{(await drafts(api, 1))[0]['id']}/finalize")).json()
    assert (await api.post(f"/invoices/{cancelled['id']}/cancel", json={"reason": "wrong"})).status_code in (200, 201)
    estimate = await api.post("/documents", json={"type": "estimate", "client": BUYER | {"name": "@Estimated"}, "lines": lines})
    assert estimate.status_code == 201 and plain

    documents = [msgspec.convert(d, Document, strict=False) for d in (await api.get("/documents", params={"limit": 100})).json()["items"]]
    assert {d.type for d in documents} == {"invoice", "credit_note", "estimate"}
    for lines_too in (False, True):
        exported = await api.get("/documents/export", params={"lines": "true"} if lines_too else {})
        assert exported.status_code == 200
        assert exported.text == expected_csv(documents, lines_too)
    invoices = [d for d in documents if d.type == "invoice" and d.status == "open"]
    exported = await api.get("/invoices/export", params={"status": "open"})
    assert exported.text == expected_csv(invoices, False) and len(invoices) == 1
