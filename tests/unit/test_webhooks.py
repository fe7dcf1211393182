"""Webhooks, the pure parts and the HTTP step: signatures, schedule, filters, target checks
(also after a redirect, and pinned to the checked address)."""

from __future__ import annotations

import ipaddress

import httpx
import pytest

from billwire_invoices.webhooks import rules as wh
from billwire_invoices.webhooks.worker import post_signed


def test_signature_round_trip_and_tampering() -> None:
    secret, body = wh.new_secret(), b'{"id":"1","type":"invoice.paid"}'
    assert secret.startswith("whsec_") and len(secret) > 40
    header = wh.signature_header(secret, 1_700_000_000, body)
    assert header.startswith("t=1700000000,v1=") and len(header.split("v1=")[1]) == 64
    assert wh.verify(secret, header, body, now=1_700_000_100)
    assert not wh.verify(secret, header, body + b" ", now=1_700_000_100)
    assert not wh.verify("whsec_other", header, body, now=1_700_000_100)
    assert not wh.verify(secret, header, body, now=1_700_001_000)  # too old: a replay
    assert not wh.verify(secret, "v1=abc", body)


def test_retry_schedule_spans_more_than_a_day_and_grows() -> None:
    delays = [wh.retry_delay(n) for n in range(1, wh.MAX_ATTEMPTS)]
    assert all(d is not None for d in delays) and delays == sorted(delays)
    assert sum(delays) >= 24 * 3600
    assert wh.retry_delay(wh.MAX_ATTEMPTS) is None and wh.retry_delay(0) is None
    assert wh.retry_delay(1, rand=0.0) == pytest.approx(27) and wh.retry_delay(1, rand=0.999) == pytest.approx(33, abs=0.01)
    assert wh.retry_delay(2, scale=0.01) == pytest.approx(1.2)


def test_event_filters() -> None:
    assert wh.filter_problems(["invoice.paid", "invoice.*", "*", "client.created"]) == []
    assert [p.field for p in wh.filter_problems(["invoice.paid", "invoice.nope", "email.delivered", "mail.*"])] == [
        "events[1]", "events[2]", "events[3]",
    ]
    assert wh.filters_matching("invoice.sent") == ["invoice.sent", "invoice.*", "*"]


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
    "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1", "64:ff9b::a00:1", "2002:a00:1::", "224.0.0.1",
])
def test_private_addresses_are_refused(address: str) -> None:
    assert wh.address_problem(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "1.1.1.1"])
def test_public_addresses_pass(address: str) -> None:
    assert wh.address_problem(ipaddress.ip_address(address)) is None


def fake_dns(table: dict[str, list[str]]):
    async def resolver(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError("no such host")
        return table[host]

    return resolver


async def test_urls_are_checked_by_every_address_they_resolve_to() -> None:
    dns = fake_dns({"public.example": ["93.184.216.34"], "mixed.example": ["93.184.216.34", "10.0.0.7"], "localhost": ["127.0.0.1"]})
    assert [str(a) for a in await wh.public_addresses("https://public.example/hook", dns)] == ["93.184.216.34"]
    for url in ("https://mixed.example/", "http://localhost:8080/", "http://[::1]/", "http://169.254.169.254/latest/meta-data"):
        with pytest.raises(wh.TargetRefused, match="private"):
            await wh.public_addresses(url, dns)
    for url, reason in (("ftp://public.example/", "https://"), ("https:///path", "no host"), ("https://nowhere.example/", "resolve")):
        with pytest.raises(wh.TargetRefused, match=reason):
            await wh.public_addresses(url, dns)


async def test_delivery_is_pinned_to_the_checked_address_and_redirects_are_checked_again() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.headers["host"] == "public.example":
            return httpx.Response(307, headers={"location": "http://internal.example/steal"})
        return httpx.Response(200)

    dns = fake_dns({"public.example": ["93.184.216.34"], "internal.example": ["10.1.2.3"]})
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
        outcome = await post_signed(client, "https://public.example/hook", b"{}", {"X": "1"}, allow_private=False, resolver=dns)
        assert outcome.error is not None and "refused" in outcome.error and "10.1.2.3" in outcome.error
        assert len(seen) == 1  # the private target was never asked
        first = seen[0]
        assert first.url.host == "93.184.216.34" and first.headers["host"] == "public.example"
        assert first.extensions["sni_hostname"] == "public.example"

        seen.clear()
        dns_ok = fake_dns({"public.example": ["93.184.216.34"], "internal.example": ["93.184.216.35"]})
        outcome = await post_signed(client, "https://public.example/hook", b"{}", {}, allow_private=False, resolver=dns_ok)
        assert outcome.error is None and outcome.status == 200 and [r.url.host for r in seen] == ["93.184.216.34", "93.184.216.35"]


async def test_other_redirects_and_errors_are_failures() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"location": "https://elsewhere.example/"}) if request.url.path == "/moved" else httpx.Response(503)

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
        moved = await post_signed(client, "http://127.0.0.1/moved", b"{}", {}, allow_private=True)
        assert moved.status == 302 and "redirect not followed" in (moved.error or "")
        down = await post_signed(client, "http://127.0.0.1/x", b"{}", {}, allow_private=True)
        assert down.status == 503 and down.error == "HTTP 503"
