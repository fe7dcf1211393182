"""Bus handlers: `events.document.rendered` for a send becomes one e-mail; the quota RPCs.

No `from __future__ import annotations` here: fast-depends resolves the handlers' annotations.

Exactly one e-mail per send request, however often its event arrives:
- the message row (keyed by the send request id) is checked first; a finished one is skipped;
- one handler at a time works on a send (a session advisory lock on the one connection the
  attempt uses: released when the process dies);
- each attempt is committed before the relay is contacted and marked `data` just before the
  final dot that ends the content (a relay discards content that never ended, so an attempt
  that stopped earlier sent nothing and is tried again); an attempt found later without an
  outcome in phase `data` is never repeated: after a crash it had handed everything over and
  counts as delivered, unconfirmed; a connection cut off before the relay's answer ends the
  send as failed, saying why;
- delivered or failed state and its event commit in one transaction (the outbox).
"""

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg
import msgspec
from prometheus_client import Counter, Histogram

from billwire_mailer import domain
from billwire_mailer import repository as repo
from billwire_mailer.domain import Failure, InvalidMail, MailConfig, Outgoing
from billwire_mailer.transport import (
    ArtifactMissing,
    ArtifactUnavailable,
    Handover,
    SmtpTransport,
)
from billwire_shared import subjects
from billwire_shared.consumers import Durable, delivery_count, subscribe_durable
from billwire_shared.contracts.events import Event
from billwire_shared.contracts.mail import (
    EmailDelivered,
    EmailFailed,
    EmailQuota,
    GetEmailQuota,
    ReleaseEmailQuota,
    ReserveEmailQuota,
    SendRequest,
)
from billwire_shared.contracts.rendering import Artifact, DocumentRendered
from billwire_shared.contracts.user_links import UserEmailRequested
from billwire_shared.subjects import Names
from billwire_shared.telemetry import span

log = logging.getLogger("billwire.mailer")
DELIVERIES = Counter(
    "billwire_mail_deliveries_total", "Send requests finished: delivered, unconfirmed (stopped after the final dot) or failed", ["outcome"]
)
RETRIES = Counter("billwire_mail_retries_total", "Attempts that failed for now; the send is tried again after a delay")
SMTP_FAILURES = Counter("billwire_smtp_failures_total", "SMTP attempts the relay refused or that broke, by kind", ["kind"])
for _label in ("delivered", "unconfirmed", "failed"):  # shown as 0 from the start: increase() sees the first one
    DELIVERIES.labels(_label)
for _label in ("transient", "permanent"):
    SMTP_FAILURES.labels(_label)
SMTP_SECONDS = Histogram(
    "billwire_smtp_seconds", "One SMTP hand-over (envelope, content, the relay's answer)", buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
)
FetchArtifact = Callable[[UUID, Artifact], Awaitable[bytes]]
REMEMBERED = 10_000  # relay answers kept in memory until they are recorded


class Retry(Exception):
    """A transient failure: the event comes back after the consumer's next delay."""


def utcnow() -> datetime:
    return datetime.now(UTC)


class MailerHandlers:
    def __init__(
        self, pool: asyncpg.Pool, config: MailConfig, transport: SmtpTransport, fetch: FetchArtifact, *,
        max_deliver: int, daily_quota: int,
    ) -> None:
        self.pool, self.config, self.transport, self.fetch = pool, config, transport, fetch
        self.max_deliver, self.daily_quota = max_deliver, daily_quota
        # send request id -> the relay's final reply, for sends accepted but not yet recorded
        self.accepted: OrderedDict[UUID, str] = OrderedDict()

    # -- events.document.rendered -----------------------------------------------------------------

    async def document_rendered(self, event: Event, delivery: int = 1) -> None:
        rendered = msgspec.convert(event.data, DocumentRendered)
        send = rendered.send
        if send is None:  # rendered for a download or a preview: not for us
            return
        last = delivery >= self.max_deliver
        # The PDF, then what else goes with it (an XRechnung's XML), as the rendering service lists it.
        artifacts = [rendered.artifact, *getattr(rendered, "attachments", ())]
        try:
            plan = domain.plan_message(send, [a.filename for a in artifacts], self.config)
        except InvalidMail as exc:
            await self._refuse(send, rendered.artifact, exc)
            return
        state = await repo.record_message(
            self.pool, send_request_id=send.id, account_id=send.account_id, document_id=send.document_id,
            artifact_id=rendered.artifact.id, message_id=plan.message_id, sender=plan.envelope_sender,
            recipients=plan.envelope_recipients, subject=plan.subject,
        )
        if state in ("delivered", "failed"):
            log.info("send %s already finished; event %s ignored", send.id, event.id)
            return
        files: list[tuple[bytes, str]] = []
        try:
            for artifact in artifacts:
                files.append((await self.fetch(send.account_id, artifact), artifact.media_type))
        except (ArtifactMissing, ArtifactUnavailable) as exc:
            permanent = isinstance(exc, ArtifactMissing)
            what = "the PDF" if artifact is rendered.artifact else f"the attachment {domain.shown(artifact.filename)}"
            failure = Failure(permanent, domain.clip(f"{what} could not be fetched: {exc}"))
            if permanent or last:
                async with self.pool.acquire() as conn, conn.transaction():
                    await self._fail(conn, send, failure)
                return
            raise Retry(failure.reason) from exc
        try:
            message = domain.message_bytes(plan, files, utcnow())
        except ValueError as exc:  # what the checks above missed and the e-mail package refuses: never retried
            await self._refuse(send, rendered.artifact, InvalidMail("message", str(exc)))
            return
        await self._deliver(send, plan, message, delivery, last)

    # -- events.user.email_requested: an invitation or a password-reset link, no attachment ---------

    async def user_email_requested(self, event: Event, delivery: int = 1) -> None:
        """The same exactly-once path as a document's e-mail, with nothing to fetch or attach."""
        send = msgspec.convert(event.data, UserEmailRequested).send
        try:
            plan = domain.plan_message(send, [], self.config)
        except InvalidMail as exc:
            await self._refuse(send, None, exc)
            return
        state = await repo.record_message(
            self.pool, send_request_id=send.id, account_id=send.account_id, document_id=send.document_id, artifact_id=None,
            message_id=plan.message_id, sender=plan.envelope_sender, recipients=plan.envelope_recipients, subject=plan.subject,
        )
        if state in ("delivered", "failed"):
            return
        await self._deliver(send, plan, domain.message_bytes(plan, [], utcnow()), delivery, delivery >= self.max_deliver)

    async def _deliver(self, send: SendRequest, plan: Outgoing, message: bytes, delivery: int, last: bool) -> None:
        # One connection for the whole attempt (a handler never waits for a second one while
        # holding the first), locked for this send request with a session lock.
        async with self.pool.acquire() as conn:
            if not await repo.try_lock(conn, send.id):
                if last:  # whoever holds it finishes it
                    return
                raise Retry(f"send {send.id} is being handled by another worker")
            try:
                retry = await self._attempt(conn, send, plan, message, delivery, last)
            finally:
                await repo.unlock(conn, send.id)
        self.accepted.pop(send.id, None)
        if retry is not None:
            raise Retry(retry.reason)

    async def _attempt(
        self, conn: asyncpg.Connection, send: SendRequest, plan: Outgoing, message: bytes, delivery: int, last: bool
    ) -> Failure | None:
        """One SMTP attempt, recorded; returns the failure to retry after, if any."""
        state, number = await repo.begin_attempt(conn, send.id, send.account_id, delivery)  # committed before the relay is contacted
        if number is None:
            if state != "pending":
                return None
            for attempt in await repo.open_attempts(conn, send.id):
                if attempt["phase"] == "data" or send.id in self.accepted:  # the relay may have it: never twice
                    async with conn.transaction():
                        await self._settle_interrupted(conn, send, plan, attempt["number"])
                    return None
                await repo.finish_attempt(conn, send.id, attempt["number"], "abandoned", None, "stopped before the message was handed over")
            number = await repo.start_attempt(conn, send.id, send.account_id, delivery)
        handover = Handover(lambda: repo.enter_data_phase(conn, send.id, number))
        relay = self.transport.relay
        try:
            with SMTP_SECONDS.time(), span("smtp send", "CLIENT", {
                "server.address": relay.host, "server.port": relay.port, "billwire.send_request_id": str(send.id),
                "billwire.attempt": number, "billwire.recipients": len(plan.envelope_recipients),
            }):
                reply = await self.transport.send(plan.envelope_sender, plan.envelope_recipients, message, handover)
        except Exception as exc:  # noqa: BLE001 - every failure is classified, none escapes unrecorded
            failure = domain.classify(exc)
            SMTP_FAILURES.labels("permanent" if failure.permanent else "transient").inc()
            log.warning("send %s attempt %d: %s", send.id, number, failure.reason)
            async with conn.transaction():
                if handover.dot_written and not domain.answered(exc):  # cut off mid-hand-over: the relay may have it
                    await self._settle_interrupted(conn, send, plan, number, failure.reason)
                    return None
                await repo.finish_attempt(conn, send.id, number, "permanent" if failure.permanent else "transient", failure.code, failure.reason)
                if failure.permanent or last:
                    await self._fail(conn, send, failure)
                    return None
            RETRIES.inc()
            return failure
        self._remember(send.id, reply)
        await self._delivered(conn, send, plan, number, "delivered", reply, reply)
        return None

    async def _settle_interrupted(
        self, conn: asyncpg.Connection, send: SendRequest, plan: Outgoing, number: int, cause: str = ""
    ) -> None:
        """An attempt reached the final dot and got no answer recorded.

        This process may have seen the relay's answer (only recording it failed). A process that
        stopped there had handed over everything, final dot included, after the relay accepted
        every recipient: its kernel still sends what it had, so the relay has the message and it
        counts as delivered, unconfirmed. A connection that broke instead may have lost the end
        of the message on the way: nobody knows, so it fails and is not sent again."""
        reply = self.accepted.get(send.id)
        if reply is not None:
            await self._delivered(conn, send, plan, number, "delivered", reply, reply)
            return
        if not cause:
            detail = "unconfirmed: the mailer stopped after handing over the whole message, before the relay's answer was recorded"
            await self._delivered(conn, send, plan, number, "unknown", detail, detail)
            return
        reason = domain.clip(
            f"the connection broke ({cause}) while handing the message to the relay; it may have been delivered,"
            " and it is not sent again so that it cannot arrive twice"
        )
        await repo.finish_attempt(conn, send.id, number, "unknown", None, reason)
        await self._fail(conn, send, Failure(False, reason))

    async def _delivered(
        self, conn: asyncpg.Connection, send: SendRequest, plan: Outgoing, number: int, outcome: str, detail: str, reply: str,
    ) -> None:
        """Attempt `number` ends with `outcome`; the send is delivered, with its event, once."""
        now = utcnow()
        data = EmailDelivered(
            send_request_id=send.id, account_id=send.account_id, document_id=send.document_id,
            message_id=plan.message_id, recipients=plan.envelope_recipients, delivered_at=now,
        )
        event = repo.new_event("email.delivered", send.account_id, data, now)
        code = _code(reply) if outcome == "delivered" else None
        if await repo.finish_delivered(conn, send.id, number, outcome, code, detail, reply, now, event, subjects.EMAIL_DELIVERED):
            DELIVERIES.labels("delivered" if outcome == "delivered" else "unconfirmed").inc()
            log.info("send %s delivered as %s: %s", send.id, plan.message_id, reply)

    async def _fail(self, conn: asyncpg.Connection, send: SendRequest, failure: Failure) -> None:
        now = utcnow()
        data = EmailFailed(
            send_request_id=send.id, account_id=send.account_id, document_id=send.document_id,
            reason=failure.reason, permanent=failure.permanent, failed_at=now,
        )
        event = repo.new_event("email.failed", send.account_id, data, now)
        if await repo.mark_failed(conn, send.id, failure.reason, failure.permanent, now, event, subjects.EMAIL_FAILED):
            DELIVERIES.labels("failed").inc()
            log.warning("send %s failed (%s): %s", send.id, "permanent" if failure.permanent else "gave up", failure.reason)

    async def _refuse(self, send: SendRequest, artifact: Artifact | None, exc: InvalidMail) -> None:
        """A request that cannot become a safe e-mail: recorded as it came, failed at once."""
        async with self.pool.acquire() as conn, conn.transaction():
            await repo.insert_message(
                conn, send_request_id=send.id, account_id=send.account_id, document_id=send.document_id,
                artifact_id=artifact.id if artifact else None, message_id=f"<{send.id}>", sender=domain.shown(self.config.from_address),
                recipients=[domain.shown(r) for r in (*send.to, *send.cc, *send.bcc)], subject=domain.shown(send.subject),
            )
            await self._fail(conn, send, Failure(True, domain.clip(f"the e-mail was not sent: {exc}")))

    def _remember(self, send_request_id: UUID, reply: str) -> None:
        self.accepted[send_request_id] = reply
        while len(self.accepted) > REMEMBERED:
            self.accepted.popitem(last=False)

    # -- quota RPCs ------------------------------------------------------------------------------

    async def reserve_quota(self, cmd: ReserveEmailQuota) -> EmailQuota:
        day = domain.quota_day(utcnow())
        allowed, used = await repo.reserve_quota(
            self.pool, cmd.ctx.account_id, day.day, cmd.count, self.daily_quota, cmd.reservation_id
        )
        return EmailQuota(allowed=allowed, used=used, limit=self.daily_quota, resets_at=day.resets_at)

    async def release_quota(self, cmd: ReleaseEmailQuota) -> EmailQuota:
        await repo.release_quota(self.pool, cmd.ctx.account_id, cmd.reservation_id)
        return await self.get_quota(GetEmailQuota(ctx=cmd.ctx))

    async def get_quota(self, cmd: GetEmailQuota) -> EmailQuota:
        day = domain.quota_day(utcnow())
        used = await repo.quota_used(self.pool, cmd.ctx.account_id, day.day)
        return EmailQuota(
            allowed=domain.fits(used, 1, self.daily_quota), used=used, limit=self.daily_quota, resets_at=day.resets_at
        )


def _code(reply: str) -> int | None:
    head = reply.split(" ", 1)[0]
    return int(head) if head.isdigit() else None


def register(
    broker: Any, handlers: MailerHandlers, names: Names, durables: tuple[Durable, Durable], concurrency: int, sends: int,
) -> None:
    """`durables`: the consumers of rendered documents and of people's e-mails (invitations, resets)."""
    async def document_rendered(event: Event) -> None:
        await handlers.document_rendered(event, delivery_count())

    async def user_email_requested(event: Event) -> None:
        await handlers.user_email_requested(event, delivery_count())

    subscribe_durable(broker, names, durables[0], document_rendered, max_workers=sends)
    subscribe_durable(broker, names, durables[1], user_email_requested, max_workers=2)
    queue = names.queue("mailer")
    routes = (
        (subjects.MAILER_QUOTA_RESERVE, handlers.reserve_quota), (subjects.MAILER_QUOTA_RELEASE, handlers.release_quota),
        (subjects.MAILER_QUOTA_GET, handlers.get_quota),
    )
    for subject, handler in routes:
        broker.subscriber(names.subject(subject), queue=queue, max_workers=concurrency)(handler)
