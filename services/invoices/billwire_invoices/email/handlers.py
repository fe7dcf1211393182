"""Handlers for an account's e-mail settings: its templates and its payment reminders. Both
are checked whole when saved, so neither a send nor the scheduler meets a bad one.

No `from __future__ import annotations`: see handlers.py.
"""

import asyncpg

from billwire_invoices import domain
from billwire_invoices.email import reminders, sql
from billwire_invoices.email import templates as templating
from billwire_invoices.handlers import InvoicesHandlers, utcnow
from billwire_shared import subjects as s
from billwire_shared.contracts import email_settings as es


class EmailSettingsHandlers(InvoicesHandlers):
    async def get_email_templates(self, cmd: es.GetEmailTemplates) -> es.EmailTemplatesView:
        templates = await self._read(lambda conn: sql.get_templates(conn, cmd.ctx.account_id))
        return es.EmailTemplatesView(templates=templates, defaults=templating.defaults())

    async def update_email_templates(self, cmd: es.UpdateEmailTemplates) -> es.EmailTemplatesView:
        domain.check(templating.problems(cmd.settings.templates))

        async def work(conn: asyncpg.Connection) -> es.EmailTemplatesView:
            before = await sql.get_templates(conn, cmd.ctx.account_id)
            after = cmd.settings.templates
            statement = sql.save_templates(cmd.ctx.account_id, after)
            await self._apply(conn, statement, cmd.ctx, "email_templates", cmd.ctx.account_id, "update", before, after, None, utcnow())
            return es.EmailTemplatesView(templates=after, defaults=templating.defaults())

        return await self._write(cmd.ctx, es.EmailTemplatesView, work)

    async def get_reminders(self, cmd: es.GetReminderSettings) -> es.ReminderSettings:
        return await self._read(lambda conn: sql.get_reminders(conn, cmd.ctx.account_id))

    async def update_reminders(self, cmd: es.UpdateReminderSettings) -> es.ReminderSettings:
        domain.check(reminders.settings_problems(cmd.settings))

        async def work(conn: asyncpg.Connection) -> es.ReminderSettings:
            before = await sql.get_reminders(conn, cmd.ctx.account_id)
            statement = sql.save_reminders(cmd.ctx.account_id, cmd.settings)
            await self._apply(conn, statement, cmd.ctx, "reminders", cmd.ctx.account_id, "update", before, cmd.settings, None, utcnow())
            return cmd.settings

        return await self._write(cmd.ctx, es.ReminderSettings, work)


EMAIL_SETTINGS_ROUTES: dict[str, str] = {
    s.EMAIL_TEMPLATES_GET: "get_email_templates",
    s.EMAIL_TEMPLATES_UPDATE: "update_email_templates",
    s.REMINDERS_GET: "get_reminders",
    s.REMINDERS_UPDATE: "update_reminders",
}
