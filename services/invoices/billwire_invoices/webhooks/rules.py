"""Webhooks, the pure parts: signatures, which targets are allowed, the retry schedule and
which webhooks an event is for.

A delivery is a POST whose body is the event envelope exactly as it travelled on EVENTS,
with `Billwire-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` made with
the webhook's secret, `Billwire-Delivery` (one id per event and webhook, the same on every
retry: receivers deduplicate on it) and `Billwire-Event` (the event type).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import secrets
import socket
import time
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import urlsplit

from billwire_shared.contracts.public_events import BY_TYPE, ENTITIES
from billwire_shared.errors import FieldError

SIGNATURE_HEADER = "Billwire-Signature"
DELIVERY_HEADER = "Billwire-Delivery"
EVENT_HEADER = "Billwire-Event"
SECRET_PREFIX = "whsec_"

# Seconds to wait after failed attempt n (1-based): 10 attempts over ~27.7 hours.
RETRY_DELAYS: tuple[float, ...] = (30, 120, 600, 1800, 3600, 7200, 14400, 28800, 43200)
JITTER = 0.1  # each delay varies by up to ±10 %, so failed receivers are not hit in waves

Resolver = Callable[[str, int], Awaitable[list[str]]]
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


# -- signatures ---------------------------------------------------------------------------------


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={sign(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, *, tolerance: float = 300, now: float | None = None) -> bool:
    """What a receiver does: the signature matches and is recent (a replayed request is not)."""
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in parts.get("v1", []))


# -- retry schedule -----------------------------------------------------------------------------


def retry_delay(attempts: int, scale: float = 1.0, rand: float = 0.5) -> float | None:
    """Seconds until the next try after `attempts` failed ones; None once the schedule is spent.
    `rand` in [0, 1) picks the jitter (0.5: none)."""
    if attempts < 1 or attempts > len(RETRY_DELAYS):
        return None
    return RETRY_DELAYS[attempts - 1] * scale * (1 + JITTER * (2 * rand - 1))


MAX_ATTEMPTS = len(RETRY_DELAYS) + 1


# -- event filters ----------------------------------------------------------------------------


def filter_problems(filters: Iterable[str]) -> list[FieldError]:
    """Each filter names a public event, `<entity>.*`, or `*`."""
    problems = []
    for i, item in enumerate(filters):
        entity, _, fact = item.partition(".")
        known = item == "*" or item in BY_TYPE or (fact == "*" and entity in ENTITIES)
        if not known:
            problems.append(FieldError(field=f"events[{i}]", message=f"unknown event {item!r}; see GET /schema or docs/asyncapi.json"))
    return problems


def filters_matching(event_type: str) -> list[str]:
    """The filters that select `event_type`: itself, its entity's `*`, and `*`."""
    return [event_type, f"{event_type.split('.', 1)[0]}.*", "*"]


# -- targets ------------------------------------------------------------------------------------


class TargetRefused(Exception):
    """The URL may not receive webhooks (bad form, or it points into a private network)."""


def split_target(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a webhook URL; refuses what is not a plain http(s) URL."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetRefused(f"not a valid URL: {exc}") from exc
    if parts.scheme not in ("http", "https"):
        raise TargetRefused("the URL must start with https:// (or http://)")
    if not parts.hostname:
        raise TargetRefused("the URL has no host")
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise TargetRefused("the URL contains whitespace or control characters")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def address_problem(address: IpAddress) -> str | None:
    """Why this address may not be a target, or None when it is public."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        if address in ipaddress.ip_network("64:ff9b::/96"):  # NAT64: the IPv4 address is the last 32 bits
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return address_problem(embedded)
    for flag in ("loopback", "link_local", "private", "multicast", "reserved", "unspecified"):
        if getattr(address, f"is_{flag}"):
            return f"{address} is a {flag.replace('_', '-')} address"
    if not address.is_global:
        return f"{address} is not a public address"
    return None


async def resolve(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


async def public_addresses(url: str, resolver: Resolver = resolve, timeout: float = 5.0) -> list[IpAddress]:
    """Every address the URL's host resolves to, each checked; one private address refuses it all
    (a name that resolves to public and private addresses must not reach the private one)."""
    _, host, port = split_target(url)
    try:
        literal: IpAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        found = [literal]
    else:
        try:
            async with asyncio.timeout(timeout):
                found = [ipaddress.ip_address(a.split("%", 1)[0]) for a in await resolver(host, port)]
        except (OSError, TimeoutError) as exc:
            raise TargetRefused(f"the host {host!r} does not resolve") from exc
        if not found:
            raise TargetRefused(f"the host {host!r} does not resolve")
    for address in found:
        if problem := address_problem(address):
            raise TargetRefused(f"webhooks may not target private networks: {problem}")
    return found
