"""CSV exports cannot carry formulas: a text cell that a spreadsheet would read as one (it starts
with =, +, -, @, a tab or a carriage return) is prefixed with an apostrophe, as OWASP
recommends; amounts stay numbers, negative ones included."""

from __future__ import annotations

import csv
import io

from tests.stack import BUYER, Stack, ready_account

FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1:A9)"]
DESCRIPTIONS = ["\t=1+2", "\r=cmd|' /C calc'!A0", "=2*3", "Plain words"]
STARTS = ("=", "+", "-", "@", "\t", "\r")


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


async def test_every_export_neutralizes_formula_cells(stack: Stack) -> None:
    api = await ready_account(stack, "Formula GmbH")
    for name in FORMULAS:
        lines = [{"description": description, "unit_price": "10"} for description in DESCRIPTIONS]
        created = await api.post("/invoices", json={"client": BUYER | {"name": name, "client_number": name}, "lines": lines})
        assert created.status_code == 201, created.text
        assert (await api.post(f"/invoices/{created.json()['id']}/finalize")).status_code == 200
    issued = (await api.get("/invoices", params={"limit": 1})).json()["items"][0]
    cancelled = await api.post(f"/invoices/{issued['id']}/cancel", json={"reason": "=1+1"})
    assert cancelled.status_code == 201, cancelled.text

    exports = {}
    for path in ("/invoices/export", "/documents/export"):
        for lines in ("false", "true"):
            response = await api.get(path, params={"lines": lines})
            assert response.status_code == 200, response.text
            exports[f"{path}?lines={lines}"] = rows(response.text)
    for where, table in exports.items():
        assert table, where
        for row in table:
            for column, value in row.items():
                if column in ("net", "tax", "gross", "amount_paid", "balance_due", "quantity", "unit_price", "net_amount"):
                    continue
                assert not value.startswith(STARTS), (where, column, value)
    names = {row["client_name"] for row in exports["/invoices/export?lines=false"]}
    assert names == {"'" + name for name in FORMULAS}
    descriptions = {row["description"] for row in exports["/documents/export?lines=true"]}
    assert descriptions >= {"'\t=1+2", "'\r=cmd|' /C calc'!A0", "'=2*3", "Plain words"}
    credit_notes = [row for row in exports["/documents/export?lines=false"] if row["type"] == "credit_note"]
    assert credit_notes and all(row["gross"].startswith("-") for row in credit_notes)  # amounts stay numbers
