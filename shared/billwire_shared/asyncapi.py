"""The AsyncAPI document of Billwire's public events: `python -m billwire_shared.asyncapi`
writes docs/asyncapi.json (`--check` only compares, for CI and the test suite).

It is made by FastStream's AsyncAPI 3.0 generator from a broker that declares one publisher
per public event (the services publish through their outboxes, not through FastStream, so
the publishers exist for the document only). FastStream describes payloads through pydantic,
and the contracts are msgspec Structs: `pydantic_schema_hooks` gives each envelope the
`__get_pydantic_core_schema__` / `__get_pydantic_json_schema__` hooks, answering with
msgspec's own JSON schema whose references point outside pydantic's reach (a placeholder
URL); afterwards those references are pointed at `#/components/schemas/` and msgspec's
component schemas added there. The result is the document FastStream makes, with each
message's payload referring straight to its typed envelope and the `Nats-Msg-Id` header.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import msgspec

from billwire_shared import __version__
from billwire_shared.contracts.public_events import PUBLIC_EVENTS

PLACEHOLDER = "https://schemas.billwire.invalid/"
COMPONENTS = "#/components/schemas/"
DEFAULT_OUTPUT = Path("docs/asyncapi.json")
REGENERATE = "uv run python -m billwire_shared.asyncapi"

DESCRIPTION = """\
Domain events of Billwire on the JetStream stream `EVENTS`, subjects `events.<entity>.<fact>`.
Every message is the envelope `{id, type, occurred_at, account_id, data}`; `id` is also the
`Nats-Msg-Id`, so JetStream drops a re-publish inside its two-minute window. A deployment with
`BILLWIRE_PREFIX=p` prefixes every subject with `p.` and names the stream `P_EVENTS`.

Follow events with a durable pull consumer of your own on `EVENTS` with explicit acks
(see examples/subscriber.py), or register a webhook (`POST /api/v1/webhooks`): each delivery
POSTs the same envelope, signed in `Billwire-Signature: t=<unix>,v1=<hex HMAC-SHA256 of
"<t>.<body>">`, with `Billwire-Delivery` (the same on every retry) and `Billwire-Event`.
Delivery is at least once: skip an event `id` (or delivery id) you have already handled.
"""

MSG_ID_HEADERS = {
    "type": "object",
    "properties": {"Nats-Msg-Id": {"type": "string", "format": "uuid", "description": "The event id, for deduplication."}},
}


def pydantic_schema_hooks(cls: type, components: dict[str, Any]) -> None:
    """Let pydantic (and so FastStream) describe a msgspec Struct: its JSON schema is msgspec's,
    with references to `PLACEHOLDER<name>`; the components they name are collected."""
    from pydantic_core import core_schema

    def core(_cls: type, _source: Any, _handler: Any) -> Any:
        return core_schema.any_schema()

    def json_schema(_cls: type, _core: Any, _handler: Any) -> dict[str, Any]:
        (schema,), found = msgspec.json.schema_components([cls], ref_template=PLACEHOLDER + "{name}")
        components.update(found)
        return {"allOf": [schema]}  # pydantic resolves a top-level $ref itself; one level down it leaves it be

    cls.__get_pydantic_core_schema__ = classmethod(core)  # type: ignore[attr-defined]
    cls.__get_pydantic_json_schema__ = classmethod(json_schema)  # type: ignore[attr-defined]


def build_broker(components: dict[str, Any]) -> Any:
    from faststream.nats import NatsBroker

    broker = NatsBroker("nats://localhost:4222", description="NATS with JetStream; the stream is `EVENTS`.")
    for event in PUBLIC_EVENTS:
        pydantic_schema_hooks(event.envelope, components)
        broker.publisher(event.subject, schema=event.envelope, title=event.type, description=event.description)
    return broker


def generate() -> dict[str, Any]:
    from faststream.specification import AsyncAPI

    components: dict[str, Any] = {}
    broker = build_broker(components)
    spec = AsyncAPI(broker, title="Billwire events", version=__version__, description=DESCRIPTION, schema_version="3.0.0")
    document = json.loads(spec.to_specification().to_json().replace(PLACEHOLDER, COMPONENTS))
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for message in document["components"].get("messages", {}).values():
        wrapper_name = message["payload"]["$ref"].removeprefix(COMPONENTS)
        wrapper = schemas.pop(wrapper_name)
        message["payload"] = wrapper["allOf"][0]  # straight to the typed envelope
        message["headers"] = MSG_ID_HEADERS
        message.pop("correlationId", None)  # FastStream's default; the event id plays that part
        message["name"] = message["title"] = message["payload"]["$ref"].removeprefix(COMPONENTS)
    schemas.update(json.loads(json.dumps(components).replace(PLACEHOLDER, COMPONENTS)))
    for section in (document, document["components"]):  # the broker keeps publishers unordered
        for key in ("channels", "operations", "messages", "schemas"):
            if key in section:
                section[key] = dict(sorted(section[key].items()))
    return document


def render() -> str:
    return json.dumps(generate(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m billwire_shared.asyncapi", description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 when the file is out of date")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = args.output.read_text() if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date; regenerate it with `{REGENERATE}`", file=sys.stderr)
            return 1
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(f"wrote {args.output} ({len(PUBLIC_EVENTS)} events)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
