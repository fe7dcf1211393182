"""`make cluster-test`: scale-out on one machine, with failures, and nothing lost or doubled.

A 3-node NATS JetStream cluster, two replicas of every service as separate processes, an SMTP
sink and a subscriber of `invoice.sent` / `invoice.paid`. Clients create and send INVOICES
invoices and pay half of them through both gateways (retrying with the same Idempotency-Key,
as any client should) while one NATS node and one replica of each service are killed with
SIGKILL and restarted. Then: every invoice numbered once with no gap, exactly one e-mail per
send, every public event seen once by the subscriber, nothing left in flight. Prints the counts;
exits non-zero when an invariant fails.
"""

from __future__ import annotations

import asyncio
import collections
import os
import re
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx
import nats
from aiosmtpd.controller import Controller

from billwire_cli.embedded import free_port
from billwire_shared.subjects import Names
from tests.cluster.nodes import NatsNode, Replica, service_env, start_cluster, wait_healthy
from tests.cluster.workload import Client, Subscriber, create_account, run_workload

INVOICES = int(os.environ.get("BILLWIRE_CLUSTER_INVOICES", "500"))
SERVICES = ("invoices", "rendering", "mailer", "gateway")


MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>\r\n]+>)", re.IGNORECASE | re.MULTILINE)


class Sink:
    """SMTP server that keeps every message's Message-ID."""

    def __init__(self) -> None:
        self.message_ids: list[str] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, N802
        head = envelope.content.split(b"\r\n\r\n", 1)[0]
        found = MESSAGE_ID.search(head)
        self.message_ids.append(found.group(1).decode() if found else "")
        return "250 2.0.0 Ok: queued"


async def wait_for(what: str, predicate, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(1.0)


async def chaos(nodes: list[NatsNode], replicas: dict[str, list[Replica]], log: list[str]) -> None:
    """Kill one NATS node and the first replica of each service (SIGKILL), restart them."""
    await asyncio.sleep(3)
    victims: list[NatsNode | Replica] = [nodes[1]] + [replicas[s][0] for s in SERVICES]
    for victim in victims:
        victim.kill()
        log.append(f"{time.strftime('%X')} killed {getattr(victim, 'name', '?')}")
        await asyncio.sleep(3)
        victim.start()
        log.append(f"{time.strftime('%X')} restarted {getattr(victim, 'name', '?')}")
        await asyncio.sleep(2)


async def in_flight(database_url: str, nats_urls: list[str], names: Names) -> dict[str, int]:
    counts: dict[str, int] = {}
    conn = await asyncpg.connect(database_url)
    try:
        for schema in ("invoices", "rendering", "mailer"):
            counts[f"{schema} outbox pending"] = await conn.fetchval(f"SELECT count(*) FROM {schema}.outbox WHERE published_at IS NULL")
    finally:
        await conn.close()
    nc = await nats.connect(nats_urls, error_cb=_quiet)
    try:
        js = nc.jetstream(timeout=10)
        for info in await js.consumers_info(names.events_stream):
            counts[f"consumer {info.name} pending"] = info.num_pending + info.num_ack_pending
        try:
            counts["dead letters"] = (await js.stream_info(names.stream("DEADLETTER"))).state.messages
        except nats.js.errors.NotFoundError:
            counts["dead letters"] = 0
    finally:
        await nc.close()
    return counts


async def settled(database_url: str, nats_urls: list[str], names: Names, timeout: float = 120.0) -> dict[str, int]:
    """In flight once the work has drained (renders for downloads may still be finishing when
    the last send is delivered); what is still there after `timeout` is reported."""
    deadline = time.monotonic() + timeout
    while True:
        counts = await in_flight(database_url, nats_urls, names)
        if not any(counts.values()) or time.monotonic() > deadline:
            return counts
        await asyncio.sleep(2)


async def explain(database_url: str) -> None:
    """What became of the sends that did not finish (for the log of a failed run)."""
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT s.id, s.state, s.reason, m.state AS mail, (SELECT count(*) FROM rendering.artifacts a"
            " WHERE a.document_id = s.document_id) AS artifacts FROM invoices.sends s"
            " LEFT JOIN mailer.messages m ON m.send_request_id = s.id WHERE s.state <> 'delivered'"
        )
    except Exception as exc:
        print(f"could not explain: {exc!r}")
        return
    finally:
        await conn.close()
    for row in rows:
        print(f"  send {row['id']}: {row['state']} {row['reason'] or ''}; mailer: {row['mail']}; artifacts: {row['artifacts']}")


async def unconfirmed(database_url: str) -> int:
    """Attempts a killed mailer left past their final dot: counted delivered, unconfirmed."""
    conn = await asyncpg.connect(database_url)
    try:
        return await conn.fetchval("SELECT count(*) FROM mailer.attempts WHERE outcome = 'unknown'")
    finally:
        await conn.close()


async def explain_mail(database_url: str, message_ids: list[str]) -> None:
    """The mailer's attempts at each e-mail the sink did not get exactly once."""
    seen = collections.Counter(message_ids)
    conn = await asyncpg.connect(database_url)
    try:
        for row in await conn.fetch("SELECT send_request_id, message_id, state, smtp_reply FROM mailer.messages"):
            if seen[row["message_id"]] == 1:
                continue
            print(f"  e-mail {row['message_id']} received {seen[row['message_id']]} times; {row['state']}: {row['smtp_reply']}")
            for a in await conn.fetch("SELECT * FROM mailer.attempts WHERE send_request_id = $1 ORDER BY number", row["send_request_id"]):
                finished = a["finished_at"].strftime("%X.%f") if a["finished_at"] else "-"
                print(f"    attempt {a['number']} (delivery {a['delivery']}) {a['phase']} {a['outcome']} {a['detail'] or ''}"
                      f" {a['started_at']:%X.%f} .. {finished}")
    finally:
        await conn.close()


async def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="billwire-cluster-"))
    prefix = f"c{secrets.token_hex(4)}"
    names = Names(prefix)
    admin_url = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    database = f"billwire_cluster_{secrets.token_hex(4)}"
    conn = await asyncpg.connect(admin_url)
    await conn.execute(f'CREATE DATABASE "{database}"')
    await conn.close()
    database_url = admin_url.rsplit("/", 1)[0] + f"/{database}"
    sink = Sink()
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
    smtp.start()
    nodes = start_cluster(folder)
    nats_urls = [n.url for n in nodes]
    ports = [free_port(), free_port()]
    base_env = {
        "DATABASE_URL": database_url, "NATS_URL": ",".join(nats_urls), "BILLWIRE_PREFIX": prefix,
        "BILLWIRE_EVENTS_REPLICAS": "3", "BILLWIRE_KV_REPLICAS": "3", "BILLWIRE_LOG_LEVEL": "WARNING",
        "BILLWIRE_SMTP_HOST": "127.0.0.1", "BILLWIRE_SMTP_PORT": str(smtp.port), "BILLWIRE_SMTP_FROM": "billing@cluster.test",
        "BILLWIRE_SEND_RETRY_DELAYS": "1,2,3,5,5,5,5", "BILLWIRE_OUTBOX_POLL_INTERVAL": "0.5",
        "BILLWIRE_RATE_LIMIT_PER_MINUTE": "1000000", "PYTHONUNBUFFERED": "1",
        "BILLWIRE_DB_POOL_SIZE": "8", "BILLWIRE_RENDER_PAGES": "2", "BILLWIRE_EMAIL_DAILY_QUOTA": "0",
    }
    replicas = {
        s: [Replica(s, i, service_env(base_env, PORT=str(ports[i])), folder) for i in range(2)] for s in SERVICES
    }
    log: list[str] = []
    failures: list[str] = []
    try:
        for index in range(2):  # one replica of each first: consumers are created once, up front
            for service in SERVICES:
                replicas[service][index].start()
            await wait_for("the gateways", lambda i=index: _ready(ports[i]), 120)
        account_key = await create_account(base_env, f"http://127.0.0.1:{ports[0]}")
        clients = [Client(f"http://127.0.0.1:{p}", account_key) for p in ports]
        subscriber = Subscriber(nats_urls, names)
        await subscriber.start()

        started = time.monotonic()
        chaos_task = asyncio.create_task(chaos(nodes, replicas, log))
        invoices = await run_workload(clients, INVOICES)
        await chaos_task
        wait_healthy(nodes)
        await wait_for("every send delivered", lambda: clients[1].all_sent(INVOICES), 240)
        await wait_for("every public event", lambda: subscriber.has(INVOICES, INVOICES // 2), 120)
        await asyncio.sleep(3)  # anything doubled would arrive now
        elapsed = time.monotonic() - started

        numbers = await clients[1].numbers()
        expected_numbers = sorted(f"{n:04d}" for n in range(1, INVOICES + 1))
        flight = await settled(database_url, nats_urls, names)
        counts = {
            "invoices created": len(invoices),
            "numbers issued (distinct)": len(set(numbers)),
            "numbers missing or doubled": 0 if sorted(n.rsplit("-", 1)[1] for n in numbers) == expected_numbers else 1,
            "e-mails received": len(sink.message_ids),
            "e-mails distinct Message-IDs": len(set(sink.message_ids)),
            "invoice.sent seen (events / invoices)": f"{len(subscriber.sent)} / {len(set(subscriber.sent.values()))}",
            "invoice.paid seen (events / invoices)": f"{len(subscriber.paid)} / {len(set(subscriber.paid.values()))}",
            "duplicate deliveries to subscriber": subscriber.duplicates,
            "hand-overs cut by a kill (unconfirmed)": await unconfirmed(database_url),
            **flight,
            "seconds": round(elapsed, 1),
        }
        failures += [f"{k} = {v}" for k, v in flight.items() if v]
        if len(set(numbers)) != INVOICES or counts["numbers missing or doubled"]:
            failures.append("numbering is not 1..N exactly once")
        if len(sink.message_ids) != INVOICES or len(set(sink.message_ids)) != INVOICES:
            failures.append("not exactly one e-mail per send")
            await explain_mail(database_url, sink.message_ids)
        if len(subscriber.sent) != INVOICES or len(set(subscriber.sent.values())) != INVOICES:
            failures.append("invoice.sent not seen exactly once per invoice")
        if len(subscriber.paid) != INVOICES // 2 or len(set(subscriber.paid.values())) != INVOICES // 2:
            failures.append("invoice.paid not seen exactly once per paid invoice")
        if subscriber.duplicates:
            failures.append("the subscriber received a public event twice")
        print("\n".join(log))
        print("\ncluster test (3 NATS nodes, 2 replicas per service, SIGKILL + restart of one node and one replica each)")
        for key, value in counts.items():
            print(f"  {key:<44} {value}")
    except Exception as exc:  # report, then clean up
        failures.append(f"{type(exc).__name__}: {exc}")
        print("\n".join(log))
        await explain(database_url)
    finally:
        for service in reversed(SERVICES):
            for replica in replicas[service]:
                replica.stop()
        for node in nodes:
            node.stop()
        smtp.stop()
        conn = await asyncpg.connect(admin_url)
        await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await conn.close()
        if failures:
            print(f"\nlogs kept in {folder}", file=sys.stderr)
        else:
            shutil.rmtree(folder, ignore_errors=True)
    if failures:
        print("\nFAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
        print("cluster: 0 passed, 1 failed")
        return 1
    print("cluster: 1 passed, 0 failed")
    return 0


async def _quiet(exc: Exception) -> None:
    pass


async def _ready(port: int) -> bool:
    try:
        async with httpx.AsyncClient(timeout=2) as http:
            return (await http.get(f"http://127.0.0.1:{port}/ready")).status_code == 200
    except httpx.HTTPError:
        return False


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
