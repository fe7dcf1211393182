"""Wires the mailer service on the service base: the durable consumers of
`events.document.rendered` and `events.user.email_requested`, the quota RPCs and the SMTP relay; the base publishes its outbox."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from uuid import UUID

import asyncpg
from faststream.nats import NatsBroker

from billwire_mailer import domain
from billwire_mailer import repository as repo
from billwire_mailer.handlers import MailerHandlers, register
from billwire_mailer.settings import MailerSettings
from billwire_mailer.transport import Relay, SmtpTransport, fetch_artifact
from billwire_shared import subjects
from billwire_shared.consumers import Durable
from billwire_shared.contracts.rendering import Artifact
from billwire_shared.service import Service
from billwire_shared.settings import load_settings

SCHEMA = "mailer"
MIGRATIONS = Path(__file__).parent / "migrations"
log = logging.getLogger("billwire.mailer")


def rendered_consumer(settings: MailerSettings, name: str = "mailer-rendered", subject: str = subjects.DOCUMENT_RENDERED) -> Durable:
    """The consumer of e-mails to send, retried by the send settings (also for people's e-mails)."""
    try:
        backoff = settings.retry_delays()
    except ValueError as exc:
        raise SystemExit(f"invalid mailer setting: {exc}") from exc
    return Durable(name=name, subject=subject, max_deliver=max(1, settings.send_attempts), backoff=backoff, ack_wait=settings.send_ack_wait)


def mail_config(settings: MailerSettings) -> domain.MailConfig:
    """Checked at start-up: a bad sender address stops the service, not every send."""
    try:
        sender = domain.parse_address("BILLWIRE_SMTP_FROM", settings.smtp_from)
        config = domain.MailConfig(from_address=sender.addr_spec, message_id_domain=settings.message_id_domain or sender.domain)
        domain.message_id(UUID(int=0), config.message_id_domain)
    except domain.InvalidMail as exc:
        raise SystemExit(f"invalid mailer setting: {exc}") from exc
    return config


def smtp_relay(settings: MailerSettings, config: domain.MailConfig) -> Relay:
    return Relay(
        host=settings.smtp_host, port=settings.smtp_port, security=settings.smtp_security,
        username=settings.smtp_username, password=settings.smtp_password, timeout=settings.smtp_timeout,
        validate_certs=settings.smtp_validate_certs,
        local_hostname=settings.smtp_local_hostname or config.from_address.rpartition("@")[2],
        reuse_messages=max(1, settings.smtp_reuse_messages), idle_seconds=settings.smtp_idle_seconds,
    )


class MailerService(Service):
    """One replica: sends the e-mails of rendered send requests, answers quota RPCs, publishes its outbox."""

    settings: MailerSettings
    sweeps = (repo.forget_old_quota,)

    def __init__(self, settings: MailerSettings) -> None:
        self.durable = rendered_consumer(settings)
        self.people_durable = rendered_consumer(settings, "mailer-user-email", subjects.USER_EMAIL_REQUESTED)
        super().__init__(SCHEMA, settings, MIGRATIONS, (self.durable, self.people_durable))
        self.config = mail_config(settings)
        self.relay = smtp_relay(settings, self.config)
        self.transport = SmtpTransport(self.relay)
        self.handlers: MailerHandlers | None = None

    async def _fetch(self, account_id: UUID, artifact: Artifact) -> bytes:
        assert self.bus is not None
        return await fetch_artifact(self.bus, account_id, artifact, max_bytes=self.settings.max_attachment_bytes)

    async def open_resources(self, stack: contextlib.AsyncExitStack) -> None:
        stack.push_async_callback(self.transport.close)  # QUITs the kept relay connections, last
        log.info(
            "mailer: relay %s:%d (%s), sender %s, daily quota %s",
            self.relay.host, self.relay.port, self.relay.security, self.config.from_address,
            self.settings.email_daily_quota or "unlimited",
        )

    def register(self, broker: NatsBroker, pool: asyncpg.Pool) -> None:
        self.handlers = MailerHandlers(
            pool, self.config, self.transport, self._fetch,
            max_deliver=self.durable.max_deliver, daily_quota=self.settings.email_daily_quota,
        )
        register(broker, self.handlers, self.names, (self.durable, self.people_durable), self.settings.rpc_concurrency,
                 max(1, min(self.settings.send_concurrency, self.settings.db_pool_size - 4)))


def create_service(settings: MailerSettings | None = None) -> MailerService:
    return MailerService(settings or load_settings(MailerSettings))
