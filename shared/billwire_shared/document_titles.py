"""The one table of document titles per language and type, printed on the PDF, in a Factur-X
PDF's metadata and in a document's e-mail, so the three never disagree."""

from __future__ import annotations

TITLES: dict[str, dict[str, str]] = {
    "en": {
        "invoice": "Invoice",
        "estimate": "Estimate",
        "credit_note": "Credit note",
        "delivery_note": "Delivery note",
        "order_confirmation": "Order confirmation",
        "purchase_order": "Purchase order",
    },
    "de": {
        "invoice": "Rechnung",
        "estimate": "Angebot",
        "credit_note": "Gutschrift",
        "delivery_note": "Lieferschein",
        "order_confirmation": "Auftragsbestätigung",
        "purchase_order": "Bestellung",
    },
}

# A credit note that cancels an invoice is titled as a cancellation on its PDF.
CANCELLATION_TITLES: dict[str, str] = {"en": "Cancellation invoice", "de": "Stornorechnung"}
