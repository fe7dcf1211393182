"""MCP tools of the account's settings (REST: controllers/settings.py)."""

from __future__ import annotations

from mcp.server.mcpserver import Context

from billwire_gateway.calls import settings as calls
from billwire_gateway.mcp.arguments import Arguments
from billwire_gateway.mcp.toolbox import READ, UPDATE, Toolbox, derived
from billwire_shared.contracts.accounts import Profile
from billwire_shared.contracts.email_settings import ReminderSettings

ReminderArguments = derived("ReminderArguments", ReminderSettings)


class NoArguments(Arguments, kw_only=True):
    pass


def register(tools: Toolbox) -> None:
    @tools.tool(READ, NoArguments, Profile)
    async def get_company_profile(ctx: Context, args: NoArguments) -> Profile:
        """The seller's details, bank, defaults and number series."""
        return await tools.ask(ctx, calls.GET_PROFILE)

    @tools.tool(READ, NoArguments, ReminderSettings)
    async def get_reminder_settings(ctx: Context, args: NoArguments) -> ReminderSettings:
        """Payment reminders: on or off, and up to three levels by days past the due date."""
        return await tools.ask(ctx, calls.GET_REMINDERS)

    @tools.tool(UPDATE, ReminderArguments, ReminderSettings, scope="write")
    async def update_reminder_settings(ctx: Context, args: ReminderArguments) -> ReminderSettings:  # type: ignore[valid-type]
        """Replace the payment reminder settings: `enabled`, and `levels` by days_after_due
        (strictly increasing). Needs the `write` scope, as over REST."""
        body = ReminderSettings(enabled=args.enabled, levels=args.levels)
        return await tools.ask(ctx, calls.UPDATE_REMINDERS, body, scope="write")
