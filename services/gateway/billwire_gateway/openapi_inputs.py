"""OpenAPI: request bodies described as the server decodes them.

Litestar's own schema of a msgspec Struct drops what the gateway's strict decoding enforces:
unknown fields are refused (`forbid_unknown_fields`), list items carry their own limits, a
patch's fields are never null unless they say so. So every request body type (the contracts'
`Input` classes) gets msgspec's own JSON schema of it instead, free text says it holds no NUL
character (strict.py refuses it anywhere), and decimal fields (money, rates, quantities) say what they take: a decimal string of the pattern the gateway checks
(strict.py), or a JSON number, read from its decimal text, never through a float.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from typing import Any

import msgspec
from litestar.openapi.spec import OpenAPI

import billwire_shared.contracts
from billwire_shared.contracts.common import Input, decimal_form

REF = "#/components/schemas/{name}"
NO_NUL = "^[^\\x00]*$"


def input_classes() -> list[type[msgspec.Struct]]:
    """Every request body type of the contracts (subclasses of `Input`), in a stable order."""
    for module in pkgutil.iter_modules(billwire_shared.contracts.__path__):
        importlib.import_module(f"billwire_shared.contracts.{module.name}")
    found: dict[str, type[msgspec.Struct]] = {}

    def walk(cls: type) -> Iterator[type]:
        for sub in cls.__subclasses__():
            yield sub
            yield from walk(sub)

    for cls in walk(Input):
        found.setdefault(f"{cls.__module__}.{cls.__qualname__}", cls)
    return [found[name] for name in sorted(found)]


def decimal_schema(node: dict[str, Any]) -> dict[str, Any]:
    """A decimal field: its pattern as a string, or a JSON number in the same range."""
    form = decimal_form(node.get("description"))
    number: dict[str, Any] = {"type": "number"}
    if form.maximum is not None:
        number["maximum"] = form.maximum
    if form.minimum is not None:
        number["exclusiveMinimum" if form.exclusive_minimum else "minimum"] = form.minimum
    described = {"description": node["description"]} if node.get("description") else {}
    return described | {"anyOf": [{"type": "string", "pattern": form.pattern}, number]}


def with_decimals(node: Any) -> Any:
    """`node` with every msgspec decimal (`format: decimal`) described as `decimal_schema` says,
    and free text without NUL."""
    if isinstance(node, list):
        return [with_decimals(item) for item in node]
    if not isinstance(node, dict):
        return node
    if node.get("type") == "string" and node.get("format") == "decimal":
        return decimal_schema(node)
    if node.get("type") == "string" and not {"pattern", "format", "enum"} & node.keys():
        node = node | {"pattern": NO_NUL}  # the gateway refuses NUL in every string (Postgres cannot store it)
    return {key: with_decimals(value) for key, value in node.items()}


def describe_inputs(openapi: OpenAPI) -> None:
    """Replace the components of request body types with msgspec's schemas of them."""
    components = openapi.components.schemas
    if components is None:
        return
    classes = [cls for cls in input_classes() if cls.__name__ in components]
    _, schemas = msgspec.json.schema_components(classes, ref_template=REF)
    for name, schema in schemas.items():
        if name in components:  # same name, same class: Litestar names components by class name
            components[name] = with_decimals(schema)  # type: ignore[assignment]  # a plain dict serializes as it is


UPLOAD_SCHEMA = {  # a multipart upload of one file, in the part `file`
    "type": "object", "properties": {"file": {"type": "string", "format": "binary"}}, "required": ["file"],
    "additionalProperties": False,
}


def describe_uploads(openapi: OpenAPI) -> None:
    """Multipart bodies say which part they need (Litestar describes them as any object)."""
    for item in (openapi.paths or {}).values():
        for method in ("post", "put"):
            operation = getattr(item, method, None)
            body = getattr(operation, "request_body", None)
            media = (getattr(body, "content", None) or {}).get("multipart/form-data")
            if media is not None:
                media.schema = UPLOAD_SCHEMA  # type: ignore[assignment]


def pin_invoice_type(openapi: OpenAPI) -> None:
    """Under /invoices the `type` filter takes only "invoice" (other types answer 422 there)."""
    for path, item in (openapi.paths or {}).items():
        if not path.startswith("/api/v1/invoices"):
            continue
        for method in ("get", "post", "put", "patch", "delete"):
            for parameter in getattr(getattr(item, method, None), "parameters", None) or []:
                if getattr(parameter, "name", None) == "type" and getattr(parameter, "param_in", None) == "query":
                    parameter.schema = {"type": "string", "enum": ["invoice"]}  # type: ignore[assignment]
