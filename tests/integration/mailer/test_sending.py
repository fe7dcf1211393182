"""The mailer end to end on its own: `events.document.rendered` for a send becomes exactly one
e-mail at a real SMTP server, with `events.email.delivered` or `events.email.failed`."""

from __future__ import annotations

import asyncio
import email
import email.policy

from billwire_cli.embedded import free_port
from billwire_mailer import repository as repo
from billwire_shared.consumers import DEAD_LETTER_STREAM
from tests.integration.mailer.conftest import SmtpSink, new_send, pdf_bytes, smtp_server


async def test_one_email_with_its_headers_and_the_pdf_attached(mailer_harness, smtp) -> None:
    sink, port = smtp
    async with mailer_harness(port) as h:
        pdf = pdf_bytes(300_000)  # five chunks from the rendering stand-in
        send = new_send(bcc=["copy@acme.example"])
        await h.rendered(send, h.rendering.add(send.account_id, pdf, "INV-2026-0001.pdf"))
        await h.wait_for(lambda: h.of(send.id))

        [got] = sink.received
        msg = email.message_from_bytes(got.content, policy=email.policy.default)
        assert msg["Message-ID"] == f"<{send.id}@billwire.test>"
        assert msg["From"] == "Acme GmbH <invoices@billwire.test>"
        assert msg["Reply-To"] == "billing@acme.example"
        assert msg["To"] == "ap@globex.example" and msg["Cc"] == "cfo@globex.example"
        assert msg["Subject"] == "Invoice INV-2026-0001"
        assert "Bcc" not in msg and b"copy@acme.example" not in got.content  # no header names the Bcc
        assert got.mail_from == "invoices@billwire.test"
        assert got.rcpt_tos == ["ap@globex.example", "cfo@globex.example", "copy@acme.example"]  # the Bcc got it
        assert msg.get_body(("plain",)).get_content().replace("\r\n", "\n") == send.body
        [attachment] = list(msg.iter_attachments())
        assert attachment.get_filename() == "INV-2026-0001.pdf" and attachment.get_content_type() == "application/pdf"
        assert attachment.get_content() == pdf
        assert h.rendering.requests == 5

        [event] = h.of(send.id)
        assert event.type == "email.delivered" and event.account_id == send.account_id
        assert event.data["message_id"] == f"<{send.id}@billwire.test>"
        assert event.data["recipients"] == got.rcpt_tos and event.data["document_id"] == str(send.document_id)
        row = await repo.get_message(h.pool, send.id)
        assert row["state"] == "delivered" and row["smtp_reply"].startswith("250")
        [attempt] = await repo.attempts_of(h.pool, send.id)
        assert (attempt["outcome"], attempt["phase"], attempt["smtp_code"]) == ("delivered", "data", 250)


async def test_more_attachments_of_the_render_go_with_the_pdf(mailer_harness, smtp) -> None:
    sink, port = smtp
    async with mailer_harness(port) as h:
        send, pdf, xml = new_send(), pdf_bytes(), b'<?xml version="1.0" encoding="UTF-8"?><Invoice/>'
        main = h.rendering.add(send.account_id, pdf, "INV-2026-0001.pdf")
        extra = h.rendering.add(send.account_id, xml, "INV-2026-0001.xml", "application/xml")
        await h.rendered(send, main, attachments=[extra])
        await h.wait_for(lambda: h.of(send.id))
        [got] = sink.received
        msg = email.message_from_bytes(got.content, policy=email.policy.default)
        files = [(a.get_filename(), a.get_content_type(), a.get_content()) for a in msg.iter_attachments()]
        assert files == [("INV-2026-0001.pdf", "application/pdf", pdf), ("INV-2026-0001.xml", "application/xml", xml)]


async def test_the_same_send_delivered_again_sends_no_second_email(mailer_harness, smtp) -> None:
    sink, port = smtp
    async with mailer_harness(port) as h:
        send = new_send()
        artifact = h.rendering.add(send.account_id, pdf_bytes())
        first = await h.rendered(send, artifact)
        await h.publish(first)  # the very same event again (no dedup id): a redelivery
        await h.rendered(send, artifact)  # and another event for the same send request
        await h.wait_for(lambda: h.of(send.id))
        await asyncio.sleep(1.5)  # time for the repeats to be handled
        assert len(sink.received) == 1
        assert [e.type for e in h.of(send.id)] == ["email.delivered"]
        assert len(await repo.attempts_of(h.pool, send.id)) == 1


async def test_a_crash_after_the_relay_accepted_sends_no_second_email(mailer_harness, smtp, monkeypatch) -> None:
    sink, port = smtp
    real = repo.finish_delivered
    crashes = []

    async def crash_once(*args, **kwargs):
        if not crashes:
            crashes.append(1)
            raise ConnectionError("database gone right after the relay said 250")
        return await real(*args, **kwargs)

    monkeypatch.setattr(repo, "finish_delivered", crash_once)
    async with mailer_harness(port) as h:
        send = await h.rendered_send()
        await asyncio.sleep(1.0)
        assert crashes and len(sink.received) == 1
        assert [e.type for e in h.of(send.id)] == ["email.delivered"]  # this process saw the 250
        [attempt] = await repo.attempts_of(h.pool, send.id)
        assert attempt["outcome"] == "delivered"


async def test_after_a_crash_past_the_final_dot_the_email_counts_as_delivered_and_is_not_sent_again(
    mailer_harness, smtp, monkeypatch
) -> None:
    sink, port = smtp
    real = repo.finish_delivered

    async def crash_and_forget(*args, **kwargs):
        monkeypatch.setattr(repo, "finish_delivered", real)
        h.service.handlers.accepted.clear()  # a new process: it does not know the relay's answer
        raise ConnectionError("killed after the relay said 250")

    monkeypatch.setattr(repo, "finish_delivered", crash_and_forget)
    async with mailer_harness(port) as h:
        send = await h.rendered_send()
        await asyncio.sleep(1.0)
        assert len(sink.received) == 1
        [delivered] = h.of(send.id)
        assert delivered.type == "email.delivered"
        row = await repo.get_message(h.pool, send.id)
        assert row["state"] == "delivered" and row["smtp_reply"].startswith("unconfirmed: the mailer stopped")
        [attempt] = await repo.attempts_of(h.pool, send.id)
        assert attempt["outcome"] == "unknown" and attempt["phase"] == "data"


async def test_a_crash_before_the_final_dot_sends_nothing_and_the_retry_sends_it_once(mailer_harness, smtp, monkeypatch) -> None:
    sink, port = smtp
    real = repo.enter_data_phase

    async def crash_once(*args, **kwargs):
        monkeypatch.setattr(repo, "enter_data_phase", real)
        raise ConnectionError("killed with the whole content sent but not its final dot")

    monkeypatch.setattr(repo, "enter_data_phase", crash_once)
    async with mailer_harness(port, send_retry_delays="0.5") as h:
        send = await h.rendered_send(200_000)
        await asyncio.sleep(1.0)
        assert len(sink.data_attempts) == 1 and len(sink.received) == 1  # the relay dropped the unended first one
        [delivered] = h.of(send.id)
        assert delivered.type == "email.delivered"
        first, second = await repo.attempts_of(h.pool, send.id)
        assert (first["phase"], first["outcome"]) == ("connect", "transient")
        assert (second["phase"], second["outcome"]) == ("data", "delivered")


async def test_a_connection_cut_off_after_the_handover_is_not_repeated(mailer_harness, smtp) -> None:
    sink, port = smtp
    sink.hang_up = 1  # the relay takes the message and the connection drops before its 250
    async with mailer_harness(port) as h:
        send = await h.rendered_send()
        await asyncio.sleep(1.0)  # no retry follows
        assert len(sink.received) == 1
        [failed] = h.of(send.id)
        assert failed.type == "email.failed" and "may have been delivered" in failed.data["reason"]
        [attempt] = await repo.attempts_of(h.pool, send.id)
        assert attempt["outcome"] == "unknown"


async def test_a_4xx_is_retried_with_growing_delays_then_delivered(mailer_harness, smtp) -> None:
    sink, port = smtp
    sink.fail_data = 2
    async with mailer_harness(port, send_retry_delays="0.5,1.0") as h:
        send = await h.rendered_send()
        assert len(sink.received) == 1 and [e.type for e in h.of(send.id)] == ["email.delivered"]
        first, second, third = sink.data_attempts
        assert second - first >= 0.45 and third - second >= 0.95  # JetStream's delayed redelivery
        attempts = await repo.attempts_of(h.pool, send.id)
        assert [(a["outcome"], a["smtp_code"], a["delivery"]) for a in attempts] == [
            ("transient", 451, 1), ("transient", 451, 2), ("delivered", 250, 3),
        ]
        assert "451" in attempts[0]["detail"]


async def test_a_550_fails_at_once_permanently_and_sends_nothing(mailer_harness, smtp) -> None:
    sink, port = smtp
    sink.reject = {"cfo@globex.example"}
    async with mailer_harness(port) as h:
        send = await h.rendered_send()
        await asyncio.sleep(1.0)  # no retry follows
        assert sink.received == [] and sink.data_attempts == []  # not even To got it
        [failed] = h.of(send.id)
        assert failed.type == "email.failed" and failed.data["permanent"] is True
        assert "550" in failed.data["reason"] and "cfo@globex.example" in failed.data["reason"]
        [attempt] = await repo.attempts_of(h.pool, send.id)
        assert (attempt["outcome"], attempt["smtp_code"]) == ("permanent", 550)
        assert (await repo.get_message(h.pool, send.id))["state"] == "failed"


async def test_a_relay_that_stays_down_ends_as_one_failed_event_after_the_last_attempt(mailer_harness) -> None:
    closed = free_port()  # nothing listens here: connection refused
    async with mailer_harness(closed, send_attempts=3, send_retry_delays="0.2,0.4") as h:
        send = await h.rendered_send()
        await asyncio.sleep(1.0)
        [failed] = h.of(send.id)
        assert failed.type == "email.failed" and failed.data["permanent"] is False
        assert "could not reach the relay" in failed.data["reason"]
        attempts = await repo.attempts_of(h.pool, send.id)
        assert [(a["outcome"], a["delivery"]) for a in attempts] == [("transient", 1), ("transient", 2), ("transient", 3)]
        js = h.nc.jetstream()
        assert (await js.stream_info(h.names.stream(DEAD_LETTER_STREAM))).state.messages == 0  # handled, not dead


async def test_a_relay_down_then_up_gets_exactly_one_email(mailer_harness) -> None:
    port = free_port()
    sink = SmtpSink()
    async with mailer_harness(port, send_retry_delays="0.5") as h:
        send = new_send()
        await h.rendered(send, h.rendering.add(send.account_id, pdf_bytes()))
        async with asyncio.timeout(20):
            while not await repo.attempts_of(h.pool, send.id):
                await asyncio.sleep(0.05)
        with smtp_server(sink, port):
            await h.wait_for(lambda: h.of(send.id))
            await asyncio.sleep(1.0)
        assert len(sink.received) == 1 and [e.type for e in h.of(send.id)] == ["email.delivered"]


async def test_header_injection_never_reaches_the_relay(mailer_harness, smtp) -> None:
    sink, port = smtp
    async with mailer_harness(port) as h:
        send = new_send(subject="Invoice\r\nBcc: victim@evil.example")
        await h.rendered(send, h.rendering.add(send.account_id, pdf_bytes()))
        await h.wait_for(lambda: h.of(send.id))
        assert sink.received == [] and sink.data_attempts == []
        [failed] = h.of(send.id)
        assert failed.type == "email.failed" and failed.data["permanent"] is True
        assert "subject" in failed.data["reason"] and "carriage return" in failed.data["reason"]
        assert "\r" not in failed.data["reason"] and "\n" not in failed.data["reason"]
        assert await repo.attempts_of(h.pool, send.id) == []


async def test_renders_without_a_send_are_not_for_the_mailer_and_a_missing_pdf_fails(mailer_harness, smtp) -> None:
    sink, port = smtp
    async with mailer_harness(port) as h:
        await h.rendered(None, h.rendering.add(new_send().account_id, pdf_bytes()))
        send = new_send()
        elsewhere = h.rendering.add(new_send().account_id, pdf_bytes())  # another account's artifact
        await h.rendered(send, elsewhere)
        await h.wait_for(lambda: h.of(send.id))
        [failed] = h.of(send.id)
        assert failed.type == "email.failed" and failed.data["permanent"] is True
        assert "the PDF could not be fetched" in failed.data["reason"]
        assert sink.received == [] and len(h.events) == 1
        assert await h.pool.fetchval("SELECT count(*) FROM messages") == 1
