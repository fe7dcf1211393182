"""How a settings class is documented in docs/configuration.md (which classes make up the page,
and the `python -m` that prints it, are in `billwire_cli.config_reference`: shared imports no service).

One table per service, built from its settings class: the environment variable, the default,
the type and what it means. The meaning is, in this order, a `msgspec.Meta(description=...)`
on the field, the comment on the field's line or the comment lines right above it in the
settings class (or a parent class), else an entry in MEANINGS below. The suite fails when a
setting has no meaning and when docs/configuration.md is not what this prints.
"""

from __future__ import annotations

import inspect
import io
import re
import textwrap
import tokenize
from functools import cache
from typing import Annotated, Any, get_args, get_origin

import msgspec

from billwire_shared.settings import CONVENTIONAL, env_name

NO_MEANING = "—"

# Meanings for fields that carry no comment in their class, by environment variable.
MEANINGS: dict[str, str] = {
    "NATS_URL": "NATS server(s) to connect to; several as a comma-separated list.",
    "DATABASE_URL": "Postgres connection URI; the service uses its own schema in this database.",
    "BILLWIRE_LOG_LEVEL": "Log level: DEBUG, INFO, WARNING or ERROR.",
    "BILLWIRE_LOG_JSON": "Log JSON lines (for production log collectors) instead of plain text.",
    "BILLWIRE_RPC_TIMEOUT": "Seconds to wait for the answer to a request over NATS.",
    "BILLWIRE_DB_POOL_SIZE": "Most Postgres connections one replica keeps open.",
    "BILLWIRE_MIGRATE_ON_START": "Apply the service's schema migrations at start (under an advisory lock); "
    "set false where a migration job does it.",
    "BILLWIRE_HOST": "Address the HTTP server listens on (0.0.0.0 in a container).",
    "PORT": "Port the HTTP server listens on.",
    "BILLWIRE_RATE_LIMIT_PER_MINUTE": "Requests per API key and minute, counted across all gateway replicas.",
    "BILLWIRE_KEY_CACHE_SECONDS": "Seconds a verified API key is cached by each gateway (a revocation clears it at once).",
    "BILLWIRE_MAX_BODY_BYTES": "Largest request body accepted, in bytes.",
    "BILLWIRE_OUTBOX_POLL_INTERVAL": "Seconds between outbox looks when no notification woke the outbox publisher.",
    "BILLWIRE_EVENTS_REPLICAS": "Replicas of the JetStream streams the service creates (3 on a 3-node NATS cluster).",
    "BILLWIRE_SMTP_PORT": "Port of the SMTP relay.",
    "BILLWIRE_SMTP_SECURITY": "Connection security to the relay: none, starttls or tls.",
    "BILLWIRE_SMTP_USERNAME": "User name for the relay (empty: no authentication).",
    "BILLWIRE_SMTP_PASSWORD": "Password for the relay; keep it in a Secret.",
    "BILLWIRE_SMTP_TIMEOUT": "Seconds for one SMTP conversation.",
    "BILLWIRE_SMTP_VALIDATE_CERTS": "Check the relay's TLS certificate.",
    "BILLWIRE_SEND_RETRY_DELAYS": "Seconds between attempts after a transient failure, comma-separated; the last repeats.",
    "BILLWIRE_MAX_ATTACHMENT_BYTES": "Largest attachment the mailer sends, in bytes.",
}

# Where one service's reading of a shared field differs, by (service, variable).
SERVICE_MEANINGS: dict[tuple[str, str], str] = {
    ("gateway", "DATABASE_URL"): "Not used: the gateway holds no database credentials and talks to NATS only.",
}

@cache
def _source_comments(cls: type) -> dict[str, str]:
    """Field name → its comment in `cls`'s own body: on the field's line, else the lines above."""
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):
        return {}
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    comments: dict[int, str] = {}  # line → comment text
    code_lines: set[int] = set()
    for tok in tokens:
        if tok.type == tokenize.COMMENT:
            comments[tok.start[0]] = tok.string.lstrip("#").strip()
        elif tok.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER):
            code_lines.add(tok.start[0])
    found: dict[str, str] = {}
    for number, line in enumerate(source.splitlines(), start=1):
        match = re.match(r"\s{4}(\w+)\s*:", line)  # a field at class-body indentation
        if not match:
            continue
        if number in comments and number in code_lines:
            found[match.group(1)] = comments[number]
            continue
        above, previous = [], number - 1
        while previous in comments and previous not in code_lines:
            above.insert(0, comments[previous])
            previous -= 1
        if above:
            found[match.group(1)] = " ".join(above)
    return found


def _description(field_type: Any) -> str | None:
    if get_origin(field_type) is Annotated:
        for meta in get_args(field_type)[1:]:
            if isinstance(meta, msgspec.Meta) and meta.description:
                return meta.description
    return None


def meaning(cls: type[msgspec.Struct], field: msgspec.structs.FieldInfo, service: str = "") -> str:
    if text := SERVICE_MEANINGS.get((service, env_name(field.name))):
        return text
    if text := _description(field.type):
        return _sentence(text)
    for klass in cls.__mro__:
        if field.name in getattr(klass, "__annotations__", {}) and (text := _source_comments(klass).get(field.name)):
            return _sentence(text)
    return MEANINGS.get(env_name(field.name), NO_MEANING)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _type_name(field_type: Any) -> str:
    if get_origin(field_type) is Annotated:
        field_type = get_args(field_type)[0]
    name = getattr(field_type, "__name__", None)
    if name == "Literal" or get_origin(field_type) is not None and getattr(get_origin(field_type), "__name__", "") == "Literal":
        return " \\| ".join(repr(arg) for arg in get_args(field_type))
    return name or str(field_type).replace("typing.", "").replace("|", "\\|")


def _default(field: msgspec.structs.FieldInfo) -> str:
    if field.default is not msgspec.NODEFAULT:
        value = field.default
    elif field.default_factory is not msgspec.NODEFAULT:
        value = field.default_factory()
    else:
        return "*(required)*"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if value == "":
        return "*(empty)*"
    return f"`{value}`"


def rows(cls: type[msgspec.Struct], service: str = "") -> list[tuple[str, str, str, str]]:
    """(variable, default, type, meaning) for every field of `cls`."""
    return [
        (env_name(field.name), _default(field), _type_name(field.type), meaning(cls, field, service))
        for field in msgspec.structs.fields(cls)
    ]


def _cell(text: str) -> str:
    return text.replace("|", "\\|") if "\\|" not in text else text


def render(settings: list[tuple[str, type[msgspec.Struct]]], module: str, regenerate: str) -> str:
    """The page: a table per (service, settings class), printed by `python -m <module>`."""
    out = [
        "# Configuration reference",
        "",
        f"<!-- Generated by `python -m {module}` from the settings classes;",
        f"     do not edit by hand. Regenerate with: {regenerate} -->",
        "",
        "Every service reads its settings from environment variables once, at start-up. A field",
        "`foo_bar` is read from `BILLWIRE_FOO_BAR`; the conventional "
        + ", ".join(f"`{name}`" for name in CONVENTIONAL.values())
        + " are read as well",
        "(and win over their `BILLWIRE_` spelling). Booleans accept `true`/`false`/`1`/`0`. An invalid",
        "value stops the service at start with the field and the reason.",
        "",
        "Kubernetes sets them from the ConfigMaps and Secrets in `deploy/k8s/` (see `deploy/README.md`).",
        "",
        "Traces follow OpenTelemetry's own variables, read by its SDK: every service exports its spans over",
        "OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set, and",
        "records none otherwise; `OTEL_SERVICE_NAME` overrides the name (`billwire-<service>`), and",
        "`OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_TRACES_SAMPLER` and the rest work as the SDK documents them.",
        "",
    ]
    for service, cls in settings:
        out += [
            f"## {service}",
            "",
            f"`{cls.__module__}.{cls.__name__}`",
            "",
            "| Variable | Default | Type | Meaning |",
            "| --- | --- | --- | --- |",
        ]
        for variable, default, type_name, text in rows(cls, service):
            out.append(f"| `{variable}` | {default} | {type_name} | {_cell(text)} |")
        out.append("")
    return "\n".join(out)


def missing_meanings(settings: list[tuple[str, type[msgspec.Struct]]]) -> list[str]:
    """`service: VARIABLE` for every setting that has no meaning yet."""
    return [
        f"{service}: {variable}"
        for service, cls in settings
        for variable, _, _, text in rows(cls, service)
        if text == NO_MEANING
    ]

