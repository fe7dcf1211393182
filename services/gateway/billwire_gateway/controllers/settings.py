from __future__ import annotations

from litestar import Controller, put

from billwire_gateway.calls import settings as calls
from billwire_gateway.controllers.items import change_account, create_one, delete_one, read_account
from billwire_shared import subjects
from billwire_shared.contracts.accounts import ApiKey, ApiKeyInput, NewApiKey, Profile, ProfilePatch
from billwire_shared.contracts.email_settings import (
    EmailTemplateSettings,
    EmailTemplatesView,
    GetEmailTemplates,
    ReminderSettings,
    UpdateEmailTemplates,
)


class SettingsController(Controller):
    path = "/settings"
    tags = ["settings"]

    get_profile = read_account(
        "/profile", calls.GET_PROFILE.subject, calls.GET_PROFILE.command, Profile, name="get_profile",
        summary="The company profile: seller details, bank, defaults, number series",
    )
    update_profile = change_account(
        "/profile", calls.UPDATE_PROFILE.subject, calls.UPDATE_PROFILE.command, ProfilePatch, Profile,
        name="update_profile", summary="Change the company profile",
    )
    get_email_templates = read_account(
        "/email-templates", subjects.EMAIL_TEMPLATES_GET, GetEmailTemplates, EmailTemplatesView, name="get_email_templates",
        summary="The account's e-mail templates per language and kind (null: the built-in text, in `defaults`)",
    )
    put_email_templates = change_account(
        "/email-templates", subjects.EMAIL_TEMPLATES_UPDATE, lambda caller, data: UpdateEmailTemplates(ctx=caller, settings=data),
        EmailTemplateSettings, EmailTemplatesView, name="put_email_templates", method=put,
        summary="Replace the e-mail templates; placeholders are checked now, so no send fails on them",
    )
    get_reminders = read_account(
        "/reminders", calls.GET_REMINDERS.subject, calls.GET_REMINDERS.command, ReminderSettings, name="get_reminders",
        summary="Payment reminders: on or off, and up to three levels by days past due",
    )
    put_reminders = change_account(
        "/reminders", calls.UPDATE_REMINDERS.subject, calls.UPDATE_REMINDERS.command,
        ReminderSettings, ReminderSettings, name="put_reminders", method=put, summary="Replace the payment reminder settings",
    )

    create_api_key = create_one(
        "/api-keys", calls.CREATE_API_KEY.subject, calls.CREATE_API_KEY.command, ApiKeyInput, NewApiKey,
        name="create_api_key", summary="Create an API key; its secret is shown only in this answer", opt={"scope": "admin"},
    )

    list_api_keys = read_account(
        "/api-keys", calls.LIST_API_KEYS.subject, calls.LIST_API_KEYS.command, list[ApiKey], name="list_api_keys",
        summary="List API keys (never their secrets)", opt={"scope": "admin"},
    )

    revoke_api_key = delete_one(
        "key_id", calls.REVOKE_API_KEY.subject, name="revoke_api_key", summary="Revoke an API key on every gateway within seconds",
        under="/api-keys", opt={"scope": "admin"},
    )
