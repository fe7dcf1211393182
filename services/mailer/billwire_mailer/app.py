"""Wires the mailer service: settings, the durable consumer of `events.document.rendered`,
the quota RPCs, the SMTP relay, and the outbox relay of schema `mailer`."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Literal
from uuid import UUID

import asyncpg
import nats
from faststream.nats import NatsBroker

from billwire_mailer import domain
from billwire_mailer import repository as repo
from billwire_mailer.handlers import MailerHandlers, register
from billwire_mailer.transport import Relay, SmtpTransport, fetch_artifact
from billwire_shared import subjects as s
from billwire_shared.bus import declare_jetstream, nats_servers
from billwire_shared.consumers import Durable, ExhaustedWatch
from billwire_shared.contracts.rendering import Artifact
from billwire_shared.outbox import OutboxRelay
from billwire_shared.service import Service, ServiceSettings
from billwire_shared.settings import load_settings

SCHEMA = "mailer"
MIGRATIONS = Path(__file__).parent / "migrations"
log = logging.getLogger("billwire.mailer")


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
    outbox_poll_interval: float = 1.0
    events_replicas: int = 1

    def retry_delays(self) -> tuple[float, ...]:
        delays = tuple(float(d) for d in self.send_retry_delays.replace(" ", "").split(",") if d)
        if not delays or any(d <= 0 for d in delays):
            raise ValueError(f"BILLWIRE_SEND_RETRY_DELAYS must list positive seconds, not {self.send_retry_delays!r}")
        return delays


def rendered_consumer(settings: MailerSettings) -> Durable:
    try:
        backoff = settings.retry_delays()
    except ValueError as exc:
        raise SystemExit(f"invalid mailer setting: {exc}") from exc
    return Durable(
        name="mailer-rendered", subject=s.DOCUMENT_RENDERED, max_deliver=max(1, settings.send_attempts),
        backoff=backoff, ack_wait=settings.send_ack_wait,
    )


def mail_config(settings: MailerSettings) -> domain.MailConfig:
    """Checked at start-up: a bad sender address stops the service, not every send."""
    try:
        sender = domain.parse_address("BILLWIRE_SMTP_FROM", settings.smtp_from)
        config = domain.MailConfig(from_address=sender.addr_spec, message_id_domain=settings.message_id_domain or sender.domain)
        domain.message_id(UUID(int=0), config.message_id_domain)
    except domain.InvalidMail as exc:
        raise SystemExit(f"invalid mailer setting: {exc}") from exc
    return config


async def _quiet(exc: Exception) -> None:
    log.warning("NATS: %s", exc)


class MailerService(Service):
    """One replica: sends the e-mails of rendered send requests, answers quota RPCs, relays its outbox."""

    settings: MailerSettings

    def __init__(self, settings: MailerSettings) -> None:
        super().__init__(SCHEMA, settings, MIGRATIONS)
        self.config = mail_config(settings)
        self.durable = rendered_consumer(settings)
        self.relay = Relay(
            host=settings.smtp_host, port=settings.smtp_port, security=settings.smtp_security,
            username=settings.smtp_username, password=settings.smtp_password, timeout=settings.smtp_timeout,
            validate_certs=settings.smtp_validate_certs,
            local_hostname=settings.smtp_local_hostname or self.config.from_address.rpartition("@")[2],
            reuse_messages=max(1, settings.smtp_reuse_messages), idle_seconds=settings.smtp_idle_seconds,
        )
        self.transport = SmtpTransport(self.relay)
        self.nc: nats.NATS | None = None
        self.handlers: MailerHandlers | None = None
        self.outbox: OutboxRelay | None = None

    async def _fetch(self, account_id: UUID, artifact: Artifact) -> bytes:
        assert self.nc is not None
        return await fetch_artifact(
            self.nc, self.names, account_id, artifact,
            timeout=self.settings.rpc_timeout, max_bytes=self.settings.max_attachment_bytes,
        )

    def register(self, broker: NatsBroker, pool: asyncpg.Pool) -> None:
        self.handlers = MailerHandlers(
            pool, self.config, self.transport, self._fetch,
            max_deliver=self.durable.max_deliver, daily_quota=self.settings.email_daily_quota,
        )
        register(broker, self.handlers, self.names, self.durable, self.settings.rpc_concurrency,
                 max(1, min(self.settings.send_concurrency, self.settings.db_pool_size - 4)))

    async def _relay_connection(self) -> asyncpg.Connection:
        return await asyncpg.connect(self.settings.database_url, server_settings={"search_path": SCHEMA})

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[MailerService]:
        # Its own connection: fetching artifacts and publishing the outbox, whatever the broker does.
        self.nc = await nats.connect(nats_servers(self.settings.nats_url), max_reconnect_attempts=-1, error_cb=_quiet)
        try:
            js = self.nc.jetstream(timeout=5)
            exhausted = ExhaustedWatch(self.names, "mailer", (self.durable,))
            await declare_jetstream(js, self.names, (self.durable,), self.settings.events_replicas, watch=exhausted)  # before the broker binds
            async with super().running():
                self.outbox = OutboxRelay(
                    SCHEMA, self._relay_connection, js, self.names, poll_interval=self.settings.outbox_poll_interval,
                    sweeps=(repo.forget_old_quota,),
                )
                self.outbox.start()
                exhausted.start(js)
                log.info(
                    "mailer: relay %s:%d (%s), sender %s, daily quota %s",
                    self.relay.host, self.relay.port, self.relay.security, self.config.from_address,
                    self.settings.email_daily_quota or "unlimited",
                )
                try:
                    yield self
                finally:
                    await self.outbox.stop()
                    await exhausted.stop()
        finally:
            await self.transport.close()
            await self.nc.drain()


def create_service(settings: MailerSettings | None = None) -> MailerService:
    return MailerService(settings or load_settings(MailerSettings))
