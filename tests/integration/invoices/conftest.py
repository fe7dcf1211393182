"""Fixtures of the invoices service's integration tests that read its schema directly."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from billwire_shared.db import open_schema_pool
from tests.stack import Stack


@pytest.fixture
async def invoices_conn(stack: Stack) -> AsyncIterator[asyncpg.Connection]:
    """One connection on the invoices schema of the session's stack, as the service opens them."""
    pool = await open_schema_pool(stack.database_url, "invoices", min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            yield conn
    finally:
        await pool.close()
