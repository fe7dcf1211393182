"""The webhook delivery worker: every replica runs one; each delivery is claimed by one of them
at a time (FOR UPDATE SKIP LOCKED plus a lease in `next_attempt_at`), POSTed signed, and its
outcome recorded with the next try on the retry schedule.

Targets are checked on every attempt, not only when the webhook was made: the host is
resolved, every address must be public, and the request goes to the checked address (with
the original Host header and TLS server name), so a name that changes its answer between the
check and the connection (DNS rebinding) reaches nothing private. Redirects are not followed
by the client: a 307/308 is followed by hand, checked again, up to three times; any other
3xx counts as a failure. Connections are not kept alive (each attempt is pinned to its
checked address), and proxy variables from the environment are ignored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urljoin

import asyncpg

from billwire_invoices.webhooks import rules, sql
from billwire_invoices.webhooks.sealing import SecretBox, SecretUnreadable
from billwire_shared.background import BackgroundLoop

if TYPE_CHECKING:
    import httpx

log = logging.getLogger("billwire.invoices.webhooks")
MAX_REDIRECTS = 3
USER_AGENT = "Billwire-Webhooks/1"


@dataclass(frozen=True)
class Outcome:
    status: int | None
    error: str | None  # None: delivered (a 2xx answer)


async def post_signed(
    client: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str], *,
    allow_private: bool, resolver: rules.Resolver = rules.resolve,
) -> Outcome:
    """POST `body` to `url`, following 307/308 by hand with the target check on every hop."""
    import httpx  # loaded with the first delivery (see DeliveryWorker._http)

    for _ in range(MAX_REDIRECTS + 1):
        request_url, extra, extensions = httpx.URL(url), {}, {}
        try:
            if not allow_private:
                address = (await rules.public_addresses(url, resolver))[0]
                _, host, _ = rules.split_target(url)
                extra["Host"] = request_url.netloc.decode("ascii")
                request_url = request_url.copy_with(host=str(address))
                if request_url.scheme == "https":
                    extensions["sni_hostname"] = host
            else:
                rules.split_target(url)
        except rules.TargetRefused as exc:
            return Outcome(None, f"refused: {exc}")
        try:
            async with client.stream("POST", request_url, content=body, headers=headers | extra, extensions=extensions) as response:
                status = response.status_code
                location = response.headers.get("location")
        except httpx.TimeoutException:
            return Outcome(None, "timed out")
        except httpx.HTTPError as exc:
            return Outcome(None, f"{type(exc).__name__}: {exc}"[:300] or type(exc).__name__)
        if status in (307, 308) and location:
            url = urljoin(url, location)
            continue
        if 200 <= status < 300:
            return Outcome(status, None)
        if 300 <= status < 400:
            return Outcome(status, f"HTTP {status}: redirect not followed (only 307/308 are); register the final URL")
        return Outcome(status, f"HTTP {status}")
    return Outcome(None, f"more than {MAX_REDIRECTS} redirects")


class DeliveryWorker(BackgroundLoop):
    def __init__(
        self, pool: asyncpg.Pool, *, box: SecretBox | None = None, allow_private: bool = False, timeout: float = 10.0, poll_interval: float = 1.0,
        retry_scale: float = 1.0, batch: int = 32, resolver: rules.Resolver = rules.resolve,
    ) -> None:
        self.pool, self.allow_private, self.timeout = pool, allow_private, timeout
        self.box = box or SecretBox("")
        self.poll_interval, self.retry_scale, self.batch, self.resolver = poll_interval, retry_scale, batch, resolver
        # Long enough for every hop of one attempt; after it another replica may try again.
        self.lease = timedelta(seconds=timeout * (MAX_REDIRECTS + 1) + 30)
        self._wake = asyncio.Event()
        self._client: httpx.AsyncClient | None = None

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._spawn(self._run(), "webhook-deliveries")

    def _http(self) -> httpx.AsyncClient:
        """The HTTP client, made for the first delivery: most accounts never register a webhook,
        and httpx with what it imports (rich, pygments) is about 7 MB and a second of a busy start."""
        if self._client is None:
            import httpx

            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(self.timeout), follow_redirects=False, trust_env=False,
                limits=httpx.Limits(max_keepalive_connections=0, max_connections=self.batch),
                headers={"User-Agent": USER_AGENT, "Content-Type": "application/json"},
            )
        return self._client

    async def stop(self) -> None:
        await self._halt()
        if self._client:
            await self._client.aclose()

    async def _run(self) -> None:
        while not self.stopping:
            self._wake.clear()
            try:
                while await self.run_once() == self.batch:
                    pass
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("webhook deliveries failed; trying again shortly")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_interval)

    async def run_once(self) -> int:
        """Claim the due deliveries and attempt them all at once; returns how many."""
        async with self.pool.acquire() as conn:
            rows = await sql.claim_due(conn, self.batch, self.lease)
        await asyncio.gather(*(self._attempt(row) for row in rows))
        return len(rows)

    async def _attempt(self, row: asyncpg.Record) -> None:
        started, clock = datetime.now(UTC), time.monotonic()
        timestamp = int(time.time())
        try:
            secret = self.box.open(row["secret"])
        except SecretUnreadable as exc:
            log.error("webhook delivery %s: %s", row["id"], exc)
            outcome = Outcome(None, f"not signed: {exc}")
        else:
            outcome = await self._post(row, secret, timestamp)
        retry_in = None if outcome.error is None else rules.retry_delay(row["attempts"], self.retry_scale, random.random())
        async with self.pool.acquire() as conn:
            await sql.record_attempt(
                conn, row["id"], row["attempts"], started, int((time.monotonic() - clock) * 1000),
                outcome.status, outcome.error, retry_in,
            )
        if outcome.error is not None:
            log.info("webhook delivery %s attempt %d: %s%s", row["id"], row["attempts"], outcome.error,
                     "" if retry_in is not None else "; giving up")

    async def _post(self, row: asyncpg.Record, secret: str, timestamp: int) -> Outcome:
        headers = {
            rules.SIGNATURE_HEADER: rules.signature_header(secret, timestamp, row["payload"]),
            rules.DELIVERY_HEADER: str(row["id"]),
            rules.EVENT_HEADER: row["event_type"],
        }
        try:
            async with asyncio.timeout(self.lease.total_seconds() - 5):
                return await post_signed(
                    self._http(), row["url"], row["payload"], headers, allow_private=self.allow_private, resolver=self.resolver,
                )
        except TimeoutError:
            return Outcome(None, "timed out")
