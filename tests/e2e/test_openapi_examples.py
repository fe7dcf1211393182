"""Every request body in the OpenAPI document has an example, and every example works as it
stands: each is sent as documented (path ids from resources made here, the example client id
of a recurring invoice replaced by a real one) and answers 2xx."""

from __future__ import annotations

import json
import re
import socket
from typing import Any

from billwire_gateway.examples import EXAMPLE_CLIENT_ID
from billwire_mailer.app import MailerService
from tests.stack import BUYER, Api, Stack, created, ready_account

WEBHOOK_HOST = "example.com"
LINES = [{"description": "Consulting", "quantity": "2", "unit_price": "150.00"}]


def resolves(host: str) -> bool:
    try:
        return bool(socket.getaddrinfo(host, 443))
    except OSError:
        return False


def bodies(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, media types) of every operation that takes a body."""
    return [
        (method.upper(), path, operation["requestBody"]["content"])
        for path, item in schema["paths"].items() for method, operation in item.items()
        if isinstance(operation, dict) and "requestBody" in operation
    ]


class Fixtures:
    """A fresh resource of the right kind for each path parameter, made through the API."""

    def __init__(self, api: Api, examples: dict[tuple[str, str], Any]) -> None:
        self.api, self.examples = api, examples
        self.client: dict[str, Any] | None = None

    async def client_id(self) -> str:
        if self.client is None:
            self.client = await created(self.api, "/clients", BUYER | {"email": "ap@globex.example"})
        return self.client["id"]

    def body(self, method: str, path: str) -> Any:
        return json.loads(json.dumps(self.examples[(method, path)]).replace(EXAMPLE_CLIENT_ID, self.client["id"]))

    async def make(self, name: str, path: str) -> str:
        if name == "client_id":
            return (await created(self.api, "/clients", {"name": "Initech"}))["id"]
        if name == "product_id":
            return (await created(self.api, "/products", {"title": "Hour", "net_price": "10"}))["id"]
        if name == "document_id":  # a draft, with a client that has an e-mail address (send finalizes it)
            return (await created(self.api, "/invoices", {"client_id": await self.client_id(), "lines": LINES}))["id"]
        if name == "invoice_id":  # an issued invoice over 100.00; for a refund, cancelled after a payment of 50.00
            draft = await created(self.api, "/invoices", {"client_id": await self.client_id(), "lines": LINES})
            assert (await self.api.post(f"/invoices/{draft['id']}/finalize")).status_code == 200
            if path.endswith("/refunds"):
                assert (await self.api.post(f"/invoices/{draft['id']}/payments", json={"amount": "50.00"})).status_code == 201
                assert (await self.api.post(f"/invoices/{draft['id']}/cancel", json={})).status_code == 201
            return draft["id"]
        if name == "approval_id":  # a finalize an agent key's policy holds back
            key = await created(self.api, "/settings/api-keys", {"name": "agent", "requires_approval": ["finalize"]})
            draft = await created(self.api, "/invoices", {"client_id": await self.client_id(), "lines": LINES})
            asked = await self.api.client.post(f"/api/v1/invoices/{draft['id']}/finalize", headers={"Authorization": f"Bearer {key['key']}"})
            assert asked.status_code == 202, asked.text
            return asked.json()["id"]
        if name == "prompt_id":
            return (await created(self.api, "/prompts", self.body("POST", "/api/v1/prompts")))["id"]
        if name == "recurring_id":
            return (await created(self.api, "/recurring-invoices", self.body("POST", "/api/v1/recurring-invoices")))["id"]
        raise AssertionError(f"no fixture for {{{name}}}: add one")


async def test_every_request_body_has_an_example_that_works_as_it_stands(stack: Stack, mailer: MailerService) -> None:
    api = await ready_account(stack, "Examples GmbH")
    schema = (await stack.http.get("/schema/openapi.json")).json()
    operations = bodies(schema)
    assert len(operations) > 20
    json_bodies = [(method, path, content["application/json"]) for method, path, content in operations if "application/json" in content]
    # The one body that is not JSON is the logo's multipart upload (an image file: no JSON example can carry it).
    assert [path for _, path, content in operations if "application/json" not in content] == ["/api/v1/settings/profile/logo"]
    missing = [f"{method} {path}" for method, path, media in json_bodies if "example" not in media]
    assert not missing, f"request bodies without an example: {missing}"

    fixtures = Fixtures(api, {(method, path): media["example"] for method, path, media in json_bodies})
    await fixtures.client_id()
    failures = []
    for method, path, media in json_bodies:
        ids = {name: await fixtures.make(name, path) for name in re.findall(r"{(\w+)}", path)}
        response = await api.request(method, path.format(**ids), json=fixtures.body(method, path))
        if path == "/api/v1/webhooks" and not resolves(WEBHOOK_HOST):
            # A webhook's host must resolve to public addresses; on a machine without DNS the
            # example's can only be refused for exactly that reason.
            assert response.status_code == 422 and f"'{WEBHOOK_HOST}' does not resolve" in response.text, response.text
            continue
        if not 200 <= response.status_code < 300:
            failures.append(f"{method} {path}: {response.status_code} {response.text[:300]}")
    assert not failures, "\n".join(failures)
