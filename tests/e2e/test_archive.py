"""The tax-audit archive (GoBD) through the real gateway, invoices and rendering (Chromium):
a year's issued documents as sent, the index, payments, audit log and manifest in one ZIP,
and the same archive from `billwire archive`."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from billwire_rendering.app import RenderingService
from tests.integration.test_cli import billwire
from tests.stack import BUYER, Stack, ready_account

YEAR = datetime.now(UTC).year
LINES = [
    {"description": "Consulting", "quantity": "10", "unit": "h", "unit_price": "150"},
    {"description": "Handbook", "quantity": "2", "unit_price": "19.99", "tax_rate": "7"},
]
CITY = {
    "name": "Stadt Köln", "email": "rechnung@stadt-koeln.example", "buyer_reference": "05315-12345-67",
    "address": {"street": "Willy-Brandt-Platz 2", "zip": "50679", "city": "Köln", "country": "DE"},
}


async def issued(api, body: dict) -> dict:
    created = await api.post("/invoices", json=body)
    assert created.status_code == 201, created.text
    finalized = await api.post(f"/invoices/{created.json()['id']}/finalize")
    assert finalized.status_code == 200, finalized.text
    return finalized.json()


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None  # every member's CRC checks
        return {name: archive.read(name) for name in archive.namelist()}


def checked_against_manifest(files: dict[str, bytes]) -> None:
    """SHA256SUMS names every other file with its hash, as `sha256sum -c` would check it."""
    listed = dict(reversed(line.split("  ", 1)) for line in files["SHA256SUMS"].decode().splitlines())
    assert set(listed) == set(files) - {"SHA256SUMS"}
    for name, digest in listed.items():
        assert hashlib.sha256(files[name]).hexdigest() == digest, name
    manifest = json.loads(files["manifest.json"])
    assert {entry["path"]: entry["sha256"] for entry in manifest["files"]} == {
        name: digest for name, digest in listed.items() if name != "manifest.json"
    }


async def test_a_years_archive_holds_every_issued_document_as_sent_with_index_payments_and_audit_log(
    stack: Stack, rendering: RenderingService, tmp_path: Path,
) -> None:
    api = await ready_account(stack, "Archiv GmbH")
    assert (await api.patch("/settings/profile", json={"contact_name": "Anna Muster", "phone": "+49 30 1234567"})).status_code == 200
    paid = await issued(api, {"client": BUYER | {"vat_id": "DE136695976"}, "lines": LINES})
    assert (await api.post(f"/invoices/{paid['id']}/payments", json={"amount": "500.00", "date": f"{YEAR}-01-02"})).status_code == 201
    city = (await api.post("/clients", json=CITY | {"export_type": "xrechnung"})).json()
    e_invoice = await issued(api, {"client_id": city["id"], "lines": LINES[:1]})
    cancelled = await issued(api, {"client": BUYER | {"name": "=HYPERLINK(\"http://evil\")"}, "lines": LINES[:1]})
    cancel = await api.post(f"/invoices/{cancelled['id']}/cancel", json={"reason": "wrong client"})
    assert cancel.status_code == 201, cancel.text
    draft = (await api.post("/invoices", json={"client": BUYER, "lines": LINES})).json()
    other = await ready_account(stack, "Fremd AG")
    foreign = await issued(other, {"client": BUYER, "lines": LINES})

    response = await api.get("/archive", params={"year": YEAR})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"] == f'attachment; filename="billwire-archive-{YEAR}.zip"'
    files = members(response.content)
    checked_against_manifest(files)

    documents = (await api.get("/documents", params={"finalized": "true", "limit": 100})).json()["items"]
    credit_note = next(doc for doc in documents if doc["type"] == "credit_note")
    index = json.loads(files["index.json"])
    assert {entry["number"] for entry in index} == {paid["number"], e_invoice["number"], cancelled["number"], credit_note["number"]}
    assert draft["id"] not in {entry["id"] for entry in index} and foreign["id"] not in {entry["id"] for entry in index}
    for doc in (paid, e_invoice, cancelled, credit_note):
        pdf = (await api.get(f"/documents/{doc['id']}/pdf")).content
        path = f"documents/{doc['type']}/{doc['number']}.pdf"
        assert files[path] == pdf  # the stored bytes, exactly as sent
        entry = next(entry for entry in index if entry["id"] == doc["id"])
        assert {"kind": "pdf", "path": path, "sha256": hashlib.sha256(pdf).hexdigest()} in entry["files"]
    xml = (await api.get(f"/invoices/{e_invoice['id']}/xml")).content
    assert files[f"documents/invoice/{e_invoice['number']}.xml"] == xml and b"05315-12345-67" in xml

    rows = list(csv.DictReader(io.StringIO(files["index.csv"].decode())))
    by_rate = {(row["number"], row["tax_rate"]): row for row in rows}
    assert by_rate[(paid["number"], "19")]["rate_net"] == "1500.00" and by_rate[(paid["number"], "19")]["rate_tax"] == "285.00"
    assert by_rate[(paid["number"], "7")]["rate_gross"] == "42.78" and by_rate[(paid["number"], "7")]["gross"] == "1827.78"
    assert by_rate[(paid["number"], "19")]["client_vat_id"] == "DE136695976"
    assert {row["client_name"] for row in rows if row["number"] == cancelled["number"]} == {"'=HYPERLINK(\"http://evil\")"}
    assert {row["status"] for row in rows if row["number"] == cancelled["number"]} == {"cancelled"}

    payments = list(csv.DictReader(io.StringIO(files["payments.csv"].decode())))
    assert [(p["document_number"], p["amount"], p["date"]) for p in payments] == [(paid["number"], "500.00", f"{YEAR}-01-02")]
    assert json.loads(files["payments.json"])[0]["document_id"] == paid["id"]

    audit = [json.loads(line) for line in files["audit-log.jsonl"].decode().splitlines()]
    finalized = [entry for entry in audit if entry["entity_id"] == paid["id"] and entry["action"] == "finalize"]
    assert finalized and finalized[0]["after"]["number"] == paid["number"]
    assert foreign["id"] not in files["audit-log.jsonl"].decode()

    empty = members((await api.get("/archive", params={"year": YEAR - 30})).content)
    assert json.loads(empty["index.json"]) == [] and not any(name.startswith("documents/") for name in empty)
    checked_against_manifest(empty)
    for bad in ({"year": "twenty"}, {}, {"year": 99999}):
        refused = await api.get("/archive", params=bad)
        assert refused.status_code in (400, 422) and "year" in refused.text, refused.text

    assert stack.invoices.pool is not None
    account_id = str(await stack.invoices.pool.fetchval("SELECT account_id FROM invoices.documents WHERE id = $1", paid["id"]))
    out = await billwire(stack, "archive", "--account", account_id, "--year", str(YEAR), "--output", str(tmp_path / "a.zip"))
    assert "(4 documents" in out, out
    from_cli = members((tmp_path / "a.zip").read_bytes())
    checked_against_manifest(from_cli)
    assert {name: data for name, data in from_cli.items() if name.startswith("documents/")} == {
        name: data for name, data in files.items() if name.startswith("documents/")
    }


async def test_the_last_year_there_is_gives_a_whole_archive(stack: Stack) -> None:
    """9999 ends where Python's dates do: its payments and audit log are read up to Postgres' year's end."""
    api = await ready_account(stack)
    response = await api.get("/archive", params={"year": 9999})
    assert response.status_code == 200, response.text
    files = members(response.content)
    assert json.loads(files["index.json"]) == []  # nothing issued in 9999, and the ZIP is whole
