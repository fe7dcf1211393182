"""`billwire users create|list|reset-password|disable`: an operator's hand on the web app's users,
through the invoices service's own users wing (every change lands in the audit log)."""

from __future__ import annotations

import argparse
from uuid import UUID

from billwire_cli.admin import _with_pool, run
from billwire_invoices.users import sql as users_sql
from billwire_invoices.users.handlers import UsersHandlers, add_user
from billwire_shared.contracts.common import Caller
from billwire_shared.contracts.users import ROLES, DisableUser, ResetPassword, UserInput
from billwire_shared.errors import BillwireError


def add_commands(sub: argparse._SubParsersAction) -> None:
    users = sub.add_parser("users", help="manage the web app's users").add_subparsers(dest="action", required=True)
    create = users.add_parser("create", help="create a user; prints a generated password to change at first sign-in")
    create.add_argument("--account", type=UUID, required=True)
    create.add_argument("--email", required=True)
    create.add_argument("--name")
    create.add_argument("--role", choices=ROLES, default="member")
    create.add_argument("--language", choices=("en", "de"), default="en")
    listing = users.add_parser("list", help="list an account's users")
    listing.add_argument("--account", type=UUID, required=True)
    reset = users.add_parser("reset-password", help="set a new generated password; every session of the user ends")
    reset.add_argument("email")
    disable = users.add_parser("disable", help="disable a user; every session of the user ends")
    disable.add_argument("email")


async def _create(args: argparse.Namespace) -> None:
    async def work(pool):
        async with pool.acquire() as conn, conn.transaction():
            if not await conn.fetchval("SELECT true FROM accounts WHERE id = $1", args.account):
                raise SystemExit(f"no account {args.account}")
            user_input = UserInput(email=args.email, name=args.name, role=args.role, language=args.language)
            return await add_user(conn, Caller(account_id=args.account), user_input)

    created = await _with_pool(work)
    print(f"User: {created.user.id}  {created.user.email}  {created.user.role}")
    print(f"Password: {created.password}  (to be changed at first sign-in)")


async def _list(args: argparse.Namespace) -> None:
    async def work(pool):
        async with pool.acquire() as conn:
            return await users_sql.list_for(conn, args.account)

    for user in await _with_pool(work):
        state = f"disabled {user.disabled_at:%Y-%m-%d %H:%M}" if user.disabled_at else "active"
        print(f"{user.id}  {user.email:<32} {user.role:<10} {state:<24} {user.name or ''}")


async def _by_email(args: argparse.Namespace, act) -> None:
    async def work(pool):
        async with pool.acquire() as conn:
            found = await users_sql.by_email_with_hash(conn, args.email)
        if found is None:
            raise SystemExit(f"no user {args.email}")
        user = found[0]
        return await act(UsersHandlers(pool), Caller(account_id=user.account_id), user.id)

    try:
        print(await _with_pool(work))
    except BillwireError as exc:
        raise SystemExit(str(exc)) from exc


async def _reset(handlers: UsersHandlers, ctx: Caller, user_id: UUID) -> str:
    reset = await handlers.reset_password(ResetPassword(ctx=ctx, id=user_id))
    return f"Password: {reset.password}  (to be changed at next sign-in; every session of {reset.user.email} ended)"


async def _disable(handlers: UsersHandlers, ctx: Caller, user_id: UUID) -> str:
    user = await handlers.disable(DisableUser(ctx=ctx, id=user_id))
    return f"disabled {user.email}"


def main(args: argparse.Namespace) -> int:
    if args.action == "create":
        return run(_create(args))
    if args.action == "list":
        return run(_list(args))
    return run(_by_email(args, _reset if args.action == "reset-password" else _disable))
