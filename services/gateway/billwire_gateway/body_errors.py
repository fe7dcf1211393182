"""Every problem of a JSON body at once, not only the first.

msgspec stops decoding at the first field it cannot take, so a body with ten mistakes took ten
round trips to fix. After a failed decode this walks the body again, one field at a time: each
field's raw JSON is decoded with that field's own type (same decoder, same strictness, same
constraints), unknown and missing fields are listed, and a field that fails and is itself an
object or a list of objects is walked in turn, so the reply names the innermost fields.
"""

from __future__ import annotations

import functools
import types
import typing
from typing import Any

import msgspec

from billwire_shared.errors import FieldError
from billwire_shared.field_errors import field_error

MAX_PROBLEMS = 50  # enough to fix a body in one go; a body of thousands of bad lines is not listed line by line


def every_problem(annotation: Any, body: bytes) -> list[FieldError]:
    """The body's problems against `annotation`, innermost fields named; empty if it decodes."""
    problems: list[FieldError] = []
    _walk(annotation, msgspec.Raw(body), "", problems)
    return problems[:MAX_PROBLEMS]


def _join(path: str, sub: str) -> str:
    if not sub:
        return path
    if not path or sub.startswith("["):
        return path + sub
    return f"{path}.{sub}"


@functools.lru_cache(maxsize=512)
def _decoder(annotation: Any) -> msgspec.json.Decoder:
    return msgspec.json.Decoder(annotation, strict=True)


def _walk(annotation: Any, raw: msgspec.Raw, path: str, problems: list[FieldError]) -> None:
    if len(problems) >= MAX_PROBLEMS:
        return
    try:
        _decoder(annotation).decode(raw)
        return
    except msgspec.ValidationError as exc:
        first = field_error(exc, drop_root=False)
    before = len(problems)
    inner = _inner_type(annotation)
    if isinstance(inner, type) and issubclass(inner, msgspec.Struct):
        _walk_struct(inner, raw, path, problems)
    elif typing.get_origin(inner) is list and (args := typing.get_args(inner)):
        _walk_list(args[0], raw, path, problems)
    if len(problems) == before:  # nothing finer to say (e.g. a rule across fields): msgspec's own words
        problems.append(FieldError(field=_join(path, first.field), message=first.message))


def _inner_type(annotation: Any) -> Any:
    """`X | None` (or a patch's `X | UNSET`) is X: a null passed the first decode already; `Annotated[X, ...]` is X."""
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        arms = [arm for arm in typing.get_args(annotation) if arm not in (type(None), msgspec.UnsetType)]
        if len(arms) == 1:
            return _inner_type(arms[0])
    return annotation


def _as(kind: Any, raw: msgspec.Raw) -> Any:
    try:
        return msgspec.json.decode(raw, type=kind)
    except msgspec.ValidationError:
        return None


def _walk_struct(cls: type[msgspec.Struct], raw: msgspec.Raw, path: str, problems: list[FieldError]) -> None:
    fields = _as(dict[str, msgspec.Raw], raw)
    if fields is None:
        return  # not an object at all: msgspec's first error says so
    info = msgspec.inspect.type_info(cls)
    hints = typing.get_type_hints(cls, include_extras=True)
    known = {field.encode_name: field for field in info.fields}
    if info.forbid_unknown_fields:
        for name in fields:
            if name not in known:
                problems.append(FieldError(field=_join(path, name), message=f"Object contains unknown field `{name}`"))
    for name, field in known.items():
        if name in fields:
            _walk(hints[field.name], fields[name], _join(path, name), problems)
        elif field.required:
            problems.append(FieldError(field=_join(path, name), message=f"Object missing required field `{name}`"))


def _walk_list(item: Any, raw: msgspec.Raw, path: str, problems: list[FieldError]) -> None:
    items = _as(list[msgspec.Raw], raw)
    for index, value in enumerate(items or ()):
        _walk(item, value, f"{path}[{index}]", problems)
