"""Payment reminders: each invoice gets each level once, through the send path (a send row and
`invoice.send_requested` in the outbox), even with two scheduler replicas at the same moment;
a refusing e-mail quota leaves the reminder for a later run."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import asyncpg
import msgspec

from billwire_invoices.app import open_pool
from billwire_invoices.lifecycle.scheduler import OverdueScheduler
from billwire_invoices.settings import InvoicesSettings
from billwire_shared import subjects
from billwire_shared.contracts.mail import EmailQuota, ReleaseEmailQuota, ReserveEmailQuota
from tests.stack import BUYER, Stack, ready_account

TODAY = datetime.now(UTC).date()


async def past_due_invoice(api, days_overdue: int, buyer: dict = BUYER) -> str:
    due = TODAY - timedelta(days=days_overdue)
    draft = (await api.post("/invoices", json={
        "client": buyer, "issue_date": (due - timedelta(days=14)).isoformat(), "due_date": due.isoformat(),
        "lines": [{"description": "Work", "quantity": "1", "unit_price": "100"}],
    })).json()
    issued = await api.post(f"/invoices/{draft['id']}/finalize")
    assert issued.status_code == 200, issued.text
    return draft["id"]


async def race(stack: Stack, today: date, rounds: int = 6) -> None:
    """Two replicas, each with its own pool, sending reminders in small batches at once."""
    settings = stack.settings(InvoicesSettings)
    pools = [await open_pool(settings, min_size=1, max_size=2) for _ in range(2)]
    try:
        replicas = [OverdueScheduler(pool, interval=0.01, batch=2, today=lambda: today) for pool in pools]

        async def drain(scheduler: OverdueScheduler) -> None:
            for _ in range(rounds):
                await scheduler.send_reminders()

        await asyncio.gather(*(drain(r) for r in replicas))
    finally:
        for pool in pools:
            await pool.close()


async def reminder_sends(stack: Stack, *ids: str) -> dict[str, list[int]]:
    conn = await asyncpg.connect(stack.database_url)
    try:
        rows = await conn.fetch(
            "SELECT document_id::text AS id, reminder_level FROM invoices.sends"
            " WHERE document_id = ANY($1::uuid[]) AND reminder_level IS NOT NULL ORDER BY reminder_level", list(ids),
        )
        events = await conn.fetch(
            "SELECT send->>'document_id' AS id, (send->>'reminder_level')::int AS level FROM invoices.outbox,"
            " LATERAL (SELECT convert_from(payload, 'UTF8')::jsonb->'data'->'send' AS send) AS s"
            " WHERE subject = 'events.invoice.send_requested'"
            " AND convert_from(payload, 'UTF8')::jsonb->'data'->'send'->>'document_id' = ANY($1::text[])", list(ids),
        )
    finally:
        await conn.close()
    found = {i: [r["reminder_level"] for r in rows if r["id"] == i] for i in ids}
    announced = {i: sorted(e["level"] for e in events if e["id"] == i and e["level"]) for i in ids}
    assert announced == found  # every reminder send row has its send_requested event, and no other
    return found


async def test_two_schedulers_send_each_reminder_level_once(stack: Stack) -> None:
    api = await ready_account(stack, "Reminders GmbH")
    assert (await api.put("/settings/reminders", json={"enabled": True, "levels": [{"days_after_due": 7}, {"days_after_due": 14}]})).status_code == 200
    first = [await past_due_invoice(api, 10) for _ in range(3)]  # level 1 due
    second = [await past_due_invoice(api, 20) for _ in range(2)]  # level 2 due; level 1 overtaken
    recent = await past_due_invoice(api, 3)
    paid = await past_due_invoice(api, 20)
    assert (await api.post(f"/invoices/{paid}/mark-paid")).status_code == 200
    no_address = await past_due_invoice(api, 20, {k: v for k, v in BUYER.items() if k != "email"})

    await race(stack, TODAY)
    sends = await reminder_sends(stack, *first, *second, recent, paid, no_address)
    assert sends == {**{i: [1] for i in first}, **{i: [2] for i in second}, recent: [], paid: [], no_address: []}
    invoice = (await api.get(f"/invoices/{first[0]}")).json()
    assert invoice["reminder_level"] == 1 and invoice["last_reminder_at"] is None  # queued, not delivered yet
    listed = (await api.get(f"/invoices/{second[0]}/sends")).json()
    assert [(x["kind"], x["reminder_level"], x["state"]) for x in listed] == [("reminder", 2, "queued")]
    assert listed[0]["subject"].startswith("Payment reminder 2: Invoice INV-")

    await race(stack, TODAY)  # nothing new is due: nothing is sent twice
    await race(stack, TODAY + timedelta(days=5))  # the first ones reach 15 days (level 2), the recent one 8 (level 1)
    sends = await reminder_sends(stack, *first, *second, recent, paid, no_address)
    assert sends == {**{i: [1, 2] for i in first}, **{i: [2] for i in second}, recent: [1], paid: [], no_address: []}
    assert (await api.get(f"/invoices/{first[0]}")).json()["reminder_level"] == 2


async def test_disabled_reminders_send_nothing(stack: Stack) -> None:
    api = await ready_account(stack, "Quiet GmbH")
    assert (await api.put("/settings/reminders", json={"enabled": False, "levels": [{"days_after_due": 1}]})).status_code == 200
    late = await past_due_invoice(api, 30)
    await race(stack, TODAY, rounds=2)
    assert await reminder_sends(stack, late) == {late: []}


async def test_a_refused_quota_leaves_the_reminder_for_a_later_run(stack: Stack) -> None:
    api = await ready_account(stack, "Quota GmbH")
    assert (await api.put("/settings/reminders", json={"enabled": True, "levels": [{"days_after_due": 5}]})).status_code == 200
    late = await past_due_invoice(api, 8)
    allowed, asked = False, []

    async def mailer(subject: str, payload: bytes) -> bytes:
        command = msgspec.json.decode(payload, type=ReserveEmailQuota)
        if subject == subjects.MAILER_QUOTA_RESERVE and str(command.ctx.account_id) == api_account:
            asked.append(command.reservation_id)
            return msgspec.json.encode(EmailQuota(allowed=allowed, used=5, limit=5, resets_at=datetime.now(UTC)))
        return msgspec.json.encode(EmailQuota(allowed=True, used=0, limit=0, resets_at=datetime.now(UTC)))

    api_account = await account_of(stack, late)
    scheduler = OverdueScheduler(stack.invoices.pool, interval=1, today=lambda: TODAY, request=mailer)
    await scheduler.send_reminders()
    assert asked and await reminder_sends(stack, late) == {late: []}
    assert (await api.get(f"/invoices/{late}")).json()["reminder_level"] == 0

    allowed = True
    await scheduler.send_reminders()
    assert await reminder_sends(stack, late) == {late: [1]}
    sends = (await api.get(f"/invoices/{late}/sends")).json()
    assert [x["id"] for x in sends] == [str(asked[-1])]  # the reservation is the send's own id


async def account_of(stack: Stack, document_id: str) -> str:
    conn = await asyncpg.connect(stack.database_url)
    try:
        return str(await conn.fetchval("SELECT account_id FROM invoices.documents WHERE id = $1::uuid", document_id))
    finally:
        await conn.close()


async def test_a_reminder_that_turns_out_sent_already_gives_its_quota_back(stack: Stack) -> None:
    api = await ready_account(stack, "Twice GmbH")
    assert (await api.put("/settings/reminders", json={"enabled": True, "levels": [{"days_after_due": 5}]})).status_code == 200
    late = await past_due_invoice(api, 8)
    conn = await asyncpg.connect(stack.database_url)
    try:  # level 1 is on record already (as if another replica had just sent it), the document not yet marked
        await conn.execute(
            "INSERT INTO invoices.sends (id, account_id, document_id, version, state, request, requested_at, updated_at, reminder_level)"
            " SELECT gen_random_uuid(), account_id, id, version, 'queued', '{}'::jsonb, now(), now(), 1 FROM invoices.documents"
            " WHERE id = $1::uuid", late,
        )
    finally:
        await conn.close()
    account, reserved, released = await account_of(stack, late), [], []

    async def mailer(subject: str, payload: bytes) -> bytes:
        if subject == subjects.MAILER_QUOTA_RESERVE:
            command = msgspec.json.decode(payload, type=ReserveEmailQuota)
            (reserved if str(command.ctx.account_id) == account else []).append(command.reservation_id)
        elif subject == subjects.MAILER_QUOTA_RELEASE:
            command = msgspec.json.decode(payload, type=ReleaseEmailQuota)
            (released if str(command.ctx.account_id) == account else []).append(command.reservation_id)
        return msgspec.json.encode(EmailQuota(allowed=True, used=1, limit=0, resets_at=datetime.now(UTC)))

    scheduler = OverdueScheduler(stack.invoices.pool, interval=1, today=lambda: TODAY, request=mailer)
    await scheduler.send_reminders()
    assert len(reserved) == 1 and released == reserved  # the unique index refused the send: what it reserved went back
    assert (await api.get(f"/invoices/{late}")).json()["reminder_level"] == 0
