"""Decimal fields given as strings must be spelled as the OpenAPI document says (the pattern of
their `DecimalForm`): msgspec reads a Decimal as Python does, so "1e3", " 1", "+1", "1_000"
and digits of other scripts would pass, and the document and the server would disagree. A JSON
number is read by msgspec from its decimal text (never through a float) and must have the same
digits as a string would, written out (1e-38 or 0.000000001 would otherwise be taken and
rounded to 0 where "0.000000001" is refused)."""

from __future__ import annotations

import functools
import re
from decimal import Decimal
from typing import Any

import msgspec
import msgspec.inspect as mi
from litestar import Request
from litestar.exceptions import SerializationException
from litestar.types import Empty

from billwire_shared.contracts.common import decimal_form
from billwire_shared.errors import FieldError


def _written_out(text: str) -> Decimal:
    """The Decimal of a JSON number's text, a whole one in plain digits (5e7 is 50000000, which
    an API answer then shows as such, not as "5E+7")."""
    value = Decimal(text)
    if value.as_tuple().exponent > 0 and value.adjusted() < 28:  # (28: the context's precision)
        return value.quantize(1)
    return value


_exact = msgspec.json.Decoder(float_hook=_written_out)


class ExactRequest(Request):
    """A request whose JSON body keeps its non-integer numbers as the decimals they were written
    as: Litestar reads the body into Python values first (a number with a point becomes a
    float, 1234567890.12345678 becomes 1234567890.1234567) and converts those to the handler's
    types; here it gets a Decimal of the exact text, which is what a decimal field wants (and
    no request body type has a float field)."""

    async def json(self) -> Any:
        if self._json is Empty:
            if (value := self._connection_state.json) is Empty:
                try:
                    value = _exact.decode(await self.body() or b"null")
                except msgspec.DecodeError as exc:
                    raise SerializationException(str(exc)) from exc
                data = self.route_handler.parsed_fn_signature.parameters.get("data")
                if data is not None and _has_integers(data.annotation):
                    value = _whole(mi.type_info(data.annotation), value)
                self._connection_state.json = value
            self._json = value
        return self._json


def _contains(type_: Any, kind: type[mi.Type]) -> bool:
    def walk(node: mi.Type, seen: set[type]) -> bool:
        if isinstance(node, mi.Metadata):
            return walk(node.type, seen)
        if isinstance(node, kind):
            return True
        if isinstance(node, mi.UnionType):
            return any(walk(item, seen) for item in node.types)
        if isinstance(node, (mi.ListType, mi.VarTupleType, mi.SetType, mi.FrozenSetType)):
            return walk(node.item_type, seen)
        if isinstance(node, mi.DictType):
            return walk(node.value_type, seen)
        if isinstance(node, mi.StructType) and node.cls not in seen:
            seen.add(node.cls)
            return any(walk(field.type, seen) for field in node.fields)
        return False

    return walk(mi.type_info(type_), set())


@functools.cache
def _has_decimals(type_: Any) -> bool:
    return _contains(type_, mi.DecimalType)


@functools.cache
def _has_integers(type_: Any) -> bool:
    return _contains(type_, mi.IntType)


_numbers = msgspec.json.Encoder(decimal_format="number")


def integral_body(type_: Any, body: bytes) -> bytes | None:
    """`body` with whole numbers written with a point or exponent (349.0, 3.49e2) made plain
    integers where `type_` takes an integer; None when there are none."""
    if not _has_integers(type_):
        return None
    value = _exact.decode(body)
    whole = _numbers.encode(_whole(mi.type_info(type_), value))
    return whole if whole != _numbers.encode(value) else None  # (349 == Decimal("349.0"): compare the text)


def _whole(node: mi.Type, value: Any) -> Any:
    """`value` with integral Decimals at integer places turned into ints (and nothing else changed)."""
    if isinstance(node, mi.Metadata):
        return _whole(node.type, value)
    if isinstance(node, mi.IntType):
        if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
            return int(value)
        return value
    if isinstance(node, mi.UnionType):
        for item in node.types:
            changed = _whole(item, value)
            if changed is not value:
                return changed
        return value
    if isinstance(node, mi.StructType) and isinstance(value, dict):
        names = {field.encode_name: field.type for field in node.fields}
        return {key: _whole(names[key], item) if key in names else item for key, item in value.items()}
    if isinstance(node, (mi.ListType, mi.VarTupleType)) and isinstance(value, list):
        return [_whole(node.item_type, item) for item in value]
    if isinstance(node, mi.DictType) and isinstance(value, dict):
        return {key: _whole(node.value_type, item) for key, item in value.items()}
    return value


def decimal_problems(type_: Any, body: bytes) -> list[FieldError]:
    """The decimal fields of `body` (decoded as `type_` already) written in another form than their pattern."""
    if not _has_decimals(type_):
        return []
    problems: list[FieldError] = []
    _check(mi.type_info(type_), _exact.decode(body), "", None, problems)
    return problems


def _digits(number: Decimal | int) -> str | None:
    """A JSON number as the decimal string of the same value (1e3 is "1000", 1.50 is "1.5", -0
    is "0"); None when it has more than 40 digits before or after the point, which no pattern takes."""
    value = Decimal(number)
    if value == 0:
        return "0"
    if not -40 < value.adjusted() < 40:
        return None
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _at(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _check(node: mi.Type, value: Any, path: str, description: str | None, problems: list[FieldError]) -> None:
    if isinstance(node, mi.Metadata):
        _check(node.type, value, path, (node.extra_json_schema or {}).get("description", description), problems)
    elif isinstance(node, mi.DecimalType):
        form = decimal_form(description)
        if isinstance(value, (Decimal, int)) and not isinstance(value, bool):
            digits = _digits(value)
            if digits is None or re.fullmatch(form.pattern, digits) is None:
                problems.append(FieldError(
                    field=path, message=f"must be a JSON number with the digits of a decimal string (pattern {form.pattern})",
                ))
        elif isinstance(value, str) and re.fullmatch(form.pattern, value) is None:
            problems.append(FieldError(
                field=path, message=f"must be a decimal like 12.50 (digits, at most one point; pattern {form.pattern}) or a JSON number",
            ))
    elif isinstance(node, mi.UnionType):
        for item in node.types:
            _check(item, value, path, description, problems)
    elif isinstance(node, mi.StructType) and isinstance(value, dict):
        for field in node.fields:
            if field.encode_name in value:
                _check(field.type, value[field.encode_name], _at(path, field.encode_name), None, problems)
    elif isinstance(node, (mi.ListType, mi.VarTupleType)) and isinstance(value, list):
        for index, item in enumerate(value):
            _check(node.item_type, item, f"{path}[{index}]", description, problems)
    elif isinstance(node, mi.DictType) and isinstance(value, dict):
        for key, item in value.items():
            _check(node.value_type, item, _at(path, str(key)), description, problems)
