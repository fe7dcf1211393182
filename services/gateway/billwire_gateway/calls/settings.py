"""The account's settings: its company profile and logo, reminders, e-mail templates and API keys.
The reads of what the account has take the caller as `ctx`, as REST's read_account passes it."""

from __future__ import annotations

from billwire_gateway.calls.call import Call
from billwire_shared import subjects
from billwire_shared.contracts.accounts import ApiKey, CreateApiKey, GetProfile, ListApiKeys, NewApiKey, Profile, UpdateProfile
from billwire_shared.contracts.common import ById
from billwire_shared.contracts.email_settings import GetReminderSettings, ReminderSettings, UpdateReminderSettings
from billwire_shared.contracts.rendering import Logo

GET_PROFILE = Call(subjects.PROFILE_GET, lambda ctx: GetProfile(ctx=ctx), Profile)
UPDATE_PROFILE = Call(subjects.PROFILE_UPDATE, lambda caller, patch: UpdateProfile(ctx=caller, patch=patch), Profile)
GET_LOGO = Call(subjects.LOGO_GET, lambda ctx: GetProfile(ctx=ctx), Logo)
GET_REMINDERS = Call(subjects.REMINDERS_GET, lambda ctx: GetReminderSettings(ctx=ctx), ReminderSettings)
UPDATE_REMINDERS = Call(subjects.REMINDERS_UPDATE, lambda caller, settings: UpdateReminderSettings(ctx=caller, settings=settings), ReminderSettings)
CREATE_API_KEY = Call(subjects.API_KEY_CREATE, lambda caller, key: CreateApiKey(ctx=caller, key=key), NewApiKey)
LIST_API_KEYS = Call(subjects.API_KEY_LIST, lambda ctx: ListApiKeys(ctx=ctx), list[ApiKey])
REVOKE_API_KEY = Call(subjects.API_KEY_REVOKE, lambda caller, key_id: ById(ctx=caller, id=key_id), ApiKey)
