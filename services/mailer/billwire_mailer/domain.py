"""Pure mail logic: the message a send request makes, and what an SMTP failure means.

Nothing here does I/O. Header values are checked before any header is built: a CR, LF or
NUL in one could start a header of its own (header injection), so it is refused with an
`InvalidMail` naming the field, never cleaned up silently.
"""

from __future__ import annotations

import base64
import email.policy
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from email.headerregistry import Address, HeaderRegistry
from email.message import EmailMessage
from email.utils import format_datetime
from uuid import UUID

import aiosmtplib

from billwire_shared.contracts.mail import SendRequest
from billwire_shared.validation import header_break

MAX_HEADER_TEXT = 998  # RFC 5322's line limit; longer values are folded, but nobody needs them
MAX_RECIPIENTS = 50
MAX_REASON = 1000


class InvalidMail(ValueError):
    """The request cannot become a safe e-mail; permanent: sending it again changes nothing."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


@dataclass(frozen=True)
class MailConfig:
    """What the mailer's settings contribute to every message."""

    from_address: str  # the configured sender; the account's company name is its display name
    message_id_domain: str = ""  # default: the from address's domain


@dataclass(frozen=True)
class Outgoing:
    """A checked send request: headers as address objects and the SMTP envelope."""

    send_request_id: UUID
    message_id: str
    sender: Address
    reply_to: Address | None
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    bcc: tuple[Address, ...]  # envelope only, never a header
    subject: str
    body: str
    filenames: tuple[str, ...]  # the attachments' names: the PDF first, then any others

    @property
    def envelope_sender(self) -> str:
        return self.sender.addr_spec

    @property
    def envelope_recipients(self) -> list[str]:
        """To, Cc and Bcc, each address once (case-insensitively), in that order."""
        seen: set[str] = set()
        out = []
        for address in (*self.to, *self.cc, *self.bcc):
            key = address.addr_spec.lower()
            if key not in seen:
                seen.add(key)
                out.append(address.addr_spec)
        return out


@dataclass(frozen=True)
class Failure:
    """What an SMTP (or network) failure means for the send."""

    permanent: bool
    reason: str
    code: int | None = None


class RecipientsRefused(Exception):
    """The relay refused one or more recipients; nothing was sent (the transaction was reset)."""

    def __init__(self, refused: list[aiosmtplib.SMTPRecipientRefused]) -> None:
        super().__init__(", ".join(f"{r.recipient}: {r.code} {r.message}" for r in refused))
        self.refused = refused


# -- checking and building ---------------------------------------------------------------------


def check_header_text(field: str, value: str, *, required: bool = True) -> str:
    if what := header_break(value):
        raise InvalidMail(field, f"contains {what}, which is not allowed in an e-mail header: {shown(value)}")
    if required and not value.strip():
        raise InvalidMail(field, "must not be empty")
    if len(value) > MAX_HEADER_TEXT:
        raise InvalidMail(field, f"is longer than {MAX_HEADER_TEXT} characters")
    return value


def parse_address(field: str, value: str, display_name: str = "") -> Address:
    """One bare address (`name@example.com`) as an Address; the domain may be international."""
    check_header_text(field, value)
    check_header_text(f"{field} name", display_name, required=False)
    text = value.strip()
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain or any(c.isspace() or c in '<>,;:"()[]\\' for c in text):
        raise InvalidMail(field, f"is not an e-mail address: {shown(value)}")
    if not local.isascii():
        raise InvalidMail(field, f"has non-ASCII characters before the @, which the relay cannot be relied on to accept: {shown(value)}")
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise InvalidMail(field, f"has an invalid domain: {shown(value)}") from exc
    if "." not in ascii_domain.strip(".") and ascii_domain != "localhost":
        raise InvalidMail(field, f"has no domain with a dot: {shown(value)}")
    try:
        return Address(display_name=display_name, username=local, domain=ascii_domain.lower())
    except (ValueError, IndexError) as exc:  # the header parser's own refusal
        raise InvalidMail(field, f"is not an e-mail address: {shown(value)}") from exc


def _addresses(field: str, values: list[str]) -> tuple[Address, ...]:
    return tuple(parse_address(f"{field}[{i}]", v) for i, v in enumerate(values))


def check_filename(field: str, filename: str) -> str:
    check_header_text(field, filename)
    if "/" in filename or "\\" in filename:
        raise InvalidMail(field, f"must be a plain file name: {shown(filename)}")
    return filename


def plan_message(send: SendRequest, filenames: str | Sequence[str], config: MailConfig) -> Outgoing:
    """Check every header value of `send` and the attachments' names; raises InvalidMail."""
    names = (filenames,) if isinstance(filenames, str) else tuple(filenames)
    names = tuple(check_filename("filename" if i == 0 else f"attachments[{i - 1}].filename", n) for i, n in enumerate(names))
    to, cc, bcc = _addresses("to", send.to), _addresses("cc", send.cc), _addresses("bcc", send.bcc)
    if not to:
        raise InvalidMail("to", "names no recipient")
    if len(to) + len(cc) + len(bcc) > MAX_RECIPIENTS:
        raise InvalidMail("to", f"more than {MAX_RECIPIENTS} recipients in all")
    if "\x00" in send.body:
        raise InvalidMail("body", "contains a NUL character")
    name = check_header_text("from name", send.sender_name or "", required=False).strip()
    sender = parse_address("from", config.from_address, name)
    reply_to = parse_address("reply_to", send.reply_to) if send.reply_to else None
    return Outgoing(
        send_request_id=send.id,
        message_id=message_id(send.id, config.message_id_domain or sender.domain),
        sender=sender, reply_to=reply_to, to=to, cc=cc, bcc=bcc,
        subject=check_header_text("subject", send.subject), body=send.body, filenames=names,
    )


def message_id(send_request_id: UUID, domain: str) -> str:
    """The same send request always makes the same Message-ID, so a receiver can spot a repeat."""
    check_header_text("message_id_domain", domain)
    return f"<{send_request_id}@{domain}>"


class HeaderClasses(HeaderRegistry):
    """The standard header registry, except that each header name's class is made once:
    `HeaderRegistry` builds a new class (`type(...)`) for every header it parses, about 30 per
    e-mail, a third of composing one. The class depends on the name alone."""

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type] = {}

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = super().__getitem__(name)
            if len(self._made) < 256:  # names come from this module, but stay bounded anyway
                self._made[key] = made
        return made

    def map_to_type(self, name: str, cls: type) -> None:
        super().map_to_type(name, cls)
        self._made.pop(name.lower(), None)


SMTP_POLICY = email.policy.SMTP.clone(header_factory=HeaderClasses())


def compose(plan: Outgoing, files: Sequence[tuple[bytes, str]], now: datetime) -> EmailMessage:
    """The e-mail itself: SMTP policy (CRLF), address objects, and `files` ((data, media type),
    the PDF first) attached under the names the plan checked."""
    if len(files) != len(plan.filenames):
        raise ValueError(f"{len(files)} files for {len(plan.filenames)} checked names")
    msg = EmailMessage(policy=SMTP_POLICY)
    msg["Message-ID"] = plan.message_id
    msg["Date"] = format_datetime(now.astimezone(UTC))
    msg["From"] = plan.sender
    if plan.reply_to is not None:
        msg["Reply-To"] = plan.reply_to
    msg["To"] = plan.to
    if plan.cc:
        msg["Cc"] = plan.cc
    msg["Subject"] = plan.subject
    msg.set_content(plan.body, cte="quoted-printable")
    for (data, media_type), filename in zip(files, plan.filenames, strict=True):
        maintype, _, subtype = media_type.partition("/")
        msg.add_attachment(data, maintype=maintype or "application", subtype=subtype or "octet-stream", filename=filename)
    boundary = mime_boundary(plan.send_request_id)
    if msg.is_multipart() and boundary not in plan.body:
        msg.set_boundary(boundary)  # else the generator picks one, scanning the whole message for it
    return msg


def mime_boundary(send_request_id: UUID) -> str:
    """A boundary nothing else in the message contains: base64 has no `_` and the rest is ours,
    apart from the body, which `compose` checks."""
    return f"=_billwire_{send_request_id.hex}"


def render(msg: EmailMessage) -> bytes:
    """The bytes handed to the relay (there is no Bcc header to strip: it is never made)."""
    return msg.as_bytes(policy=SMTP_POLICY)


def message_bytes(plan: Outgoing, files: Sequence[tuple[bytes, str]], now: datetime) -> bytes:
    """`render(compose(plan, files, now))`, byte for byte, made faster: the message is composed
    with a short stand-in for each file, whose one base64 line is then replaced by the file's
    base64 written in one go. The email package encodes and writes base64 a line at a time,
    about two thirds of the work for a PDF. Anything unusual takes the plain way."""
    if mime_boundary(plan.send_request_id) in plan.body or not all(data for data, _ in files) or len(files) > 255:
        return render(compose(plan, files, now))
    stand_ins = [b"\x00billwire-file:" + plan.send_request_id.bytes + bytes([i]) for i in range(len(files))]
    raw = render(compose(plan, [(stand_in, media_type) for stand_in, (_, media_type) in zip(stand_ins, files, strict=True)], now))
    for stand_in, (data, _) in zip(stand_ins, files, strict=True):
        line = b"\r\n" + base64.b64encode(stand_in) + b"\r\n"
        if raw.count(line) != 1:
            return render(compose(plan, files, now))
        raw = raw.replace(line, b"\r\n" + _base64_lines(data))
    return raw


def _base64_lines(data: bytes) -> bytes:
    """Base64 in lines of 76 characters (57 bytes each, as the email package writes them), CRLF after each."""
    encoded = base64.b64encode(data)
    return b"".join([encoded[i:i + 76] + b"\r\n" for i in range(0, len(encoded), 76)])


# -- failures ------------------------------------------------------------------------------------


def classify(exc: BaseException) -> Failure:
    """Transient (worth trying again later): no connection, timeouts, SMTP 4xx.
    Permanent: SMTP 5xx, refused recipients, a relay that lacks what the settings require."""
    if isinstance(exc, RecipientsRefused):
        permanent = any(r.code >= 500 for r in exc.refused)
        code = max(r.code for r in exc.refused)
        return Failure(permanent, clip(f"recipient refused: {exc}"), code)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        code = exc.code
        what = {
            aiosmtplib.SMTPSenderRefused: "sender refused",
            aiosmtplib.SMTPRecipientRefused: "recipient refused",
            aiosmtplib.SMTPDataError: "message refused",
            aiosmtplib.SMTPAuthenticationError: "authentication failed",
            aiosmtplib.SMTPHeloError: "greeting refused",
        }.get(type(exc), "relay answered")
        subject = getattr(exc, "recipient", None) or getattr(exc, "sender", None)
        detail = f"{what}{f' ({subject})' if subject else ''}: {code} {exc.message}"
        return Failure(not 400 <= code < 500, clip(detail), code)
    if isinstance(exc, aiosmtplib.SMTPNotSupported):
        return Failure(True, clip(f"the relay does not support what the settings require: {exc}"))
    if isinstance(exc, aiosmtplib.SMTPTimeoutError | TimeoutError):
        return Failure(False, clip(f"timed out talking to the relay: {exc or 'no answer'}"))
    if isinstance(exc, aiosmtplib.SMTPConnectError | aiosmtplib.SMTPServerDisconnected | ConnectionError | ssl.SSLError | OSError):
        return Failure(False, clip(f"could not reach the relay: {exc}"))
    if isinstance(exc, InvalidMail):
        return Failure(True, clip(str(exc)))
    return Failure(False, clip(f"{type(exc).__name__}: {exc}"))


def answered(exc: BaseException) -> bool:
    """Whether the relay replied (its code decides); otherwise, after the content was handed
    over, nobody knows whether it took the message."""
    return isinstance(exc, aiosmtplib.SMTPResponseException | RecipientsRefused)


# -- the daily quota -----------------------------------------------------------------------------


@dataclass(frozen=True)
class QuotaDay:
    day: date
    resets_at: datetime


def quota_day(now: datetime) -> QuotaDay:
    """Quotas count per UTC day and reset at the next midnight UTC."""
    day = now.astimezone(UTC).date()
    return QuotaDay(day, datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC))


def fits(used: int, count: int, limit: int) -> bool:
    return limit == 0 or used + count <= limit


# -- helpers ---------------------------------------------------------------------------------


def shown(value: str, limit: int = 120) -> str:
    """A value as it may appear in an error or a log line: control characters escaped."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def clip(text: str) -> str:
    """A reason fit to store and report: one line, no NUL, bounded."""
    flat = " ".join(text.replace("\x00", "\\x00").split())
    return flat if len(flat) <= MAX_REASON else flat[: MAX_REASON - 3] + "..."
