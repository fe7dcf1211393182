"""Handlers for an account's e-mail settings: its templates and its payment reminders. Both
are checked whole when saved, so neither a send nor the scheduler meets a bad one.

No `from __future__ import annotations`: see documents/handlers.py.
"""


import asyncpg

from billwire_invoices import answers
from billwire_invoices.accounts import sql as account_sql
from billwire_invoices.documents import rules as document_rules
from billwire_invoices.documents import sql as document_sql
from billwire_invoices.email import reminders, sql, templates
from billwire_invoices.uow import Handlers, utcnow
from billwire_shared import subjects
from billwire_shared.contracts.email_settings import (
    EmailTemplatesView,
    GetEmailTemplates,
    GetReminderSettings,
    PreviewSend,
    ReminderSettings,
    SendPreview,
    UpdateEmailTemplates,
    UpdateReminderSettings,
)
from billwire_shared.errors import ErrorCode, found


class EmailSettingsHandlers(Handlers):
    """One method per RPC subject of the e-mail settings (each marked with the subject it answers)."""

    @answers(subjects.EMAIL_TEMPLATES_GET)
    async def get_email_templates(self, cmd: GetEmailTemplates) -> EmailTemplatesView:
        saved = await self.uow.read(lambda conn: sql.get_templates(conn, cmd.ctx.account_id))
        return EmailTemplatesView(templates=saved, defaults=templates.defaults())

    @answers(subjects.EMAIL_TEMPLATES_UPDATE)
    async def update_email_templates(self, cmd: UpdateEmailTemplates) -> EmailTemplatesView:
        document_rules.check(templates.problems(cmd.settings.templates))

        async def work(conn: asyncpg.Connection) -> EmailTemplatesView:
            before = await sql.get_templates(conn, cmd.ctx.account_id)
            after = cmd.settings.templates
            statement = sql.save_templates(cmd.ctx.account_id, after)
            await self.uow.apply(conn, statement, cmd.ctx, "email_templates", cmd.ctx.account_id, "update", before, after, None, utcnow())
            return EmailTemplatesView(templates=after, defaults=templates.defaults())

        return await self.uow.write(cmd.ctx, EmailTemplatesView, work)

    @answers(subjects.SEND_PREVIEW)
    async def preview_send(self, cmd: PreviewSend) -> SendPreview:
        """What the send form starts from: the client's address and the template's subject and text."""

        async def work(conn: asyncpg.Connection) -> SendPreview:
            doc = found(await document_sql.get_document(conn, cmd.ctx.account_id, cmd.id), ErrorCode.DOCUMENT_NOT_FOUND, "Document", cmd.id)
            profile = await account_sql.get_profile(conn, cmd.ctx.account_id)
            subject, message = templates.compose(doc, profile, await sql.get_templates(conn, cmd.ctx.account_id), doc.type)
            return SendPreview(recipient=doc.client.email, subject=subject, message=message)

        return await self.uow.read(work)

    @answers(subjects.REMINDERS_GET)
    async def get_reminders(self, cmd: GetReminderSettings) -> ReminderSettings:
        return await self.uow.read(lambda conn: sql.get_reminders(conn, cmd.ctx.account_id))

    @answers(subjects.REMINDERS_UPDATE)
    async def update_reminders(self, cmd: UpdateReminderSettings) -> ReminderSettings:
        document_rules.check(reminders.settings_problems(cmd.settings))

        async def work(conn: asyncpg.Connection) -> ReminderSettings:
            before = await sql.get_reminders(conn, cmd.ctx.account_id)
            statement = sql.save_reminders(cmd.ctx.account_id, cmd.settings)
            await self.uow.apply(conn, statement, cmd.ctx, "reminders", cmd.ctx.account_id, "update", before, cmd.settings, None, utcnow())
            return cmd.settings

        return await self.uow.write(cmd.ctx, ReminderSettings, work)
