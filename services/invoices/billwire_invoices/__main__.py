"""`python -m billwire_invoices [migrate | create-account --name NAME [--owner-email E [--or-recover]]]`; no argument runs the service.

Each command imports what it needs when it runs: `migrate` (the step `billwire run` waits for
before it starts the services) needs asyncpg and the SQL files, not the service's handlers,
FastStream and their libraries, which took it from about 0.3 s to 2-4 s on a busy machine.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from billwire_invoices.migrations import MIGRATIONS, SCHEMA


async def serve() -> None:
    from billwire_invoices.app import InvoicesService
    from billwire_invoices.settings import settings_from_env
    from billwire_shared.logs import configure_logging
    from billwire_shared.service import serve_until_signalled
    from billwire_shared.telemetry import setup_tracing

    settings = settings_from_env()
    configure_logging(settings.log_level, settings.log_json)
    setup_tracing("invoices")
    await serve_until_signalled(InvoicesService(settings))


async def migrate_only() -> None:
    from billwire_shared.logs import configure_logging
    from billwire_shared.migrate import migrate
    from billwire_shared.settings import CommonSettings, load_settings

    settings = load_settings(CommonSettings)
    configure_logging(settings.log_level, settings.log_json)
    applied = await migrate(settings.database_url, SCHEMA, MIGRATIONS)
    print(f"invoices: {len(applied)} migration(s) applied" + (f": {', '.join(applied)}" if applied else ""))


async def new_account(name: str, owner_email: str | None, recover: bool = False) -> None:
    """The account, its admin key and (with an e-mail) its owner, who must change the printed password.

    One transaction, so an interrupted call leaves nothing behind. With `recover` (what `billwire
    run` passes) an owner of that e-mail who already exists gets a new admin key and a new
    generated password instead of an error: a first start stopped after this commit but before
    `var/dev-credentials.env` was written would otherwise fail on every later start, with no way
    to learn the key or the password."""
    from billwire_invoices.accounts.handlers import issue_api_key, open_account
    from billwire_invoices.users.handlers import add_user, regenerate_password
    from billwire_invoices.users.rules import normalized_email
    from billwire_invoices.users.sql import owner_by_email
    from billwire_shared.contracts.common import Caller
    from billwire_shared.contracts.users import UserInput
    from billwire_shared.db import open_schema_pool
    from billwire_shared.migrate import migrate
    from billwire_shared.settings import CommonSettings, load_settings

    settings = load_settings(CommonSettings)
    await migrate(settings.database_url, SCHEMA, MIGRATIONS)
    pool = await open_schema_pool(settings.database_url, SCHEMA, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn, conn.transaction():
            existing = await owner_by_email(conn, normalized_email(owner_email)) if owner_email and recover else None
            if existing is not None:
                account_id = existing.account_id
                key = await issue_api_key(conn, account_id, "admin (new credentials)", ["read", "write", "email:send", "admin"])
                owner = await regenerate_password(conn, Caller(account_id=account_id), existing)
                print("The owner already existed (an earlier first start was interrupted): new key and password.", file=sys.stderr)
            else:
                account_id, key = await open_account(conn, name)
                if owner_email:
                    owner = await add_user(conn, Caller(account_id=account_id), UserInput(email=owner_email, role="owner"))
    finally:
        await pool.close()
    print(f"Account: {account_id}", file=sys.stderr)
    print(f"API key: {key.key}")
    if owner_email:
        print(f"Web e-mail: {owner.user.email}")
        print(f"Web password: {owner.password}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m billwire_invoices")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("migrate", help="apply the invoices schema migrations")
    create = sub.add_parser("create-account", help="create an account and print its admin key")
    create.add_argument("--name", required=True)
    create.add_argument("--owner-email", help="also create the account's owner for the web app (password generated)")
    create.add_argument(
        "--or-recover", action="store_true",
        help="if an owner with that e-mail exists, give them a new admin key and password instead of failing",
    )
    args = parser.parse_args()
    if args.command == "migrate":
        asyncio.run(migrate_only())
    elif args.command == "create-account":
        asyncio.run(new_account(args.name, args.owner_email, args.or_recover))
    else:
        from billwire_shared.service import run

        run(serve())


if __name__ == "__main__":
    main()
