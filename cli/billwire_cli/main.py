"""The `billwire` command: run everything locally, migrate, manage accounts and keys."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from uuid import UUID


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="billwire", description="Billwire command line.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run the whole system locally (what `make run` does)", add_help=False)
    sub.add_parser("migrate", help="apply every service's schema migrations")
    mcp = sub.add_parser("mcp", help="serve MCP on stdio, forwarding to a running gateway (for desktop clients)")
    mcp.add_argument("--url", default=os.environ.get("BILLWIRE_API_URL", "http://127.0.0.1:8000"))
    mcp.add_argument("--key", default=os.environ.get("BILLWIRE_API_KEY"), required="BILLWIRE_API_KEY" not in os.environ)

    accounts = sub.add_parser("accounts", help="manage accounts").add_subparsers(dest="action", required=True)
    create = accounts.add_parser("create", help="create an account and print its admin key")
    create.add_argument("--name", required=True)

    keys = sub.add_parser("keys", help="manage API keys").add_subparsers(dest="action", required=True)
    key_create = keys.add_parser("create", help="create a key and print it once")
    key_create.add_argument("--account", type=UUID, required=True)
    key_create.add_argument("--name", default="API key")
    key_create.add_argument("--scopes", default="read,write,email:send", help="comma-separated: read,write,email:send,admin")
    key_list = keys.add_parser("list", help="list an account's keys (never their secrets)")
    key_list.add_argument("--account", type=UUID, required=True)
    key_revoke = keys.add_parser("revoke", help="revoke a key")
    key_revoke.add_argument("--account", type=UUID, required=True)
    key_revoke.add_argument("key_id", type=UUID)

    from billwire_cli.books import add_commands as add_book_commands
    from billwire_cli.deadletters import add_commands
    from billwire_cli.doctor import add_command as add_doctor_command
    from billwire_cli.users import add_commands as add_user_commands

    add_commands(sub)
    add_user_commands(sub)
    add_doctor_command(sub)
    add_book_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["run"]:
        # Before the full parser, which imports every command's modules: `make run`'s supervisor
        # stays up as long as the system does, at 35 MB instead of 135.
        from billwire_cli.dev import run_dev

        return run_dev(argv[1:])
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.command == "mcp":
        from billwire_cli.mcp_stdio import run

        return run(args.url, args.key)
    from billwire_cli import local_servers

    origins = local_servers.apply()  # make run's servers, where DATABASE_URL / NATS_URL are not set
    if args.command == "doctor":
        from billwire_cli.doctor import run

        return run(args, origins)
    if args.command == "deadletters":
        from billwire_cli.deadletters import run

        return run(args, origins)
    try:
        if args.command in ("archive", "backup", "restore"):
            from billwire_cli.books import run as run_books

            return run_books(args, origins)
        return _database_command(args)
    except Exception as exc:
        if not local_servers.database_problem(exc):
            raise
        print(local_servers.unreachable("database", exc, origins), file=sys.stderr)
        return 1


def _database_command(args: argparse.Namespace) -> int:
    if args.command == "users":
        from billwire_cli.users import main as users_main

        return users_main(args)
    from billwire_cli import admin

    if args.command == "migrate":
        return admin.run(admin.migrate_all())
    if args.command == "accounts":
        return admin.run(admin.accounts_create(args.name))
    if args.action == "create":
        return admin.run(admin.keys_create(args.account, args.name, admin.parse_scopes(args.scopes)))
    if args.action == "list":
        return admin.run(admin.keys_list(args.account))
    return admin.run(admin.keys_revoke(args.account, args.key_id))


if __name__ == "__main__":
    sys.exit(main())
