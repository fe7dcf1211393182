"""`python -m billwire_shared.probe <service>`: a health check for workers that serve no HTTP.

Kubernetes runs it as an exec probe (and the images as their HEALTHCHECK). It reads the same
settings as the service (`NATS_URL`, `BILLWIRE_PREFIX`), asks `<service>.rpc.system.health`
over NATS and exits

- 0 when a replica answered and reports its database reachable,
- 1 when the answer says the database is unreachable, or is an error, or is unreadable,
- 2 when nobody answered in time or NATS could not be reached.

`--allow-database-down` accepts an answer whatever it says about the database: a liveness
probe should not restart every worker while Postgres is away.

The request goes to the service's queue group, so any replica may answer: the probe proves
that the service answers on the bus and reaches its database from this pod's network, not
that this very process does (that needs a per-replica subject in the services).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from urllib.parse import urlsplit

import msgspec

from billwire_shared import subjects
from billwire_shared.bus_client import BusClient, ServiceNotAnswering, connect_nats, nats_servers
from billwire_shared.contracts.common import HealthReply
from billwire_shared.errors import BillwireError
from billwire_shared.settings import CommonSettings, load_settings
from billwire_shared.subjects import Names

OK, UNHEALTHY, UNREACHABLE = 0, 1, 2
# The same as billwire_shared.service.HEALTH_SUBJECTS (a test keeps them equal); importing that
# module would load asyncpg and FastStream, a second of start-up on every probe.
HEALTH_SUBJECTS = {"invoices": subjects.SYSTEM_HEALTH, "rendering": subjects.RENDERING_HEALTH, "mailer": subjects.MAILER_HEALTH}


async def check(service: str, settings: CommonSettings, timeout: float, allow_database_down: bool = False) -> tuple[int, str]:
    """(exit code, one line saying why) for one health request."""
    names = Names(settings.prefix)

    def no_answer(exc: BaseException) -> str:
        return f"{service}: no answer on {names.subject(HEALTH_SUBJECTS[service])} within {timeout}s ({type(exc).__name__})"

    async def quiet(exc: Exception) -> None:
        pass

    try:
        # nats-py keeps retrying a refused first connection: bound it from outside.
        nc = await asyncio.wait_for(
            connect_nats(settings.nats_url, connect_timeout=timeout, allow_reconnect=False, error_cb=quiet), timeout
        )
    except Exception as exc:  # noqa: BLE001 - any failure to connect is the same answer
        servers = nats_servers(settings.nats_url)
        return UNREACHABLE, f"{service}: NATS unreachable at {', '.join(map(_without_credentials, servers))}: {type(exc).__name__}"
    try:
        try:
            data = await BusClient(nc, names, timeout).request(HEALTH_SUBJECTS[service], b"{}")
        except BillwireError as exc:
            if not isinstance(exc, ServiceNotAnswering):
                return UNHEALTHY, f"{service}: error reply {exc.reply.code}: {exc.reply.message}"
            return UNREACHABLE, no_answer(exc.__cause__ or exc)
        except Exception as exc:  # noqa: BLE001 - the connection broke meanwhile: no answer either
            return UNREACHABLE, no_answer(exc)
        try:
            reply = msgspec.json.decode(data, type=HealthReply)
        except msgspec.ValidationError as exc:
            return UNHEALTHY, f"{service}: unreadable health reply: {exc}"
        if reply.database or allow_database_down:
            return OK, f"{service}: ok (version {reply.version}, database {'up' if reply.database else 'down'})"
        return UNHEALTHY, f"{service}: database unreachable (version {reply.version})"
    finally:
        await nc.close()


def _without_credentials(url: str) -> str:
    parts = urlsplit(url)
    return parts._replace(netloc=parts.hostname + (f":{parts.port}" if parts.port else "")).geturl() if parts.hostname else url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m billwire_shared.probe", description=__doc__.split("\n\n")[0])
    parser.add_argument("service", choices=sorted(HEALTH_SUBJECTS))
    parser.add_argument("--timeout", type=float, default=3.0, help="seconds for the connection and for the answer")
    parser.add_argument(
        "--allow-database-down", action="store_true", help="succeed on any answer (for liveness probes)"
    )
    args = parser.parse_args(argv)
    settings = load_settings(CommonSettings)
    code, line = asyncio.run(check(args.service, settings, args.timeout, args.allow_database_down))
    print(line, file=sys.stdout if code == OK else sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
