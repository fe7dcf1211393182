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
import pycountry
from litestar.openapi.spec import OpenAPI, Reference
from litestar.openapi.spec.enums import OpenAPIType

import billwire_shared.contracts
from billwire_shared.contracts.common import CountryCode, CurrencyCode, Input, decimal_form
from billwire_shared.money import known_currencies

REF = "#/components/schemas/{name}"
REQUEST = "_request"  # suffix of the components that describe request bodies
NO_NUL = "^[^\\x00]*$"


def _description(annotated: Any) -> str:
    return annotated.__metadata__[0].description


# ISO codes are checked against the lists themselves (validation.py), not only their shape: "XX"
# or "ABC" fits the pattern and is refused with a 422, so the document names the codes taken.
ISO_CODES = {
    _description(CountryCode): sorted(country.alpha_2 for country in pycountry.countries),
    _description(CurrencyCode): sorted(known_currencies()),
}


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
    """A decimal field: its pattern as a string, or a JSON number of the same range and decimals."""
    form = decimal_form(node.get("description"))
    number: dict[str, Any] = {
        "type": "number",
        "exclusiveMinimum" if form.exclusive_minimum else "minimum": form.minimum,
        "exclusiveMaximum" if form.exclusive_maximum else "maximum": form.maximum,
        "multipleOf": 10**-form.decimals,
    }
    described = {"description": node["description"]} if node.get("description") else {}
    return described | {"anyOf": [{"type": "string", "pattern": form.pattern}, number]}


def with_decimals(node: Any) -> Any:
    """`node` with every msgspec decimal (`format: decimal`) described as `decimal_schema` says,
    free text without NUL, and ISO codes as the list of codes taken."""
    if isinstance(node, list):
        return [with_decimals(item) for item in node]
    if not isinstance(node, dict):
        return node
    if node.get("type") == "string" and node.get("format") == "decimal":
        return decimal_schema(node)
    if node.get("type") == "string" and node.get("description") in ISO_CODES and "pattern" in node:
        return node | {"enum": ISO_CODES[node["description"]]}
    if node.get("type") == "string" and not {"pattern", "format", "enum"} & node.keys():
        node = node | {"pattern": NO_NUL}  # the gateway refuses NUL in every string (Postgres cannot store it)
    return {key: with_decimals(value) for key, value in node.items()}


def describe_inputs(openapi: OpenAPI) -> None:
    """Point request bodies at msgspec's schemas of their types, kept as components of their own
    (`<Name>_request`): a response that holds an input type (a recurring invoice's lines) is
    what the server encodes, decimals as plain strings in any notation, not what it decodes."""
    components = openapi.components.schemas
    if components is None:
        return
    classes = [cls for cls in input_classes() if cls.__name__ in components]
    _, schemas = msgspec.json.schema_components(classes, ref_template=REF + REQUEST)
    for name, schema in schemas.items():
        components[name + REQUEST] = with_decimals(schema)  # type: ignore[assignment]  # a plain dict serializes as it is
    for item in (openapi.paths or {}).values():
        for method in ("post", "put", "patch"):
            body = getattr(getattr(item, method, None), "request_body", None)
            for media in (getattr(body, "content", None) or {}).values():
                if any(getattr(item, "type", None) == OpenAPIType.NULL for item in getattr(media.schema, "one_of", None) or []):
                    body.required = False  # an optional body (`SendInput | None`) may be left out
                media.schema = _to_request(media.schema, schemas)


def _to_request(schema: Any, names: dict[str, Any]) -> Any:
    """`schema` with references to input types (also inside an optional body's oneOf) turned to theirs."""
    ref = getattr(schema, "ref", None)
    if ref is not None:
        return Reference(ref=ref + REQUEST) if ref.removeprefix(REF.format(name="")) in names else schema
    for key in ("one_of", "any_of"):
        if getattr(schema, key, None):
            setattr(schema, key, [_to_request(item, names) for item in getattr(schema, key)])
    return schema


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
