"""Upgrading over data stored before single-line fields were checked: rows with CR, LF or U+2028
in a client's name and address, a profile's address and number pattern, a document's buyer
address, a product's title fail to load (the contracts that decode them now refuse line
breaks); migration 0013 folds those characters to spaces and they load again, while multi-line
fields (notes, line descriptions) keep their line breaks."""

from __future__ import annotations

import json
import uuid

import asyncpg

from billwire_invoices.app import MIGRATIONS
from billwire_shared.migrate import migrate
from tests.stack import BUYER, Stack, created, ready_account

MIGRATION = "0013_single_line_fields.sql"


async def test_legacy_rows_with_line_breaks_in_single_line_fields_load_after_the_migration(stack: Stack) -> None:
    api = await ready_account(stack, "Legacy GmbH")
    document = await created(api, "/invoices", {
        "client": BUYER, "notes": "Thank you.\nSee you soon.",
        "lines": [{"description": "Design\nand build", "unit": "h", "quantity": "2", "unit_price": "50"}],
    })
    product = await created(api, "/products", {"title": "Widget", "net_price": "10"})
    client_id = uuid.uuid4()

    conn = await asyncpg.connect(stack.database_url, server_settings={"search_path": "invoices"})
    try:
        account_id = await conn.fetchval("SELECT account_id FROM documents WHERE id = $1", uuid.UUID(document["id"]))
        # A client stored as it was accepted before: CRLF in its name, LF and U+2028 in its address.
        client = {
            "id": str(client_id), "name": "Globex\r\nCorporation", "email": "ap@globex.example", "client_number": "K-\n77",
            "address": {"street": "Main Street 5\nBuilding B", "zip": "12345", "city": "Spring\u2028field", "country": "US"},
            "created_at": "2026-11-01T10:00:00Z", "updated_at": "2026-11-01T10:00:00Z",
        }
        await conn.execute(
            "INSERT INTO clients (id, account_id, name, email, client_number, data) VALUES ($1, $2, $3, $4, $5, $6::jsonb)",
            client_id, account_id, client["name"], client["email"], client["client_number"], json.dumps(client),
        )
        await conn.execute(
            "UPDATE accounts SET profile = jsonb_set(jsonb_set(profile, '{address,street}', to_jsonb($2::text)),"
            " '{number_series}', $3::jsonb) WHERE id = $1",
            account_id, "Hauptstraße 1\r\nHinterhaus", json.dumps({"invoice": {"pattern": "INV-\n{YYYY}-{SEQ:4}", "yearly_reset": True}}),
        )
        await conn.execute(
            "UPDATE documents SET data = jsonb_set(data, '{client,address,street}', to_jsonb($2::text)) WHERE id = $1",
            uuid.UUID(document["id"]), "Main Street 5\u2029Building B",
        )
        await conn.execute(
            "UPDATE products SET title = $2, data = jsonb_set(data, '{title}', to_jsonb($2::text)) WHERE id = $1",
            uuid.UUID(product["id"]), "Widget\tdeluxe",
        )

        for path in (f"/clients/{client_id}", "/settings/profile", f"/invoices/{document['id']}"):
            assert (await api.get(path)).status_code >= 500, path  # what an upgrade without the migration would do

        await conn.execute("DELETE FROM schema_migrations WHERE name = $1", MIGRATION)  # as before the upgrade
    finally:
        await conn.close()
    assert await migrate(stack.database_url, "invoices", MIGRATIONS) == [MIGRATION]

    loaded = await api.get(f"/clients/{client_id}")
    assert loaded.status_code == 200, loaded.text
    assert loaded.json()["name"] == "Globex  Corporation" and loaded.json()["client_number"] == "K- 77"
    assert loaded.json()["address"]["street"] == "Main Street 5 Building B"
    assert loaded.json()["address"]["city"] == "Spring field"
    listed = (await api.get("/clients", params={"q": "Globex  Corporation"})).json()["items"]
    assert [c["id"] for c in listed] == [str(client_id)]  # the columns were folded too

    profile = await api.get("/settings/profile")
    assert profile.status_code == 200, profile.text
    assert profile.json()["address"]["street"] == "Hauptstraße 1  Hinterhaus"
    assert profile.json()["number_series"]["invoice"]["pattern"] == "INV- {YYYY}-{SEQ:4}"

    invoice = await api.get(f"/invoices/{document['id']}")
    assert invoice.status_code == 200, invoice.text
    assert invoice.json()["client"]["address"]["street"] == "Main Street 5 Building B"
    assert invoice.json()["notes"] == "Thank you.\nSee you soon."  # multi-line fields keep their lines
    assert invoice.json()["lines"][0]["description"] == "Design\nand build"

    assert (await api.get(f"/products/{product['id']}")).json()["title"] == "Widget deluxe"
