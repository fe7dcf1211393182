from __future__ import annotations

from litestar import Controller, Response, get, patch, post, put
from litestar.params import JSONBody

from billwire_gateway.controllers.items import delete_one
from billwire_gateway.deps import BusDep, CallerDep, json_reply
from billwire_shared import subjects
from billwire_shared.contracts.accounts import (
    ApiKey,
    ApiKeyInput,
    CreateApiKey,
    GetProfile,
    ListApiKeys,
    NewApiKey,
    Profile,
    ProfilePatch,
    UpdateProfile,
)
from billwire_shared.contracts.email_settings import (
    EmailTemplateSettings,
    EmailTemplatesView,
    GetEmailTemplates,
    GetReminderSettings,
    ReminderSettings,
    UpdateEmailTemplates,
    UpdateReminderSettings,
)


class SettingsController(Controller):
    path = "/settings"
    tags = ["settings"]

    @get("/profile", summary="The company profile: seller details, bank, defaults, number series")
    async def get_profile(self, caller: CallerDep, bus: BusDep) -> Response[Profile]:
        return json_reply(await bus.call(subjects.PROFILE_GET, GetProfile(ctx=caller)))

    @patch("/profile", summary="Change the company profile", opt={"scope": "admin"})
    async def update_profile(self, data: JSONBody[ProfilePatch], caller: CallerDep, bus: BusDep) -> Response[Profile]:
        return json_reply(await bus.call(subjects.PROFILE_UPDATE, UpdateProfile(ctx=caller, patch=data)))

    @get("/email-templates", summary="The account's e-mail templates per language and kind (null: the built-in text, in `defaults`)")
    async def get_email_templates(self, caller: CallerDep, bus: BusDep) -> Response[EmailTemplatesView]:
        return json_reply(await bus.call(subjects.EMAIL_TEMPLATES_GET, GetEmailTemplates(ctx=caller)))

    @put(
        "/email-templates", opt={"scope": "admin"},
        summary="Replace the e-mail templates; placeholders are checked now, so no send fails on them",
    )
    async def put_email_templates(
        self, data: JSONBody[EmailTemplateSettings], caller: CallerDep, bus: BusDep
    ) -> Response[EmailTemplatesView]:
        return json_reply(await bus.call(subjects.EMAIL_TEMPLATES_UPDATE, UpdateEmailTemplates(ctx=caller, settings=data)))

    @get("/reminders", summary="Payment reminders: on or off, and up to three levels by days past due")
    async def get_reminders(self, caller: CallerDep, bus: BusDep) -> Response[ReminderSettings]:
        return json_reply(await bus.call(subjects.REMINDERS_GET, GetReminderSettings(ctx=caller)))

    @put("/reminders", summary="Replace the payment reminder settings", opt={"scope": "admin"})
    async def put_reminders(self, data: JSONBody[ReminderSettings], caller: CallerDep, bus: BusDep) -> Response[ReminderSettings]:
        return json_reply(await bus.call(subjects.REMINDERS_UPDATE, UpdateReminderSettings(ctx=caller, settings=data)))

    @post("/api-keys", summary="Create an API key; its secret is shown only in this answer", opt={"scope": "admin"})
    async def create_api_key(self, data: JSONBody[ApiKeyInput], caller: CallerDep, bus: BusDep) -> Response[NewApiKey]:
        return json_reply(await bus.call(subjects.API_KEY_CREATE, CreateApiKey(ctx=caller, key=data)), 201)

    @get("/api-keys", summary="List API keys (never their secrets)", opt={"scope": "admin"})
    async def list_api_keys(self, caller: CallerDep, bus: BusDep) -> Response[list[ApiKey]]:
        return json_reply(await bus.call(subjects.API_KEY_LIST, ListApiKeys(ctx=caller)))

    revoke_api_key = delete_one(
        "key_id", subjects.API_KEY_REVOKE, name="revoke_api_key", summary="Revoke an API key on every gateway within seconds",
        under="/api-keys", opt={"scope": "admin"},
    )
