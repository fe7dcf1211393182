"""Sharing a replica's browser pages between accounts, so one account's work never stalls another's.

Renders wait here for a turn before they go to a page, each account in its own queue:
- Round robin: a free page goes to the waiting account served longest ago (or never), not to
  whoever asked first, so a burst of one account does not queue everyone else.
- A lane for small documents: a document estimated at more than `large_pages` pages holds at
  most all pages but one at once, so there is always a page that only small documents (the
  one-page invoice, printed in well under a second) can take. A large PDF takes seconds.
- A cap per account: at most `per_account` renders of one account wait or print in a replica;
  more are refused (503, try again) instead of filling the queue every account shares.
- A bound on all waiting renders (`queue_bound`): beyond it, everyone is told to come back.

The pool (browser.py) still holds its own pages; this only decides the order they are handed out in.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter, OrderedDict, deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from uuid import UUID

from billwire_shared.contracts.documents import Document

# A rough measure of how much a document prints: one row per line and about one per this many
# characters of its text (measured with the default template: 300 lines of 1,000 characters
# print on 150-300 pages, by the words; a page holds about 22 rows).
CHARACTERS_PER_ROW = 60
ROWS_PER_PAGE = 22
FIXED_ROWS = 16  # header, addresses, totals, payment details


class Busy(RuntimeError):
    """The wait for a page is full (for everyone, or for this account): come back later."""


def estimated_pages(doc: Document) -> int:
    """About how many pages `doc` prints on, from its text alone (cheap: no layout)."""
    texts = [line.description for line in doc.lines] + [doc.introduction or "", doc.notes or ""]
    rows = FIXED_ROWS + len(doc.lines) + sum(len(text) // CHARACTERS_PER_ROW for text in texts)
    return -(-rows // ROWS_PER_PAGE)  # rounded up


@dataclass(eq=False)
class _Waiter:
    account: UUID
    large: bool
    granted: asyncio.Future = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class FairShare:
    def __init__(self, pages: int, *, per_account: int = 16, large_pages: int = 10, queue_bound: int = 32) -> None:
        self.pages, self.per_account, self.large_pages, self.queue_bound = pages, per_account, large_pages, queue_bound
        self._queues: OrderedDict[UUID, deque[_Waiter]] = OrderedDict()  # accounts by when they started waiting
        self._accounts: Counter[UUID] = Counter()  # renders waiting or printing, per account
        self._served: dict[UUID, int] = {}  # when an account with renders in flight last got a page
        self._ticks = 0
        self._waiting = 0
        self._printing = 0
        self._printing_large = 0

    @property
    def large_lane(self) -> int:
        """Pages large documents may hold at once: all but one (with one page, that one)."""
        return max(self.pages - 1, 1)

    def is_large(self, doc: Document) -> bool:
        return estimated_pages(doc) > self.large_pages

    @property
    def waiting(self) -> int:
        return self._waiting

    @contextlib.asynccontextmanager
    async def turn(self, account: UUID, large: bool) -> AsyncIterator[None]:
        """Wait for this account's turn at a page; the page is given back when the block ends."""
        if self._accounts[account] >= self.per_account:
            raise Busy(f"this account has {self._accounts[account]} renders in flight; the limit is {self.per_account}")
        if self._waiting >= self.queue_bound and self._printing >= self.pages:
            raise Busy(f"{self._waiting} renders are waiting; the limit is {self.queue_bound}")
        self._accounts[account] += 1
        waiter = _Waiter(account, large)
        self._queues.setdefault(account, deque()).append(waiter)
        self._waiting += 1
        try:
            self._hand_out()
            try:
                await waiter.granted
            except BaseException:
                if not waiter.granted.done() or waiter.granted.cancelled():
                    self._withdraw(waiter)
                    raise
                self._give_back(waiter)  # granted just as it was cancelled
                raise
            try:
                yield
            finally:
                self._give_back(waiter)
        finally:
            self._accounts[account] -= 1
            if not self._accounts[account]:
                del self._accounts[account]
                self._served.pop(account, None)

    def _withdraw(self, waiter: _Waiter) -> None:
        queue = self._queues.get(waiter.account)
        if queue is not None and waiter in queue:
            queue.remove(waiter)
            self._waiting -= 1
            if not queue:
                del self._queues[waiter.account]

    def _give_back(self, waiter: _Waiter) -> None:
        self._printing -= 1
        if waiter.large:
            self._printing_large -= 1
        self._hand_out()

    def _hand_out(self) -> None:
        while self._printing < self.pages:
            waiter = self._next()
            if waiter is None:
                return
            self._waiting -= 1
            if waiter.granted.cancelled():  # its task was cancelled and has not withdrawn it yet
                continue
            self._printing += 1
            if waiter.large:
                self._printing_large += 1
            waiter.granted.set_result(None)

    def _next(self) -> _Waiter | None:
        """The first render that may go of the account served longest ago (never, for one that
        just came: it goes before those that had a page while it was away), which becomes the
        one served last."""
        large_allowed = self._printing_large < self.large_lane
        chosen: _Waiter | None = None
        for queue in self._queues.values():
            waiter = next((waiter for waiter in queue if large_allowed or not waiter.large), None)
            if waiter is not None and (chosen is None or self._served.get(waiter.account, 0) < self._served.get(chosen.account, 0)):
                chosen = waiter
        if chosen is None:
            return None
        queue = self._queues[chosen.account]
        queue.remove(chosen)
        if not queue:
            del self._queues[chosen.account]
        self._ticks += 1
        self._served[chosen.account] = self._ticks
        return chosen
