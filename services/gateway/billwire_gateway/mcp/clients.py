"""MCP tools of clients and products (REST: controllers/clients.py): each kind's tools are the same
five (list, get, create, update, delete) made from its calls (calls/items.py); what differs is
their descriptions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

import msgspec
from mcp.server.mcpserver import Context

from billwire_gateway.calls.items import CLIENTS, PRODUCTS, ItemCalls
from billwire_gateway.mcp.arguments import Arguments, Confirm, IdempotencyKey, Paging
from billwire_gateway.mcp.toolbox import IRREVERSIBLE, READ, UPDATE, WRITE, Toolbox
from billwire_shared.contracts.common import Deleted, Page


class Search(Paging, kw_only=True):
    query: str | None = None


def item_arguments(calls: ItemCalls) -> tuple[type[msgspec.Struct], ...]:
    """The arguments of a kind's tools, named after it (ClientId, NewClient, ClientChanges,
    DeleteClient): its id, a new one with an idempotency key, its changes, a delete to confirm."""
    noun = calls.noun.capitalize()
    key = ("idempotency_key", IdempotencyKey | None, None)
    item_id = msgspec.defstruct(f"{noun}Id", [(f"{calls.noun}_id", UUID)], bases=(Arguments,), kw_only=True, module=__name__)
    new = msgspec.defstruct(f"New{noun}", [(calls.noun, calls.body), key], bases=(Arguments,), kw_only=True, module=__name__)
    changes = msgspec.defstruct(f"{noun}Changes", [("changes", calls.patch), key], bases=(item_id,), kw_only=True, module=__name__)
    delete = msgspec.defstruct(f"Delete{noun}", [("confirm", Confirm, False)], bases=(item_id,), kw_only=True, module=__name__)
    return item_id, new, changes, delete


def _named(fn: Callable, name: str, description: str) -> Callable:
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = description
    return fn


def register_items(tools: Toolbox, calls: ItemCalls, *, list: str, get: str | None, create: str, update: str, delete: str) -> None:
    """The tools list_<noun>s, get_<noun> (when described), create_<noun>, update_<noun> and
    delete_<noun>, in that order; a delete without confirm=true only shows the item."""
    noun, item = calls.noun, calls.item
    item_id, new, changes, to_delete = item_arguments(calls)

    def id_of(args: Any) -> UUID:
        return getattr(args, f"{noun}_id")

    async def list_items(ctx: Context, args: Search) -> Any:
        command = lambda k: calls.search(k, args.query, args.limit, args.offset)  # noqa: E731
        return await tools.call(ctx, calls.subject("list"), command, Page[item])  # type: ignore[valid-type]

    async def get_item(ctx: Context, args: Any) -> Any:
        return await tools.call(ctx, calls.subject("get"), lambda k: calls.by_id(k, id_of(args)), item)

    async def create_item(ctx: Context, args: Any) -> Any:
        command = lambda k: calls.make(k, getattr(args, noun))  # noqa: E731
        return await tools.call(ctx, calls.subject("create"), command, item, key=args.idempotency_key, scope="write")

    async def update_item(ctx: Context, args: Any) -> Any:
        command = lambda k: calls.change(k, id_of(args), args.changes)  # noqa: E731
        return await tools.call(ctx, calls.subject("update"), command, item, key=args.idempotency_key, scope="write")

    async def delete_item(ctx: Context, args: Any) -> Any:
        if not args.confirm:
            return await tools.call(ctx, calls.subject("get"), lambda k: calls.by_id(k, id_of(args)), item, scope="write")
        return await tools.call(ctx, calls.subject("delete"), lambda k: calls.by_id(k, id_of(args)), Deleted, scope="write")

    tools.tool(READ, Search, Page[item])(_named(list_items, f"list_{noun}s", list))  # type: ignore[valid-type]
    if get is not None:
        tools.tool(READ, item_id, item)(_named(get_item, f"get_{noun}", get))
    tools.tool(WRITE, new, item)(_named(create_item, f"create_{noun}", create))
    tools.tool(UPDATE, changes, item)(_named(update_item, f"update_{noun}", update))
    tools.tool(IRREVERSIBLE, to_delete, item, Deleted)(_named(delete_item, f"delete_{noun}", delete))


def register(tools: Toolbox) -> None:
    register_items(
        tools, CLIENTS,
        list="List the account's clients; `query` searches name, e-mail and client number.",
        get="One client by id.",
        create="Create a client: name (required), email, client_number, address {street, zip, city, country (ISO 2)}, vat_id...",
        update="Change some of a client's fields; documents already written keep the old details.",
        delete="Delete a client (documents already written keep their copy of its details). Without\n"
               "confirm=true this only shows the client that would be deleted.",
    )
    register_items(
        tools, PRODUCTS,
        list="List products (title, unit, net price, VAT rate); `query` searches title and description.",
        get=None,
        create="Create a product: title, unit, and net_price or gross_price, tax_rate.",
        update="Change some of a product's fields; lines already written keep their prices.",
        delete="Delete a product (lines already written keep their copy). Without confirm=true this\n"
               "only shows the product that would be deleted.",
    )
