"""One bus call as the edges share it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec

from billwire_gateway.bus import Bus
from billwire_shared.contracts.common import Caller


@dataclass(frozen=True)
class Call:
    """The subject asked, the command built from the caller and what the edge was given (ids, a
    body; a body left out is the contract's empty one), and the type of the reply."""

    subject: str
    command: Callable[..., msgspec.Struct]
    reply: Any = Any
    timeout: float | None = None  # the bus's own unless the call may take longer (a language model)

    async def ask(self, bus: Bus, caller: Caller, *given: Any, **options: Any) -> bytes:
        """The raw JSON reply, as REST passes it through; `options` are the command's optional
        fields (left out, the contract's defaults)."""
        return await bus.call(self.subject, self.command(caller, *given, **options), timeout=self.timeout)
