"""A POST that makes a resource links to where it then lives (schemathesis' stateful phase
follows these links in the fuzz test)."""

from __future__ import annotations

import json

from tests.unit.test_openapi_stable import openapi_document


def test_a_post_that_makes_a_resource_links_to_where_it_lives() -> None:
    """Every link names an operation of the document, and a client's creation leads to reading,
    changing and deleting it by the id in the answer."""
    document = json.loads(openapi_document())
    operations = [operation for item in document["paths"].values() for operation in item.values() if isinstance(operation, dict)]
    operation_ids = {operation["operationId"] for operation in operations if "operationId" in operation}
    links = [link for operation in operations for link in operation.get("responses", {}).get("201", {}).get("links", {}).values()]
    assert len(links) > 10 and {link["operationId"] for link in links} <= operation_ids
    client = document["paths"]["/api/v1/clients"]["post"]["responses"]["201"]["links"]
    item = document["paths"]["/api/v1/clients/{client_id}"]
    assert {name: link["operationId"] for name, link in client.items()} == {
        f"{method}_client": item[method]["operationId"] for method in ("get", "patch", "delete")
    }
    assert {link["parameters"]["client_id"] for link in client.values()} == {"$response.body#/id"}
