"""docs/asyncapi.json is what the generator makes of the public event catalog, and it says
what a subscriber needs: each public event's subject and its typed envelope."""

from __future__ import annotations

import json
from pathlib import Path

from billwire_shared.asyncapi import REGENERATE, render
from billwire_shared.contracts.public_events import PUBLIC_EVENTS

DOC = Path(__file__).resolve().parents[2] / "docs" / "asyncapi.json"


def test_committed_document_is_in_sync() -> None:
    current = DOC.read_text() if DOC.exists() else ""
    assert current == render(), f"docs/asyncapi.json is out of date: regenerate it with `{REGENERATE}` and commit it"


def test_public_events_are_described_with_typed_payloads() -> None:
    doc = json.loads(render())
    assert doc["asyncapi"].startswith("3.") and doc["servers"]
    schemas, messages = doc["components"]["schemas"], doc["components"]["messages"]
    for name in ("invoice.sent", "invoice.paid", "invoice.payment_recorded", "invoice.overdue", "invoice.cancelled", "client.created"):
        channel = doc["channels"][name]
        assert channel["address"] == f"events.{name}" and doc["operations"][name]["action"] == "send"
        message = messages[channel["messages"]["Message"]["$ref"].rsplit("/", 1)[1]]
        envelope = schemas[message["payload"]["$ref"].rsplit("/", 1)[1]]
        assert envelope["required"] == ["id", "type", "occurred_at", "account_id", "data"]
        assert envelope["properties"]["type"] == {"enum": [name]}
        assert "Nats-Msg-Id" in message["headers"]["properties"]
    assert schemas["InvoicePaidEvent"]["properties"]["data"] == {"$ref": "#/components/schemas/Document"}
    assert schemas["ClientCreatedEvent"]["properties"]["data"] == {"$ref": "#/components/schemas/Client"}
    assert schemas["InvoicePaymentRecordedEvent"]["properties"]["data"] == {"$ref": "#/components/schemas/PaymentRecorded"}
    assert "balance_due" in schemas["Document"]["properties"] and "gross" in schemas["Totals"]["properties"]
    # Every reference resolves inside the document.
    text = json.dumps(doc)
    for ref in {part.split('"')[0] for part in text.split('"$ref": "#/components/schemas/')[1:]}:
        assert ref in schemas, ref
    assert len(doc["channels"]) == len(PUBLIC_EVENTS)
