"""The envelope every domain event travels in; `id` doubles as the Nats-Msg-Id."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec


class Event(msgspec.Struct, kw_only=True):
    id: UUID
    type: str  # e.g. "invoice.finalized"
    occurred_at: datetime
    account_id: UUID
    data: Any
