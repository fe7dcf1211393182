"""The request bodies both scenarios send."""

from __future__ import annotations

import json

CLIENT = {
    "name": "Globex",
    "email": "ap@globex.example",
    "address": {"street": "Main St 5", "zip": "12345", "city": "Springfield", "country": "US"},
}

LINE = {"description": "Consulting", "quantity": "10", "unit": "h", "unit_price": "150.00", "tax_rate": "19"}
LINES_PER_INVOICE = 5


def invoice_body(client_id: str) -> bytes:
    """`POST /invoices` JSON: one client and five lines."""
    body = {"client_id": client_id, "lines": [dict(LINE) for _ in range(LINES_PER_INVOICE)]}
    return json.dumps(body, separators=(",", ":")).encode()
