"""Argument types every area's tools share: the base of every tool's arguments (an unknown
argument is an error), ids, idempotency keys, confirmation and the total a confirmation expects."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import msgspec

from billwire_shared.contracts.common import Limit, Offset

IdempotencyKey = Annotated[str, msgspec.Meta(
    min_length=1, max_length=200, description="Any unique text; the same key repeated returns the first answer and changes nothing",
    examples=["invoice-2026-12-globex-1"],
)]
Confirm = Annotated[bool, msgspec.Meta(
    description="false (default): only preview what would happen; true: do it (with expected_total)", examples=[False],
)]
ExpectedTotal = Annotated[Decimal, msgspec.Meta(
    description="The document's gross total as the preview showed it; a confirmed call with another total changes nothing",
    examples=["285.60"],
)]


class Arguments(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Base of every tool's arguments."""


class Paging(Arguments, kw_only=True):
    limit: Limit = 20
    offset: Offset = 0


class Confirmable(Arguments, kw_only=True):
    """What an irreversible tool adds: preview unless confirmed with the expected total."""

    confirm: Confirm = False
    expected_total: ExpectedTotal | None = None
    idempotency_key: IdempotencyKey | None = None


# The same fields, for argument Structs derived from a contract (toolbox.derived).
CONFIRMABLE = [(field.name, field.type, field.default) for field in msgspec.structs.fields(Confirmable)]
PAGING = [(field.name, field.type, field.default) for field in msgspec.structs.fields(Paging)]
