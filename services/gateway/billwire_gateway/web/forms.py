"""Plain HTML forms to the API's contracts and back: field values in, field errors out."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.datastructures import FormMultiDict

from billwire_gateway.bus import ApiError
from billwire_shared.errors import ErrorCode, ErrorReply, FieldError

LINE_FIELDS = ("description", "quantity", "unit", "unit_price", "tax_rate", "discount_rate", "product_id")
ADDRESS_FIELDS = ("street", "zip", "city", "country")


def text(form: FormMultiDict, name: str) -> str | None:
    """A field's trimmed text; an empty field is None (the API's "not given")."""
    value = form.get(name)
    if not isinstance(value, str):
        return None
    return value.strip() or None


def given(form: FormMultiDict, names: tuple[str, ...] | list[str], prefix: str = "") -> dict[str, Any]:
    return {name: value for name in names if (value := text(form, prefix + name)) is not None}


def line_rows(form: FormMultiDict) -> list[tuple[int, dict[str, Any]]]:
    """Repeated `line_<field>` inputs, one per row, as (row on the page, values); rows without
    content are dropped. `line_price_basis` says whether the row's price (`line_unit_price`) is
    net or gross: a gross one is sent as the API's `gross_unit_price`."""
    columns = {name: form.getall(f"line_{name}") if f"line_{name}" in form else [] for name in (*LINE_FIELDS, "price_basis")}
    count = max((len(values) for values in columns.values()), default=0)
    rows = []
    for index in range(count):
        row = {}
        for name, values in columns.items():
            value = values[index].strip() if index < len(values) and isinstance(values[index], str) else ""
            if value:
                row[name] = value
        if row.pop("price_basis", "net") == "gross" and "unit_price" in row:
            row["gross_unit_price"] = row.pop("unit_price")
        if row.keys() - {"quantity", "tax_rate", "unit"}:
            rows.append((index, row))
    return rows


def lines(form: FormMultiDict) -> list[dict[str, Any]]:
    return [row for _, row in line_rows(form)]


def address(form: FormMultiDict, prefix: str = "") -> dict[str, Any] | None:
    values = given(form, ADDRESS_FIELDS, prefix + "address_")
    if "country" in values:
        values["country"] = values["country"].upper()
    return values or None


def convert(values: dict[str, Any], type_: type) -> Any:
    """The form's values as the API's input contract; a bad value is a field error like the API's."""
    try:
        return msgspec.convert(values, type_, strict=False)
    except msgspec.ValidationError as exc:
        message, _, where = str(exc).partition(" - at `$")
        field = where.rstrip("`").lstrip(".") or "form"
        raise ApiError(ErrorReply(
            code=ErrorCode.VALIDATION_ERROR, message="The request has invalid fields.", details=[FieldError(field=field, message=message)]
        )) from exc


def field_errors(exc: ApiError) -> dict[str, str]:
    """The API's error details by field name (`lines[1].unit_price`, `client.email`, ...)."""
    errors = {detail.field: detail.message for detail in exc.reply.details if detail.field}
    if not errors:
        errors["form"] = exc.reply.message
    return errors
