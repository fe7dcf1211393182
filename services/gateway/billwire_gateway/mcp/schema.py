"""Tool schemas generated from the msgspec types the tools decode and answer with, so a tool's
input and output schemas are the contracts in shared/ and cannot drift from them. References are
inlined (every nested object is spelled out where it is used), money and rates accept a decimal
string or a JSON number, and each property carries a description and an example (the contract's
own when it has them, else the glossary's)."""

from __future__ import annotations

from typing import Any

import msgspec

from billwire_gateway.mcp.glossary import FIELDS

DECIMAL_NOTE = "a decimal string (\"150.00\") or a JSON number, taken exactly as written"


def json_schema(type_: Any) -> dict[str, Any]:
    """The JSON schema of a msgspec type, references inlined, money as string or number, each
    property described and exemplified."""
    raw = msgspec.json.schema(type_)
    return _annotate(_inline(raw, raw.get("$defs", {})), None)


def tool_input_schema(arguments: type[msgspec.Struct]) -> dict[str, Any]:
    schema = json_schema(arguments)
    schema.pop("title", None)
    schema["additionalProperties"] = False
    return schema


def tool_output_schema(*results: Any) -> dict[str, Any]:
    """`{"result": ...}`: one type, or several (a preview or the done action) as anyOf. The
    shapes stay references into `$defs` (a document would otherwise be spelled out many times)."""
    shapes, defs = msgspec.json.schema_components(results, ref_template="#/$defs/{name}")
    result = shapes[0] if len(shapes) == 1 else {"anyOf": list(shapes)}
    schema = {"type": "object", "properties": {"result": result}, "required": ["result"], "additionalProperties": False}
    return schema | ({"$defs": _annotate(defs, None, describe=False)} if defs else {})


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_inline(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = defs[node["$ref"].rsplit("/", 1)[-1]]
        return _inline({k: v for k, v in target.items() if k != "title"}, defs) | {k: v for k, v in node.items() if k not in ("$ref", "$defs")}
    return {key: _inline(value, defs) for key, value in node.items() if key != "$defs"}


def _annotate(node: Any, name: str | None, describe: bool = True) -> Any:
    """Money as string or number; enums typed; each property's description and example."""
    if isinstance(node, list):
        return [_annotate(item, name, describe) for item in node]
    if not isinstance(node, dict):
        return node
    if not describe and "type" not in node and "anyOf" not in node and "enum" not in node and "$ref" not in node:
        return {key: _annotate(value, key, describe) for key, value in node.items()}  # the $defs table itself
    node = dict(node)
    if node.get("format") == "decimal":
        node["type"] = ["string", "number"]
        node.setdefault("description", DECIMAL_NOTE)
        if "number" not in node["description"]:
            node["description"] += f"; {DECIMAL_NOTE}"
    if "enum" in node and "type" not in node and all(isinstance(v, str) for v in node["enum"]):
        node["type"] = "string"
    if node.get("type") == "object":
        node.setdefault("properties", {})
        node.pop("title", None)
        node["properties"] = {
            key: _described(key, _annotate(value, key)) if describe else _annotate(value, key, describe)
            for key, value in node["properties"].items()
        }
        node.setdefault("additionalProperties", False)
    for key in ("anyOf", "items"):
        if key in node:
            node[key] = _annotate(node[key], name, describe)
    return node


def _described(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    description, example = FIELDS.get(name, (None, None))
    schema = dict(schema)
    if description and not schema.get("description"):
        schema["description"] = description
    elif description and description not in schema["description"]:
        schema["description"] = f"{description} ({schema['description']})"
    if example is not None and "examples" not in schema:
        schema["examples"] = [example]
    return schema


def untyped_nodes(schema: Any, path: str = "$") -> list[str]:
    """Where a schema leaves a value untyped: an object without properties, or a node with no
    type, enum, const or anyOf (what the tests and the tool list check)."""
    found: list[str] = []
    if isinstance(schema, dict):
        if not any(key in schema for key in ("type", "enum", "const", "anyOf", "oneOf")):
            found.append(path)
        if schema.get("type") == "object" and ("properties" not in schema or schema.get("additionalProperties", True) is not False):
            found.append(path)
        for key, value in schema.get("properties", {}).items():
            found += untyped_nodes(value, f"{path}.{key}")
        for index, option in enumerate(schema.get("anyOf", [])):
            found += untyped_nodes(option, f"{path}|{index}")
        if isinstance(schema.get("items"), dict):
            found += untyped_nodes(schema["items"], f"{path}[]")
    return found
