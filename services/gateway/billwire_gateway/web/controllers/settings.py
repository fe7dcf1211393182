"""Settings a person changes: the company profile with its logo, bank, defaults and number
series (owners and members; accountants read), and API keys for agents (owners)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import FormMultiDict, UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath

from billwire_gateway.bus import ApiError
from billwire_gateway.calls import settings as calls
from billwire_gateway.images import MAX_UPLOAD_BYTES, ImageRejected, check_logo
from billwire_gateway.web.context import PersonDep, bus_of, decode, page, redirect
from billwire_gateway.web.forms import address, convert, field_errors, given, text
from billwire_gateway.web.i18n import ACTION_LABELS
from billwire_shared import subjects
from billwire_shared.contracts.accounts import ApiKey, ApiKeyInput, NewApiKey, NumberSeries, Profile, ProfilePatch
from billwire_shared.contracts.approvals import APPROVAL_ACTIONS
from billwire_shared.contracts.common import SCOPES
from billwire_shared.contracts.rendering import Logo, SetLogo

PROFILE_FIELDS = ("company_name", "email", "phone", "tax_number", "vat_id", "contact_name", "legal_footer", "default_currency",
                  "default_payment_terms_days", "default_tax_rate", "language", "default_export_type", "default_price_layout")
BANK_FIELDS = ("account_holder", "iban", "bic")
SERIES = tuple(NumberSeries.__struct_fields__)


def number_series(form: FormMultiDict) -> dict[str, Any]:
    """`series_<type>_pattern` and its `..._yearly_reset` box per document type; a type whose
    pattern is left empty keeps its series."""
    series = {}
    for doc_type in SERIES:
        if (pattern := text(form, f"series_{doc_type}_pattern")) is not None:
            series[doc_type] = {"pattern": pattern, "yearly_reset": form.get(f"series_{doc_type}_yearly_reset") == "on"}
    return series


def _profile_errors(errors: dict[str, str]) -> dict[str, str]:
    """The API's `number_series.invoice.pattern`, `bank.iban`, `address.city` as the form's field names."""
    renamed = {}
    for name, message in errors.items():
        parts = name.split(".")
        if parts[0] == "number_series" and len(parts) == 3:
            name = f"series_{parts[1]}_{parts[2]}"
        elif parts[0] in ("bank", "address") and len(parts) == 2:
            name = f"{parts[0]}_{parts[1]}"
        renamed[name] = message
    return renamed


class SettingsController(Controller):
    path = "/settings"

    @get("/")
    async def index(self) -> Response:
        return redirect("/settings/profile")

    @get("/profile")
    async def profile_form(self, request: Request, person: PersonDep) -> Response:
        return await self._profile_page(request, person, None, {})

    @post("/profile", opt={"scope": "write"})
    async def update_profile(self, request: Request, person: PersonDep) -> Response:
        form = await request.form()
        values: dict[str, Any] = given(form, PROFILE_FIELDS)
        values["address"] = address(form) or {}
        values["bank"] = given(form, BANK_FIELDS, "bank_")
        values["number_series"] = number_series(form)
        try:
            patch = convert(values, ProfilePatch)
            await calls.UPDATE_PROFILE.ask(bus_of(request), person.caller, patch)
        except ApiError as exc:
            return await self._profile_page(request, person, values, _profile_errors(field_errors(exc)), 422)
        return redirect("/settings/profile", "Saved.", person)

    @post("/logo", opt={"scope": "write"}, request_max_body_size=MAX_UPLOAD_BYTES + 64 * 1024)
    async def upload_logo(
        self, request: Request, person: PersonDep, data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> Response:
        upload = data.get("file")
        if not isinstance(upload, UploadFile):
            return redirect("/settings/profile", "Choose a PNG, JPEG or SVG file.", person)
        content = await upload.read(MAX_UPLOAD_BYTES + 1)
        try:
            media_type, clean = check_logo(content[:MAX_UPLOAD_BYTES + 1])
            if len(content) > MAX_UPLOAD_BYTES:
                raise ImageRejected("The logo is larger than 2 MB.")
        except ImageRejected as exc:
            return redirect("/settings/profile", str(exc), person)
        await bus_of(request).call(subjects.LOGO_SET, SetLogo(ctx=person.caller, media_type=media_type, data=clean))
        return redirect("/settings/profile", "Saved.", person)

    @get("/logo")
    async def logo(self, request: Request, person: PersonDep) -> Response:
        logo = decode(await calls.GET_LOGO.ask(bus_of(request), person.caller), Logo)
        return Response(logo.data, media_type=logo.media_type, headers={"Cache-Control": "private, no-cache"})

    @get("/keys", opt={"scope": "admin"})
    async def keys(self, request: Request, person: PersonDep) -> Response:
        return await self._keys_page(request, person, None, {})

    @post("/keys", opt={"scope": "admin"})
    async def create_key(self, request: Request, person: PersonDep) -> Response:
        form = await request.form()
        scopes = [scope for scope in form.getall("scopes") if scope in SCOPES] if "scopes" in form else []
        held = [action for action in form.getall("requires_approval") if action in APPROVAL_ACTIONS] if "requires_approval" in form else []
        try:
            key_input = convert(given(form, ("name",)) | {"scopes": scopes, "requires_approval": held}, ApiKeyInput)
            raw = await calls.CREATE_API_KEY.ask(bus_of(request), person.caller, key_input)
        except ApiError as exc:
            return await self._keys_page(request, person, None, field_errors(exc), 422)
        return await self._keys_page(request, person, decode(raw, NewApiKey), {}, 201)

    @post("/keys/{key_id:uuid}/revoke", opt={"scope": "admin"})
    async def revoke_key(self, request: Request, person: PersonDep, key_id: FromPath[UUID]) -> Response:
        await calls.REVOKE_API_KEY.ask(bus_of(request), person.caller, key_id)
        return redirect("/settings/keys", "Done.", person)

    @staticmethod
    async def _profile_page(request: Request, person: PersonDep, values: dict | None, errors: dict, status_code: int = 200) -> Response:
        bus = bus_of(request)
        profile = decode(await calls.GET_PROFILE.ask(bus, person.caller), Profile)
        try:
            await calls.GET_LOGO.ask(bus, person.caller)
            has_logo = True
        except ApiError:
            has_logo = False
        return page(
            request, "profile.html", person, status_code, profile=profile, values=values, errors=errors, has_logo=has_logo, series_types=SERIES,
        )

    @staticmethod
    async def _keys_page(request: Request, person: PersonDep, new_key: NewApiKey | None, errors: dict, status_code: int = 200) -> Response:
        keys = decode(await calls.LIST_API_KEYS.ask(bus_of(request), person.caller), list[ApiKey])
        return page(request, "keys.html", person, status_code, keys=keys, new_key=new_key, errors=errors, scopes=SCOPES,
                    actions=APPROVAL_ACTIONS, labels=ACTION_LABELS)
