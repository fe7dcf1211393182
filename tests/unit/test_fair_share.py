"""Who gets the renderer's next free page (fairness.py): accounts in turn, a page large documents
cannot take, a cap per account, and waits that are cancelled leaving nothing behind."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from billwire_rendering.fairness import Busy, FairShare, estimated_pages
from tests.integration.rendering.samples import make_document, make_lines

A, B, C = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


async def run_in_order(share: FairShare, jobs: list[tuple[uuid.UUID, bool]], hold: asyncio.Event) -> tuple[list[int], list]:
    """Start `jobs` (account, large) in this order; the first ones hold their pages until `hold`
    is set. Returns the order the jobs got a page in, and their tasks."""
    order: list[int] = []

    async def job(index: int, account: uuid.UUID, large: bool) -> None:
        async with share.turn(account, large):
            order.append(index)
            await hold.wait()

    tasks = []
    for index, (account, large) in enumerate(jobs):
        tasks.append(asyncio.create_task(job(index, account, large)))
        await asyncio.sleep(0)
    await asyncio.sleep(0)
    return order, tasks


async def test_free_pages_go_to_the_accounts_in_turn_not_to_who_asked_first() -> None:
    share = FairShare(1)
    hold = asyncio.Event()
    order, tasks = await run_in_order(share, [(A, False), (A, False), (A, False), (B, False), (C, False)], hold)
    assert order == [0]
    hold.set()
    await asyncio.gather(*tasks)
    assert order == [0, 3, 4, 1, 2]  # A had its turn: B and C come before A's second


async def test_large_documents_leave_one_page_for_small_ones() -> None:
    share = FairShare(2)
    hold = asyncio.Event()
    order, tasks = await run_in_order(share, [(A, True), (A, True), (C, True), (B, False)], hold)
    assert order == [0, 3]  # the second page went to B's small document, not to the large ones before it
    hold.set()
    await asyncio.gather(*tasks)
    assert sorted(order) == [0, 1, 2, 3]


async def test_an_account_over_its_cap_is_refused_and_others_are_not() -> None:
    share = FairShare(1, per_account=2)
    hold = asyncio.Event()
    _, tasks = await run_in_order(share, [(A, False), (A, False)], hold)
    with pytest.raises(Busy, match="limit is 2"):
        async with share.turn(A, False):
            pass
    _, more = await run_in_order(share, [(B, False)], hold)
    hold.set()
    await asyncio.gather(*tasks, *more)
    assert share.waiting == 0


async def test_a_cancelled_wait_leaves_its_place_and_a_cancelled_print_its_page() -> None:
    share = FairShare(1)
    hold = asyncio.Event()
    order, tasks = await run_in_order(share, [(A, False), (B, False), (C, False)], hold)
    tasks[1].cancel()  # waiting
    tasks[0].cancel()  # printing
    await asyncio.gather(*tasks[:2], return_exceptions=True)
    await asyncio.sleep(0)
    assert order == [0, 2] and share.waiting == 0
    hold.set()
    await tasks[2]


def test_the_estimate_tells_a_one_page_invoice_from_a_long_one() -> None:
    assert estimated_pages(make_document()) == 1
    long = make_document(lines=make_lines([("x" * 1000, "1", None, "10", "19")] * 300))
    assert estimated_pages(long) > 100
