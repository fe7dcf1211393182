from __future__ import annotations

from uuid import UUID

from litestar import Controller, Response, delete, get, patch, post

from billwire_gateway.bus import Bus
from billwire_gateway.deps import json_reply
from billwire_shared import subjects as s
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
from billwire_shared.contracts.common import ById, Caller


class SettingsController(Controller):
    path = "/settings"
    tags = ["settings"]

    @get("/profile", summary="The company profile: seller details, bank, defaults, number series")
    async def get_profile(self, caller: Caller, bus: Bus) -> Response[Profile]:
        return json_reply(await bus.call(s.PROFILE_GET, GetProfile(ctx=caller)))

    @patch("/profile", summary="Change the company profile", opt={"scope": "admin"})
    async def update_profile(self, data: ProfilePatch, caller: Caller, bus: Bus) -> Response[Profile]:
        return json_reply(await bus.call(s.PROFILE_UPDATE, UpdateProfile(ctx=caller, patch=data)))

    @post("/api-keys", summary="Create an API key; its secret is shown only in this answer", opt={"scope": "admin"})
    async def create_api_key(self, data: ApiKeyInput, caller: Caller, bus: Bus) -> Response[NewApiKey]:
        return json_reply(await bus.call(s.API_KEY_CREATE, CreateApiKey(ctx=caller, key=data)), 201)

    @get("/api-keys", summary="List API keys (never their secrets)", opt={"scope": "admin"})
    async def list_api_keys(self, caller: Caller, bus: Bus) -> Response[list[ApiKey]]:
        return json_reply(await bus.call(s.API_KEY_LIST, ListApiKeys(ctx=caller)))

    @delete("/api-keys/{key_id:uuid}", summary="Revoke an API key on every gateway within seconds", opt={"scope": "admin"})
    async def revoke_api_key(self, key_id: UUID, caller: Caller, bus: Bus) -> None:
        await bus.call(s.API_KEY_REVOKE, ById(ctx=caller, id=key_id))
