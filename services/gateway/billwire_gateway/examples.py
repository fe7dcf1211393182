"""One request body per operation, put into the OpenAPI document as the body's example: each works
as it stands (tests/e2e/test_openapi_examples.py sends every one of them and expects 2xx), so a
caller can start from it instead of from ten round trips of 422s.

Ids in a path are the caller's; the one id in a body, the client of a recurring invoice, is
EXAMPLE_CLIENT_ID, to be replaced by a client of one's own.
"""

from __future__ import annotations

from typing import Any

from litestar.openapi.spec import OpenAPI

EXAMPLE_CLIENT_ID = "0193b1a0-0000-7000-8000-00000000c1e7"

_ADDRESS = {"street": "Hauptstraße 1", "zip": "10115", "city": "Berlin", "country": "DE"}
_CLIENT = {
    "name": "Globex GmbH", "email": "billing@globex.example", "currency": "EUR", "language": "en",
    "address": {"street": "Friedrichstraße 10", "zip": "10117", "city": "Berlin", "country": "DE"},
}
_LINES = [{"description": "Consulting", "quantity": "10", "unit": "h", "unit_price": "150.00", "tax_rate": "19"}]
_DRAFT = {"client": _CLIENT, "currency": "EUR", "due_days": 14, "lines": _LINES, "notes": "Thank you for your business."}
_SEND = {"recipient": "billing@globex.example", "subject": "Your invoice", "message": "Please find the invoice attached."}
_PROMPT = {"prompt_text": "Invoice Globex GmbH for 10 hours of consulting at 150 EUR", "labels": [{"name": "monthly", "color": "#2f6fdf"}]}

EXAMPLES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/v1/settings/api-keys"): {
        "name": "bookkeeping agent", "scopes": ["read", "write", "email:send"], "requires_approval": ["send", "cancel", "delete"],
    },
    ("POST", "/api/v1/approvals/{approval_id}/reject"): {"reason": "Wrong recipient: send it to accounts@globex.example"},
    ("POST", "/api/v1/users/invitations"): {"email": "new.colleague@acme.example", "role": "accountant", "language": "en"},
    ("PUT", "/api/v1/settings/email-templates"): {"templates": {"en": {"invoice": {
        "subject": "Invoice {number} from {sender}",
        "body": "Hello {client},\n\nplease find invoice {number} over {total} attached, due on {due_date}.\n\n{sender}",
    }}}},
    ("PATCH", "/api/v1/settings/profile"): {
        "company_name": "Acme GmbH", "email": "billing@acme.example", "vat_id": "DE136695976", "address": _ADDRESS,
        "bank": {"account_holder": "Acme GmbH", "iban": "DE89370400440532013000", "bic": "COBADEFFXXX"},
    },
    ("PUT", "/api/v1/settings/reminders"): {"enabled": True, "levels": [{"days_after_due": 7}, {"days_after_due": 14}]},
    ("POST", "/api/v1/clients"): _CLIENT,
    ("PATCH", "/api/v1/clients/{client_id}"): {"email": "accounts@globex.example", "notes": "Pays by bank transfer"},
    ("POST", "/api/v1/products"): {"title": "Consulting hour", "unit": "h", "net_price": "150.00", "tax_rate": "19"},
    ("PATCH", "/api/v1/products/{product_id}"): {"net_price": "160.00"},
    ("POST", "/api/v1/invoices"): _DRAFT,
    ("PATCH", "/api/v1/invoices/{document_id}"): {"due_days": 30, "notes": "Payable within 30 days."},
    ("POST", "/api/v1/documents"): _DRAFT | {"type": "estimate"},
    ("PATCH", "/api/v1/documents/{document_id}"): {"due_days": 30, "notes": "Payable within 30 days."},
    ("POST", "/api/v1/invoices/{invoice_id}/cancel"): {"reason": "Issued to the wrong client"},
    ("POST", "/api/v1/invoices/{invoice_id}/payments"): {"amount": "100.00", "method": "bank_transfer", "reference": "Globex transfer"},
    ("POST", "/api/v1/invoices/{invoice_id}/mark-paid"): {"note": "Paid in cash"},
    ("POST", "/api/v1/invoices/{invoice_id}/refunds"): {"amount": "50.00", "method": "bank_transfer", "reference": "Refund to Globex"},
    ("POST", "/api/v1/documents/{document_id}/send"): _SEND,
    ("POST", "/api/v1/invoices/{document_id}/send"): _SEND,
    ("POST", "/api/v1/webhooks"): {
        "url": "https://example.com/hooks/billwire", "events": ["invoice.paid", "invoice.sent"], "description": "ERP",
    },
    ("POST", "/api/v1/invoices/from-text"): {"text": "Invoice Globex GmbH for 10 hours of consulting at 150 EUR", "dry_run": True},
    ("POST", "/api/v1/prompts"): _PROMPT,
    ("PUT", "/api/v1/prompts/{prompt_id}"): _PROMPT | {"labels": [{"name": "monthly"}, {"name": "globex"}]},
    ("POST", "/api/v1/prompts/{prompt_id}/run"): {"dry_run": True},
    ("POST", "/api/v1/recurring-invoices"): {
        "name": "Globex retainer", "client_id": EXAMPLE_CLIENT_ID, "lines": [{"description": "Retainer {month} {year}", "unit_price": "1000.00"}],
        "schedule": {"frequency": "monthly", "interval": 1, "day_of_month": 1, "start": "2030-01-01"}, "auto_finalize": True,
    },
    ("POST", "/api/v1/recurring-invoices/preview"): {
        "client_id": EXAMPLE_CLIENT_ID, "lines": [{"description": "Retainer {month} {year}", "unit_price": "1000.00"}],
        "schedule": {"frequency": "monthly", "start": "2030-01-01"},
    },
    ("PATCH", "/api/v1/recurring-invoices/{recurring_id}"): {"name": "Globex retainer 2030", "due_days": 10},
}


def add_examples(openapi: OpenAPI) -> None:
    """Every JSON request body in the OpenAPI document gets its example."""
    for path, item in (openapi.paths or {}).items():
        for method in ("post", "put", "patch"):
            operation = getattr(item, method, None)
            body = getattr(operation, "request_body", None)
            example = EXAMPLES.get((method.upper(), path))
            if body is None or example is None or not body.content or "application/json" not in body.content:
                continue
            body.content["application/json"].example = example
