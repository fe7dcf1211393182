"""The mailer's pure logic: the message a send request makes, header-injection refusals,
what SMTP failures mean, and the quota day."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import UUID

import aiosmtplib
import pytest

from billwire_mailer import domain
from billwire_mailer.domain import InvalidMail, MailConfig, RecipientsRefused
from billwire_shared.contracts.mail import SendRequest
from billwire_shared.outbox import outbox_migration
from billwire_shared.validation import HEADER_BREAKS

SEND_ID = UUID("01890a5d-ac96-774b-bcce-b302099a8057")
CONFIG = MailConfig(from_address="invoices@billwire.test")
NOW = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF"


def send(**changes) -> SendRequest:
    values = {
        "id": SEND_ID, "account_id": UUID(int=1), "document_id": UUID(int=2), "document_number": "INV-2026-0001",
        "document_type": "invoice", "version": 1, "sender_name": "Acme GmbH", "reply_to": "billing@acme.example",
        "to": ["ap@globex.example"], "cc": ["cfo@globex.example"], "bcc": ["billing@acme.example"],
        "subject": "Invoice INV-2026-0001", "body": "Hello,\n\nplease find attached invoice INV-2026-0001.\n", "requested_at": NOW,
    }
    return SendRequest(**(values | changes))


def parsed(request: SendRequest, filename: str = "INV-2026-0001.pdf") -> email.message.EmailMessage:
    plan = domain.plan_message(request, filename, CONFIG)
    raw = domain.render(domain.compose(plan, [(PDF, "application/pdf")], NOW))
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")  # SMTP line endings only
    return email.message_from_bytes(raw, policy=email.policy.default)


def test_headers_addresses_and_attachment() -> None:
    msg = parsed(send())
    assert msg["Message-ID"] == f"<{SEND_ID}@billwire.test>"
    assert msg["From"] == "Acme GmbH <invoices@billwire.test>"
    assert msg["From"].addresses[0].display_name == "Acme GmbH"
    assert msg["Reply-To"] == "billing@acme.example"
    assert msg["To"] == "ap@globex.example" and msg["Cc"] == "cfo@globex.example"
    assert msg["Bcc"] is None and "billing@acme.example" not in msg["To"] + msg["Cc"]
    assert msg["Subject"] == "Invoice INV-2026-0001"
    assert msg["Date"] == "Sun, 01 Mar 2026 12:30:00 +0000"
    body = msg.get_body(("plain",))
    assert body.get_content().replace("\r\n", "\n") == "Hello,\n\nplease find attached invoice INV-2026-0001.\n"
    [attachment] = list(msg.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "INV-2026-0001.pdf"
    assert attachment.get_content() == PDF


def test_more_attachments_follow_the_pdf_in_order() -> None:
    xml = b'<?xml version="1.0"?><Invoice>\xc3\xa4</Invoice>'
    plan = domain.plan_message(send(), ["INV-1.pdf", "INV-1.xml"], CONFIG)
    raw = domain.render(domain.compose(plan, [(PDF, "application/pdf"), (xml, "application/xml")], NOW))
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    files = [(a.get_filename(), a.get_content_type(), a.get_content()) for a in msg.iter_attachments()]
    assert files == [("INV-1.pdf", "application/pdf", PDF), ("INV-1.xml", "application/xml", xml)]
    with pytest.raises(InvalidMail) as info:
        domain.plan_message(send(), ["INV-1.pdf", "x\r\nContent-Type: text/html"], CONFIG)
    assert info.value.field == "attachments[0].filename"


def test_envelope_has_every_recipient_once_and_the_configured_sender() -> None:
    plan = domain.plan_message(send(cc=["AP@globex.example", "cfo@globex.example"]), "a.pdf", CONFIG)
    assert plan.envelope_sender == "invoices@billwire.test"
    assert plan.envelope_recipients == ["ap@globex.example", "cfo@globex.example", "billing@acme.example"]


def test_message_id_is_derived_from_the_send_request_only() -> None:
    first = domain.plan_message(send(), "a.pdf", CONFIG)
    again = domain.plan_message(send(subject="Other", to=["x@y.example"]), "b.pdf", CONFIG)
    assert first.message_id == again.message_id == f"<{SEND_ID}@billwire.test>"
    other_domain = domain.plan_message(send(), "a.pdf", MailConfig(from_address="a@b.example", message_id_domain="mail.example"))
    assert other_domain.message_id == f"<{SEND_ID}@mail.example>"


def test_non_ascii_names_subjects_and_domains_are_encoded() -> None:
    msg = parsed(send(sender_name="Müller & Söhne GmbH", subject="Rechnung Nr. 7 – März", to=["kontakt@bücher.example"]))
    assert msg["From"].addresses[0].display_name == "Müller & Söhne GmbH"
    assert msg["Subject"] == "Rechnung Nr. 7 – März"
    assert msg["To"] == "kontakt@xn--bcher-kva.example"


def test_no_sender_name_and_no_reply_to() -> None:
    msg = parsed(send(sender_name=None, reply_to=None, cc=[], bcc=[]))
    assert msg["From"] == "invoices@billwire.test" and msg["Reply-To"] is None and msg["Cc"] is None


@pytest.mark.parametrize("bad", [
    "\r\nBcc: victim@evil.example", "\nX-Injected: 1", "\r", "\x00", "a\rb",
    # what else ends a line for Python's e-mail package, which would refuse the message late
    "\u2028Bcc: victim@evil.example", "\u2029", "\x85", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e",
])
@pytest.mark.parametrize("field", ["subject", "sender_name", "reply_to", "to", "cc", "bcc"])
def test_cr_lf_or_nul_in_any_header_value_is_refused(field: str, bad: str) -> None:
    base = {"subject": "Invoice", "sender_name": "Acme", "reply_to": "billing@acme.example"}
    value = (base.get(field, "ap@globex.example")) + bad
    request = send(**{field: [value] if field in ("to", "cc", "bcc") else value})
    with pytest.raises(InvalidMail) as info:
        domain.plan_message(request, "a.pdf", CONFIG)
    assert info.value.field.startswith({"sender_name": "from name"}.get(field, field))
    assert "not allowed in an e-mail header" in str(info.value)
    assert not any(char in str(info.value) for char in HEADER_BREAKS)


@pytest.mark.parametrize("filename", ["a\r\n.pdf", "a\x00.pdf", "../etc/passwd", "", "x" * 1000])
def test_bad_attachment_names_are_refused(filename: str) -> None:
    with pytest.raises(InvalidMail) as info:
        domain.plan_message(send(), filename, CONFIG)
    assert info.value.field == "filename"


@pytest.mark.parametrize("address", [
    "not-an-address", "@globex.example", "ap@", "ap@globex", "two words@globex.example",
    "Name <ap@globex.example>", "a@b.example, c@d.example", "müller@globex.example",
])
def test_malformed_addresses_are_refused(address: str) -> None:
    with pytest.raises(InvalidMail, match="to\\[0\\]"):
        domain.plan_message(send(to=[address]), "a.pdf", CONFIG)


def test_a_request_needs_a_recipient_and_a_body_without_nul() -> None:
    with pytest.raises(InvalidMail, match="no recipient"):
        domain.plan_message(send(to=[]), "a.pdf", CONFIG)
    with pytest.raises(InvalidMail, match="body"):
        domain.plan_message(send(body="a\x00b"), "a.pdf", CONFIG)
    with pytest.raises(InvalidMail, match="subject"):
        domain.plan_message(send(subject="  "), "a.pdf", CONFIG)


def test_a_body_with_long_lines_and_leading_dots_survives() -> None:
    body = ".\n..leading dots\n" + "x" * 2000 + "\nFrom the start of a line\n"
    assert parsed(send(body=body)).get_body(("plain",)).get_content().replace("\r\n", "\n") == body


def test_the_mime_boundary_comes_from_the_send_request_unless_the_body_holds_it() -> None:
    boundary = domain.mime_boundary(SEND_ID)
    assert parsed(send()).get_boundary() == boundary
    tricky = f"Hello\n--{boundary}\nContent-Type: text/html\n\n<b>forged</b>\n--{boundary}--\n"
    msg = parsed(send(body=tricky))
    assert msg.get_boundary() != boundary and msg.get_body(("plain",)).get_content().replace("\r\n", "\n") == tricky
    assert [a.get_content() for a in msg.iter_attachments()] == [PDF]


@pytest.mark.parametrize(("raw", "crlf_only"), [
    (b"a\r\nb\r\n", True), (b"a\r\nb", False), (b"a\nb\r\n", False), (b"a\rb\r\n", False), (b"", False),
])
def test_only_a_message_with_crlf_everywhere_skips_normalising(raw: bytes, crlf_only: bool) -> None:
    from billwire_mailer.transport import _crlf_only

    assert _crlf_only(raw) is crlf_only


def refused(code: int, who: str = "ap@globex.example") -> aiosmtplib.SMTPRecipientRefused:
    return aiosmtplib.SMTPRecipientRefused(code, "5.1.1 User unknown" if code >= 500 else "4.7.1 Try later", who)


@pytest.mark.parametrize(("exc", "permanent", "code"), [
    (aiosmtplib.SMTPDataError(451, "4.3.0 Temporary failure"), False, 451),
    (aiosmtplib.SMTPDataError(554, "5.7.1 Rejected as spam"), True, 554),
    (aiosmtplib.SMTPSenderRefused(553, "5.7.1 Sender not allowed", "invoices@billwire.test"), True, 553),
    (aiosmtplib.SMTPSenderRefused(421, "4.4.2 Too busy", "invoices@billwire.test"), False, 421),
    (aiosmtplib.SMTPAuthenticationError(535, "5.7.8 Bad credentials"), True, 535),
    (aiosmtplib.SMTPConnectResponseError(421, "Service not available"), False, 421),
    (RecipientsRefused([refused(550)]), True, 550),
    (RecipientsRefused([refused(450)]), False, 450),
    (RecipientsRefused([refused(450), refused(550, "cfo@globex.example")]), True, 550),
    (aiosmtplib.SMTPConnectError("Error connecting to 127.0.0.1 on port 1: [Errno 111] Connection refused"), False, None),
    (aiosmtplib.SMTPConnectTimeoutError("Timed out connecting"), False, None),
    (aiosmtplib.SMTPReadTimeoutError("Timed out waiting for server response"), False, None),
    (aiosmtplib.SMTPServerDisconnected("Connection lost"), False, None),
    (ConnectionRefusedError(111, "Connection refused"), False, None),
    (TimeoutError(), False, None),
    (aiosmtplib.SMTPNotSupported("SMTP STARTTLS extension not supported by server."), True, None),
])
def test_smtp_failures_are_transient_or_permanent(exc: BaseException, permanent: bool, code: int | None) -> None:
    failure = domain.classify(exc)
    assert (failure.permanent, failure.code) == (permanent, code)
    assert failure.reason and "\n" not in failure.reason


def test_only_a_reply_of_the_relay_settles_a_handover() -> None:
    assert domain.answered(aiosmtplib.SMTPDataError(451, "try later"))
    assert domain.answered(RecipientsRefused([refused(550)]))
    assert not domain.answered(aiosmtplib.SMTPServerDisconnected("Connection lost"))
    assert not domain.answered(aiosmtplib.SMTPReadTimeoutError("Timed out"))


def test_a_refused_recipient_is_named_in_the_reason() -> None:
    reason = domain.classify(RecipientsRefused([refused(550)])).reason
    assert "ap@globex.example" in reason and "550" in reason and "User unknown" in reason


def test_reasons_are_one_bounded_line() -> None:
    reason = domain.classify(aiosmtplib.SMTPDataError(554, "line one\r\nline two\x00" + "x" * 5000)).reason
    assert len(reason) <= domain.MAX_REASON and "\n" not in reason and "\x00" not in reason


def test_quota_counts_per_utc_day() -> None:
    late = datetime.fromisoformat("2026-03-01T23:30:00-05:00")  # already March 2nd in UTC
    day = domain.quota_day(late)
    assert day.day == date(2026, 3, 2) and day.resets_at == datetime(2026, 3, 3, tzinfo=UTC)
    assert domain.fits(199, 1, 200) and not domain.fits(200, 1, 200) and not domain.fits(0, 201, 200)
    assert domain.fits(10_000, 1, 0)  # 0 = unlimited


def test_the_first_migration_creates_the_outbox_of_schema_mailer() -> None:
    import billwire_mailer

    sql = (Path(billwire_mailer.__file__).parent / "migrations" / "0001_init.sql").read_text()
    assert outbox_migration("mailer").strip() in sql


@pytest.mark.parametrize("size", [1, 56, 57, 58, 114, 40_000, 40_001])
def test_message_bytes_are_exactly_what_the_email_package_writes(size: int) -> None:
    data = bytes(range(256)) * (size // 256) + bytes(range(size % 256))
    xml = b'<?xml version="1.0"?><Invoice>\xc3\xa4</Invoice>'
    for files, names in (([(data, "application/pdf")], ["a.pdf"]), ([(data, "application/pdf"), (xml, "application/xml")], ["a.pdf", "a.xml"])):
        plan = domain.plan_message(send(), names, CONFIG)
        assert domain.message_bytes(plan, files, NOW) == domain.render(domain.compose(plan, files, NOW))


def test_message_bytes_take_the_plain_way_when_the_body_holds_the_boundary() -> None:
    plan = domain.plan_message(send(body=f"--{domain.mime_boundary(SEND_ID)}\nContent-Type: text/html\n"), ["a.pdf"], CONFIG)
    msg = email.message_from_bytes(domain.message_bytes(plan, [(PDF, "application/pdf")], NOW), policy=email.policy.default)
    assert msg.get_boundary() != domain.mime_boundary(SEND_ID)  # the generator picked another
    assert msg.get_body(("plain",)).get_content().replace("\r\n", "\n").startswith(f"--{domain.mime_boundary(SEND_ID)}\n")
    [attachment] = list(msg.iter_attachments())
    assert attachment.get_content() == PDF


def test_header_classes_are_made_once_and_write_what_the_stock_smtp_policy_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    registry = domain.SMTP_POLICY.header_factory
    assert registry["Subject"] is registry["subject"] and registry["To"] is not registry["Subject"]
    request = send(sender_name="Müller & Söhne", subject="Rechnung für März – INV-2026-0001", to=["jane@exämple.de"])
    files = [(PDF, "application/pdf"), (b"<Invoice/>", "application/xml")]
    plan = domain.plan_message(request, ["Rechnung März.pdf", "a.xml"], CONFIG)
    cached = domain.message_bytes(plan, files, NOW)
    monkeypatch.setattr(domain, "SMTP_POLICY", email.policy.SMTP)
    assert cached == domain.message_bytes(plan, files, NOW)
