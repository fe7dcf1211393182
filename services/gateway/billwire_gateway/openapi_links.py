"""OpenAPI links: a POST that makes a resource says where that resource then lives."""

from __future__ import annotations

import re

from litestar.openapi.spec import Link, OpenAPI, OpenAPIResponse

METHODS = ("get", "put", "patch", "delete")


def link_created_resources(openapi: OpenAPI) -> None:
    """A POST answering 201 with the new resource links to the operations of that resource's own
    path (`/clients` to `/clients/{client_id}`), its id taken from the answer's `id`: a client
    follows them to read, change and delete what it made, and so does schemathesis' stateful
    phase, whose use_after_free and ensure_resource_availability checks need such a chain."""
    paths = openapi.paths or {}
    for path, item in paths.items():
        created = (item.post.responses or {}).get("201") if item.post is not None else None
        if not path.startswith("/api/") or not isinstance(created, OpenAPIResponse):
            continue
        links = {}
        for resource_path, resource in paths.items():
            if (found := re.fullmatch(re.escape(path) + r"/\{(\w+)\}", resource_path)) is None:
                continue
            parameter = found.group(1)
            for method in METHODS:
                operation = getattr(resource, method, None)
                if operation is not None and operation.operation_id:
                    links[f"{method}_{parameter.removesuffix('_id')}"] = Link(
                        operation_id=operation.operation_id, parameters={parameter: "$response.body#/id"},
                    )
        created.links = links or None
