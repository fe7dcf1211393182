"""Relay connections: kept for the next e-mail, replaced when the relay closed them, renewed
after `smtp_reuse_messages` e-mails or `smtp_idle_seconds` of rest."""

from __future__ import annotations

import asyncio

from billwire_cli.embedded import free_port
from tests.integration.mailer.conftest import SmtpSink, new_send, pdf_bytes, smtp_server


async def send_one(h, sink: SmtpSink) -> None:
    send = new_send()
    await h.rendered(send, h.rendering.add(send.account_id, pdf_bytes(20_000)))
    await h.wait_for(lambda: h.of(send.id), what=f"send {send.id} delivered")
    assert [e.type for e in h.of(send.id)] == ["email.delivered"]


async def test_one_connection_carries_e_mail_after_e_mail(mailer_harness, smtp) -> None:
    sink, port = smtp
    async with mailer_harness(port) as h:
        for _ in range(5):
            await send_one(h, sink)
    assert len(sink.received) == 5
    assert len({r.peer for r in sink.received}) == 1


async def test_a_connection_is_renewed_after_its_share_of_e_mails_and_after_a_rest(mailer_harness, smtp) -> None:
    sink, port = smtp
    async with mailer_harness(port, smtp_reuse_messages=2, smtp_idle_seconds=0.5) as h:
        for _ in range(5):
            await send_one(h, sink)
        await asyncio.sleep(0.8)
        await send_one(h, sink)
    peers = [r.peer for r in sink.received]
    assert peers[0] == peers[1] != peers[2] == peers[3] != peers[4] != peers[5]
    assert len(set(peers)) == 4


async def test_a_relay_restarted_meanwhile_gets_the_next_e_mail_once_on_a_new_connection(mailer_harness) -> None:
    port, before, after = free_port(), SmtpSink(), SmtpSink()
    async with mailer_harness(port) as h:
        with smtp_server(before, port):
            await send_one(h, before)
        # The relay went away and came back while the mailer kept its connection.
        with smtp_server(after, port):
            await send_one(h, after)
            await send_one(h, after)
    assert len(before.received) == 1 and len(after.received) == 2
    assert len({r.peer for r in after.received}) == 1


async def test_a_kept_connection_the_relay_refuses_to_reuse_is_replaced_before_anything_is_sent(mailer_harness) -> None:
    sink = SmtpSink(per_connection=2)  # the third MAIL FROM on a connection gets 421 and a hang-up
    with smtp_server(sink) as relay:
        async with mailer_harness(relay.port) as h:
            for _ in range(5):
                await send_one(h, sink)
    peers = [r.peer for r in sink.received]
    assert len(peers) == 5 and peers[0] == peers[1] != peers[2] == peers[3] != peers[4]
