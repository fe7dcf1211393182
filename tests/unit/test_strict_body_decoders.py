"""The gateway's strict body check keeps one decoder per route handler. Keyed by `id(handler)`,
a handler of a dropped app left its entry behind, and a later handler at the same address got
that decoder: in the suite, PATCH /settings/profile refused every field as unknown."""

from __future__ import annotations

import gc
from types import SimpleNamespace

import msgspec
from litestar import Litestar, post

from billwire_gateway import strict


class Body(msgspec.Struct, forbid_unknown_fields=True):
    name: str


def handler_of_a_new_app():
    @post("/things")
    async def create(data: Body) -> None:
        return None

    app = Litestar(route_handlers=[create])
    return next(handler for route in app.routes for handler in route.route_handlers)


def test_a_handlers_decoder_lives_and_dies_with_it() -> None:
    gc.collect()
    before = len(strict._decoders)
    handler = handler_of_a_new_app()
    decoder, optional = strict._decoder(SimpleNamespace(route_handler=handler))
    assert decoder.type is Body and not optional
    assert strict._decoder(SimpleNamespace(route_handler=handler))[0] is decoder  # kept while the handler lives
    assert len(strict._decoders) == before + 1

    del handler, decoder
    gc.collect()
    assert len(strict._decoders) == before  # nothing a later handler could be mistaken for
