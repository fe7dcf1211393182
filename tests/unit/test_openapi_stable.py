"""The OpenAPI document is the same on every start: Litestar makes up random examples for a
response it is not told otherwise about (made-up IBANs and zip codes change with each build),
which clients diffing the document, and any example a reader copies, would take for real."""

from __future__ import annotations

from litestar.serialization import encode_json

from billwire_gateway.app import GatewaySettings, create_app


def openapi_document() -> bytes:
    settings = GatewaySettings(database_url="postgresql://127.0.0.1:1/none", nats_url="nats://127.0.0.1:1", prefix="openapi")
    return encode_json(create_app(settings).openapi_schema.to_schema())


def test_two_builds_document_the_api_byte_for_byte_alike() -> None:
    assert openapi_document() == openapi_document()
