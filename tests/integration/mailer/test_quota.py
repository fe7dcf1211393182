"""The daily e-mail quota per account over the bus: `mailer.rpc.quota.reserve` takes all or
nothing, atomically; `mailer.rpc.quota.get` reports; days are UTC days."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import msgspec

from billwire_shared import subjects
from billwire_shared.contracts.common import Caller
from billwire_shared.contracts.mail import EmailQuota, GetEmailQuota, ReleaseEmailQuota, ReserveEmailQuota
from billwire_shared.errors import ERROR_HEADER, ErrorReply
from billwire_shared.ids import new_id


async def reserve(h, account_id, count: int = 1, reservation_id=None) -> EmailQuota:
    msg = await h.request(subjects.MAILER_QUOTA_RESERVE, ReserveEmailQuota(ctx=Caller(account_id=account_id), count=count, reservation_id=reservation_id))
    assert not (msg.headers and ERROR_HEADER in msg.headers), msg.data
    return msgspec.json.decode(msg.data, type=EmailQuota)


async def get(h, account_id) -> EmailQuota:
    msg = await h.request(subjects.MAILER_QUOTA_GET, GetEmailQuota(ctx=Caller(account_id=account_id)))
    return msgspec.json.decode(msg.data, type=EmailQuota)


async def test_reserve_until_the_limit_then_refuse_without_counting(mailer_harness, smtp) -> None:
    _, port = smtp
    async with mailer_harness(port, email_daily_quota=3) as h:
        account, other = new_id(), new_id()
        midnight = datetime.combine(datetime.now(UTC).date() + timedelta(days=1), datetime.min.time(), tzinfo=UTC)

        first = await reserve(h, account, 2)
        assert (first.allowed, first.used, first.limit, first.resets_at) == (True, 2, 3, midnight)
        too_many = await reserve(h, account, 2)
        assert (too_many.allowed, too_many.used) == (False, 2)  # all or nothing: nothing was taken
        last = await reserve(h, account, 1)
        assert (last.allowed, last.used) == (True, 3)
        assert (await reserve(h, account, 1)).allowed is False
        assert (await reserve(h, account, 4)).allowed is False  # more than a whole day's quota
        now = await get(h, account)
        assert (now.allowed, now.used, now.limit) == (False, 3, 3)

        fresh = await get(h, other)  # another account has its own count
        assert (fresh.allowed, fresh.used) == (True, 0)
        assert (await reserve(h, other, 3)).allowed is True


async def test_concurrent_reservations_never_exceed_the_limit(mailer_harness, smtp) -> None:
    _, port = smtp
    async with mailer_harness(port, email_daily_quota=10) as h:
        account = new_id()
        answers = await asyncio.gather(*(reserve(h, account) for _ in range(30)))
        assert sum(a.allowed for a in answers) == 10
        assert sorted(a.used for a in answers if a.allowed) == list(range(1, 11))
        assert (await get(h, account)).used == 10


async def test_a_repeated_reservation_counts_once(mailer_harness, smtp) -> None:
    _, port = smtp
    async with mailer_harness(port, email_daily_quota=2) as h:
        account, send_id = new_id(), new_id()
        answers = await asyncio.gather(*(reserve(h, account, 1, send_id) for _ in range(5)))
        assert all(a.allowed and a.used == 1 for a in answers)
        assert (await reserve(h, account, 1, new_id())).used == 2
        refused_id = new_id()
        assert (await reserve(h, account, 1, refused_id)).allowed is False
        # a refused reservation left nothing behind; someone else's id is not yours
        assert (await reserve(h, new_id(), 1, send_id)).allowed is False
        assert (await get(h, account)).used == 2


async def release(h, account_id, reservation_id) -> EmailQuota:
    msg = await h.request(subjects.MAILER_QUOTA_RELEASE, ReleaseEmailQuota(ctx=Caller(account_id=account_id), reservation_id=reservation_id))
    assert not (msg.headers and ERROR_HEADER in msg.headers), msg.data
    return msgspec.json.decode(msg.data, type=EmailQuota)


async def test_a_released_reservation_is_given_back_once_and_only_by_its_account(mailer_harness, smtp) -> None:
    _, port = smtp
    async with mailer_harness(port, email_daily_quota=2) as h:
        account, kept, given_back = new_id(), new_id(), new_id()
        assert (await reserve(h, account, 1, kept)).used == 1
        assert (await reserve(h, account, 1, given_back)).used == 2
        assert (await reserve(h, account, 1, new_id())).allowed is False

        assert (await release(h, new_id(), given_back)).used == 0  # another account's release changes nothing
        assert (await get(h, account)).used == 2
        answer = await release(h, account, given_back)
        assert (answer.allowed, answer.used) == (True, 1)
        assert (await release(h, account, given_back)).used == 1  # twice: once
        assert (await release(h, account, new_id())).used == 1  # unknown: nothing
        assert (await reserve(h, account, 1, new_id())).allowed is True  # the unit is usable again
        assert (await reserve(h, account, 1, kept)).used == 2  # and a repeat of a kept one still counts once


async def test_zero_means_unlimited(mailer_harness, smtp) -> None:
    _, port = smtp
    async with mailer_harness(port, email_daily_quota=0) as h:
        account = new_id()
        assert (await reserve(h, account, 1000)).allowed is True
        answer = await reserve(h, account, 1000)
        assert (answer.allowed, answer.used, answer.limit) == (True, 2000, 0)
        assert (await get(h, account)).allowed is True


async def test_a_bad_request_gets_a_typed_error(mailer_harness, smtp) -> None:
    _, port = smtp
    async with mailer_harness(port) as h:
        msg = await h.nc.request(
            h.names.subject(subjects.MAILER_QUOTA_RESERVE), msgspec.json.encode({"ctx": {"account_id": str(new_id())}, "count": 0}), timeout=5
        )
        assert msg.headers and ERROR_HEADER in msg.headers
        error = msgspec.json.decode(msg.data, type=ErrorReply)
        assert error.code == "VALIDATION_ERROR" and error.details[0].field == "count"
