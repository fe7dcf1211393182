"""The mailer's settings, read from the environment (see docs/configuration.md)."""

from __future__ import annotations

from typing import Literal

from billwire_shared.service import ServiceSettings


class MailerSettings(ServiceSettings, kw_only=True, frozen=True):
    # Most Postgres connections one replica keeps open: a send holds one while it talks to the
    # relay, up to BILLWIRE_SEND_CONCURRENCY are handled at once, and the quota RPCs must still find one.
    db_pool_size: int = 24
    send_concurrency: int = 16  # e-mails one replica hands to the relay at once
    # The relay every e-mail goes through (`make run` points it at its local catcher).
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 2525
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_timeout: float = 30.0
    smtp_validate_certs: bool = True
    smtp_reuse_messages: int = 100  # e-mails sent over one relay connection before a new one (1: one each)
    smtp_idle_seconds: float = 15.0  # a relay connection idle for longer is closed instead of reused
    # The sender of every e-mail; the account's company name becomes its display name and the
    # account's own address its Reply-To.
    smtp_from: str = "invoices@localhost"
    smtp_local_hostname: str = ""  # name the mailer gives in EHLO; default: the domain of BILLWIRE_SMTP_FROM
    message_id_domain: str = ""  # Message-ID is <send request id@this>; default: the domain of BILLWIRE_SMTP_FROM
    email_daily_quota: int = 200  # e-mails per account and UTC day (mailer.rpc.quota.reserve); 0 = unlimited
    # Attempts at one e-mail; transient failures (relay down, timeouts, 4xx) are retried after
    # BILLWIRE_SEND_RETRY_DELAYS until then, and the send fails after the last.
    send_attempts: int = 8
    send_retry_delays: str = "10,30,60,300,900,1800,3600"
    send_ack_wait: float = 180.0  # seconds JetStream waits for one attempt (artifact fetch + SMTP) before redelivering
    max_attachment_bytes: int = 25 * 1024 * 1024

    def retry_delays(self) -> tuple[float, ...]:
        delays = tuple(float(d) for d in self.send_retry_delays.replace(" ", "").split(",") if d)
        if not delays or any(d <= 0 for d in delays):
            raise ValueError(f"BILLWIRE_SEND_RETRY_DELAYS must list positive seconds, not {self.send_retry_delays!r}")
        return delays
