"""`python -m billwire_invoices [migrate | create-account --name NAME [--owner-email E]]`; no argument runs the service."""

from __future__ import annotations

import argparse
import asyncio
import sys

from billwire_invoices.accounts.handlers import create_account
from billwire_invoices.app import InvoicesService, open_pool, run_migrations
from billwire_invoices.settings import settings_from_env
from billwire_invoices.users.handlers import add_user
from billwire_shared.contracts.common import Caller
from billwire_shared.contracts.users import UserInput
from billwire_shared.logs import configure_logging
from billwire_shared.service import run, serve_until_signalled
from billwire_shared.telemetry import setup_tracing


async def serve() -> None:
    settings = settings_from_env()
    configure_logging(settings.log_level, settings.log_json)
    setup_tracing("invoices")
    await serve_until_signalled(InvoicesService(settings))


async def migrate_only() -> None:
    settings = settings_from_env()
    configure_logging(settings.log_level, settings.log_json)
    applied = await run_migrations(settings)
    print(f"invoices: {len(applied)} migration(s) applied" + (f": {', '.join(applied)}" if applied else ""))


async def new_account(name: str, owner_email: str | None) -> None:
    """The account, its admin key and (with an e-mail) its owner, who must change the printed password."""
    settings = settings_from_env()
    await run_migrations(settings)
    pool = await open_pool(settings, min_size=1, max_size=1)
    try:
        account_id, key = await create_account(pool, name)
        if owner_email:
            async with pool.acquire() as conn, conn.transaction():
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
    args = parser.parse_args()
    if args.command == "migrate":
        asyncio.run(migrate_only())
    elif args.command == "create-account":
        asyncio.run(new_account(args.name, args.owner_email))
    else:
        run(serve())


if __name__ == "__main__":
    main()
