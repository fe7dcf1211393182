"""Route handlers for the shapes the controllers repeat, each one bus call whose JSON reply passes
through unchanged: create an item, list a collection searched by `q`, read, change, delete or act
on one item by the id in its path, and read or change what the account has of one kind (its
profile, its reminder settings, its webhooks).

A collection's controller names its handlers as class attributes, e.g.
`get_client = read_one("client_id", subjects.CLIENT_GET, Client, name="get_client", summary=...)`;
`name` is the handler's name, which the OpenAPI operation id is made from, so each stays what a
hand-written `async def get_client(...)` gave. No `from __future__ import annotations` here: the
reply and body types are real objects from the arguments, and Litestar reads them as they are.
"""

from collections.abc import Callable
from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromQuery, JSONBody

from billwire_gateway.calls.items import ItemCalls
from billwire_gateway.deps import BusDep, CallerDep, Limit, Offset, json_reply
from billwire_shared.contracts.common import ById, Caller, Page

ChangeCommand = Callable[[Caller, UUID, Any], msgspec.Struct]
AccountChange = Callable[[Caller, Any], msgspec.Struct]


def _named(handler: Callable, name: str) -> Callable:
    handler.__name__ = handler.__qualname__ = name
    return handler


def _item_path(param: str, under: str) -> str:
    """`/{client_id:uuid}`, below `under` when the controller holds more than one collection."""
    return f"{under}/{{{param}:uuid}}"


def _by_id(method: Callable, path: str, param: str, subject: str, reply: type, name: str, **options: Any) -> HTTPRouteHandler:
    async def handler(self: Any, request: Request, caller: CallerDep, bus: BusDep) -> Response[reply]:  # type: ignore[valid-type]
        return json_reply(await bus.call(subject, ById(ctx=caller, id=request.path_params[param])))

    return method(path, **options)(_named(handler, name))


def create_one(
    path: str | None, subject: str, command: AccountChange, body: type, reply: type, *, name: str, summary: str, **options: Any,
) -> HTTPRouteHandler:
    """POST: `command(caller, body)` sent, the new item answered (201)."""

    async def handler(self: Any, data: JSONBody[body], caller: CallerDep, bus: BusDep) -> Response[reply]:  # type: ignore[valid-type]
        return json_reply(await bus.call(subject, command(caller, data)), 201)

    return post(path, summary=summary, **options)(_named(handler, name))


def search(subject: str, query: Callable[..., msgspec.Struct], reply: type, *, name: str, summary: str, **options: Any) -> HTTPRouteHandler:
    """GET: one page of the collection, `q` searching it, asked for with `query(ctx, q, limit, offset)`."""

    async def handler(
        self: Any, caller: CallerDep, bus: BusDep, q: FromQuery[str | None] = None, limit: Limit = 50, offset: Offset = 0,
    ) -> Response[Page[reply]]:  # type: ignore[valid-type]
        return json_reply(await bus.call(subject, query(ctx=caller, q=q, limit=limit, offset=offset)))

    return get(summary=summary, **options)(_named(handler, name))


def read_one(param: str, subject: str, reply: type, *, name: str, summary: str, under: str = "", **options: Any) -> HTTPRouteHandler:
    """GET /{param}: the item, asked for with `ById`."""
    return _by_id(get, _item_path(param, under), param, subject, reply, name, summary=summary, **options)


def act_on_one(action: str, param: str, subject: str, reply: type, *, name: str, summary: str, **options: Any) -> HTTPRouteHandler:
    """POST /{param}/{action} without a body (pause, resume...): `ById` sent, the item answered (200)."""
    return _by_id(post, f"{_item_path(param, '')}/{action}", param, subject, reply, name, summary=summary, status_code=200, **options)


def change_one(
    param: str, subject: str, command: ChangeCommand, body: type, reply: type, *, name: str, summary: str,
    method: Callable[..., Callable[[Callable], HTTPRouteHandler]] = patch, under: str = "", **options: Any,
) -> HTTPRouteHandler:
    """PATCH (or PUT) /{param}: `command(caller, id, body)` sent, the changed item answered."""

    async def handler(
        self: Any, request: Request, data: JSONBody[body], caller: CallerDep, bus: BusDep,  # type: ignore[valid-type]
    ) -> Response[reply]:  # type: ignore[valid-type]
        return json_reply(await bus.call(subject, command(caller, request.path_params[param], data)))

    return method(_item_path(param, under), summary=summary, **options)(_named(handler, name))


def delete_one(param: str, subject: str, *, name: str, summary: str, under: str = "", **options: Any) -> HTTPRouteHandler:
    """DELETE /{param}: `ById` sent, 204 answered."""

    async def handler(self: Any, request: Request, caller: CallerDep, bus: BusDep) -> None:
        await bus.call(subject, ById(ctx=caller, id=request.path_params[param]))

    return delete(_item_path(param, under), summary=summary, **options)(_named(handler, name))


def read_account(
    path: str | None, subject: str, command: Callable[..., msgspec.Struct], reply: type, *, name: str, summary: str, **options: Any,
) -> HTTPRouteHandler:
    """GET: what the account has of one kind, asked for with `command(ctx=caller)`."""

    async def handler(self: Any, caller: CallerDep, bus: BusDep) -> Response[reply]:  # type: ignore[valid-type]
        return json_reply(await bus.call(subject, command(ctx=caller)))

    return get(path, summary=summary, **options)(_named(handler, name))


def change_account(
    path: str, subject: str, command: AccountChange, body: type, reply: type, *, name: str, summary: str,
    method: Callable[..., Callable[[Callable], HTTPRouteHandler]] = patch, **options: Any,
) -> HTTPRouteHandler:
    """PATCH (or PUT): `command(caller, body)` sent, what the account has now answered."""

    async def handler(self: Any, data: JSONBody[body], caller: CallerDep, bus: BusDep) -> Response[reply]:  # type: ignore[valid-type]
        return json_reply(await bus.call(subject, command(caller, data)))

    return method(path, summary=summary, **options)(_named(handler, name))


def item_controller(name: str, calls: ItemCalls, path: str, *, create: str, list: str, get: str, update: str, delete: str) -> type[Controller]:
    """The controller of a kind of item at `path` (its tag): create, list searched by `q`, read,
    change and delete, named create_client, list_clients ... after the noun, each with its summary."""
    noun, param = calls.noun, f"{calls.noun}_id"
    handlers = {
        f"create_{noun}": create_one(None, calls.subject("create"), calls.make, calls.body, calls.item, name=f"create_{noun}", summary=create),
        f"list_{noun}s": search(calls.subject("list"), calls.list_query, calls.item, name=f"list_{noun}s", summary=list),
        f"get_{noun}": read_one(param, calls.subject("get"), calls.item, name=f"get_{noun}", summary=get),
        f"update_{noun}": change_one(param, calls.subject("update"), calls.change, calls.patch, calls.item, name=f"update_{noun}", summary=update),
        f"delete_{noun}": delete_one(param, calls.subject("delete"), name=f"delete_{noun}", summary=delete),
    }
    return type(name, (Controller,), {"path": path, "tags": [path.strip("/")], **handlers})
