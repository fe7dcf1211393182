"""The pages clients and products share, each one bus command: the list (searched by `q`), the
new form, the edit form and delete. A subclass names its kind's calls (calls/items.py), how its
form becomes the API's fields, and where a saved item leads."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath

from billwire_gateway.bus import ApiError
from billwire_gateway.calls.items import ItemCalls
from billwire_gateway.web.context import PersonDep, attempt, bus_of, decode, page, redirect
from billwire_gateway.web.forms import convert, field_errors
from billwire_shared.contracts.common import Caller, Page


class ItemPages(Controller):
    # Its noun names the pages: clients.html and client_form.html, which name the item `client`.
    calls: ItemCalls

    def values(self, form: Any) -> dict[str, Any]:
        """What the form says, in the API's field names."""
        raise NotImplementedError

    def patch_values(self, values: dict[str, Any]) -> dict[str, Any]:
        """The fields of a change: all the form has."""
        return values

    def create_command(self, caller: Caller, values: dict[str, Any]) -> msgspec.Struct:
        return self.calls.make(caller, convert(values, self.calls.body))

    def update_command(self, caller: Caller, item_id: UUID, values: dict[str, Any]) -> msgspec.Struct:
        return self.calls.change(caller, item_id, convert(self.patch_values(values), self.calls.patch))

    def errors(self, exc: ApiError) -> dict[str, str]:
        """The refusal's fields by the form's field names."""
        return field_errors(exc)

    def saved(self, item_id: UUID) -> str:
        """Where the browser goes once the item is saved."""
        return self.path

    @get("/")
    async def list_items(self, request: Request, person: PersonDep) -> Response:
        q = (request.query_params.get("q") or "").strip()[:100] or None
        query = self.calls.search(person.caller, q, 100, 0)
        items = decode(await bus_of(request).call(self.calls.subject("list"), query), Page[self.calls.item])  # type: ignore[name-defined]
        return page(request, f"{self.calls.noun}s.html", person, q=q or "", **{f"{self.calls.noun}s": items})

    @get("/new")
    async def new_form(self, request: Request, person: PersonDep) -> Response:
        return self._form(request, person, None, {}, {})

    @post("/new")
    async def create(self, request: Request, person: PersonDep) -> Response:
        values = self.values(await request.form())
        outcome = await attempt(request, self.calls.subject("create"), lambda: self.create_command(person.caller, values))
        if isinstance(outcome, ApiError):
            return self._form(request, person, None, values, self.errors(outcome), 422)
        return redirect(self.saved(decode(outcome, self.calls.item).id), "Saved.", person)

    @get("/{item_id:uuid}/edit")
    async def edit_form(self, request: Request, person: PersonDep, item_id: FromPath[UUID]) -> Response:
        return self._form(request, person, await self._get(request, person, item_id), None, {})

    @post("/{item_id:uuid}/edit")
    async def update(self, request: Request, person: PersonDep, item_id: FromPath[UUID]) -> Response:
        values = self.values(await request.form())
        outcome = await attempt(request, self.calls.subject("update"), lambda: self.update_command(person.caller, item_id, values))
        if isinstance(outcome, ApiError):
            return self._form(request, person, await self._get(request, person, item_id), values, self.errors(outcome), 422)
        return redirect(self.saved(item_id), "Saved.", person)

    @post("/{item_id:uuid}/delete")
    async def delete(self, request: Request, person: PersonDep, item_id: FromPath[UUID]) -> Response:
        await bus_of(request).call(self.calls.subject("delete"), self.calls.by_id(person.caller, item_id))
        return redirect(self.path, "Done.", person)

    async def _get(self, request: Request, person: PersonDep, item_id: UUID) -> Any:
        return decode(await bus_of(request).call(self.calls.subject("get"), self.calls.by_id(person.caller, item_id)), self.calls.item)

    def _form(
        self, request: Request, person: PersonDep, item: Any, values: dict[str, Any] | None, errors: dict[str, str], status_code: int = 200,
    ) -> Response:
        noun = self.calls.noun
        return page(request, f"{noun}_form.html", person, status_code, values=values, errors=errors, **{noun: item})
