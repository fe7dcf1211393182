"""SQL of an account's e-mail settings (templates, payment reminders) and of the invoices a
reminder is due for."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import asyncpg
import msgspec

from billwire_invoices.uow import Statement
from billwire_shared.contracts.accounts import Profile
from billwire_shared.contracts.email_settings import EmailTemplates, ReminderSettings


async def get_profile_and_templates(conn: asyncpg.Connection, account_id: UUID) -> tuple[Profile, EmailTemplates]:
    """What a send needs of its account, in one round trip."""
    row = await conn.fetchrow("SELECT profile, email_templates FROM accounts WHERE id = $1", account_id)
    profile = msgspec.convert((row["profile"] if row else None) or {}, Profile, strict=False)
    return profile, msgspec.convert((row["email_templates"] if row else None) or {}, EmailTemplates, strict=False)


async def get_templates(conn: asyncpg.Connection, account_id: UUID) -> EmailTemplates:
    data = await conn.fetchval("SELECT email_templates FROM accounts WHERE id = $1", account_id)
    return msgspec.convert(data or {}, EmailTemplates, strict=False)


def save_templates(account_id: UUID, templates: EmailTemplates) -> Statement:
    return "UPDATE accounts SET email_templates = $2, updated_at = now() WHERE id = $1", [account_id, templates]


async def get_reminders(conn: asyncpg.Connection, account_id: UUID) -> ReminderSettings:
    data = await conn.fetchval("SELECT reminders FROM accounts WHERE id = $1", account_id)
    return msgspec.convert(data or {}, ReminderSettings, strict=False)


def save_reminders(account_id: UUID, settings: ReminderSettings) -> Statement:
    return "UPDATE accounts SET reminders = $2, updated_at = now() WHERE id = $1", [account_id, settings]


async def reminder_candidates(
    conn: asyncpg.Connection, today: date, limit: int, skip_accounts: list[UUID]
) -> list[asyncpg.Record]:
    """Open invoices whose next reminder level is due, with what their e-mail needs, locked
    (another replica skips them). Those without a client address come last: they are only
    reported, and must not keep the others waiting."""
    return await conn.fetch(
        "SELECT d.account_id, d.data, a.profile, a.email_templates, a.reminders"
        " FROM documents d JOIN accounts a ON a.id = d.account_id"
        " WHERE d.status = 'open' AND d.type = 'invoice' AND d.due_date < $1 AND a.reminders @> '{\"enabled\": true}'"
        " AND d.reminder_level < jsonb_array_length(a.reminders->'levels')"
        " AND d.due_date <= $1 - (a.reminders->'levels'->d.reminder_level->>'days_after_due')::int"
        " AND NOT d.account_id = ANY($3::uuid[])"
        " ORDER BY coalesce(d.data->'client'->>'email', '') = '', d.due_date, d.id LIMIT $2 FOR UPDATE OF d SKIP LOCKED",
        today, limit, skip_accounts,
    )
