"""The operator command line: accounts and keys, acting on the same database as the services."""

from __future__ import annotations

import asyncio
import re
import sys
import uuid

from tests.stack import Stack


async def billwire(stack: Stack, *args: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "billwire_cli.main", *args, env=stack.env(),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    return out.decode()


async def test_accounts_and_keys_from_the_command_line(stack: Stack) -> None:
    created = await billwire(stack, "accounts", "create", "--name", "CLI GmbH")
    account = re.search(r"^Account: (\S+)$", created, re.MULTILINE).group(1)
    admin_key = re.search(r"^API key: (bw_\S+)$", created, re.MULTILINE).group(1)
    profile = await stack.api(admin_key).get("/settings/profile")
    assert profile.status_code == 200 and profile.json()["company_name"] == "CLI GmbH"

    made = await billwire(stack, "keys", "create", "--account", account, "--name", "reporting", "--scopes", "read")
    reader_key = re.search(r"^API key: (bw_\S+)$", made, re.MULTILINE).group(1)
    key_id = re.search(r"^Key id: (\S+)", made, re.MULTILINE).group(1)
    reader = stack.api(reader_key)
    assert (await reader.get("/clients")).status_code == 200
    assert (await reader.post("/clients", json={"name": "x"})).status_code == 403

    listed = await billwire(stack, "keys", "list", "--account", account)
    assert key_id in listed and "reporting" in listed and reader_key not in listed

    await billwire(stack, "keys", "revoke", "--account", account, key_id)
    for _ in range(50):  # the revocation broadcast reaches the gateway within moments
        if (await reader.get("/clients")).status_code == 401:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the revoked key still works")
    assert "revoked" in await billwire(stack, "keys", "list", "--account", account)


async def test_migrate_reports_every_schema(stack: Stack) -> None:
    out = await billwire(stack, "migrate")
    assert {line.split(":")[0] for line in out.splitlines()} == {"invoices", "rendering", "mailer"}


async def test_users_from_the_command_line(stack: Stack) -> None:
    from billwire_shared import subjects
    from billwire_shared.contracts import users as user_contracts

    bus = stack.gateways[0].state.bus
    account, _ = await stack.new_account("CLI users GmbH")
    created = await billwire(stack, "users", "create", "--account", account, "--email", "Clara@cli.example", "--role", "accountant")
    password = re.search(r"^Password: (\S+)", created, re.MULTILINE).group(1)
    signed_in = await bus.call_typed(subjects.USER_AUTHENTICATE, user_contracts.Authenticate(email="clara@cli.example", password=password), user_contracts.Authenticated)
    assert signed_in.found and signed_in.user.role == "accountant" and signed_in.user.must_change_password

    assert "clara@cli.example" in await billwire(stack, "users", "list", "--account", account)
    reset = await billwire(stack, "users", "reset-password", "clara@cli.example")
    new_password = re.search(r"^Password: (\S+)", reset, re.MULTILINE).group(1)
    assert not (await bus.call_typed(subjects.USER_AUTHENTICATE, user_contracts.Authenticate(email="clara@cli.example", password=password), user_contracts.Authenticated)).found
    assert (await bus.call_typed(subjects.USER_AUTHENTICATE, user_contracts.Authenticate(email="clara@cli.example", password=new_password), user_contracts.Authenticated)).found
    assert "disabled clara@cli.example" in await billwire(stack, "users", "disable", "clara@cli.example")
    assert "disabled" in await billwire(stack, "users", "list", "--account", account)


async def create_account(stack: Stack, *args: str) -> tuple[int, str, str]:
    """`python -m billwire_invoices create-account`, the step `billwire run` takes on a first start."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "billwire_invoices", "create-account", "--name", "First start GmbH", *args, env=stack.env(),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    return proc.returncode, out.decode(), err.decode()


async def test_a_first_start_interrupted_after_the_account_was_made_recovers_on_the_next(stack: Stack) -> None:
    """`billwire run` writes var/dev-credentials.env only once the services are ready; stopped
    before that, the account exists but nobody ever saw its key or password. The next start runs
    the step again: it must hand out new credentials for the same owner, not fail on every start."""
    from billwire_shared import subjects
    from billwire_shared.contracts import users as user_contracts

    bus = stack.gateways[0].state.bus
    email = f"owner-{uuid.uuid4().hex[:8]}@first-start.example"

    def signed_in(password: str):
        return bus.call_typed(subjects.USER_AUTHENTICATE, user_contracts.Authenticate(email=email, password=password), user_contracts.Authenticated)

    code, first, first_err = await create_account(stack, "--owner-email", email, "--or-recover")
    assert code == 0, first_err
    account = re.search(r"^Account: (\S+)$", first_err, re.MULTILINE).group(1)
    first_password = re.search(r"^Web password: (\S+)$", first, re.MULTILINE).group(1)

    code, _, refused = await create_account(stack, "--owner-email", email)  # an operator's plain call still refuses
    assert code == 1 and "already exists" in refused

    code, second, second_err = await create_account(stack, "--owner-email", email, "--or-recover")
    assert code == 0, second_err
    assert re.search(r"^Account: (\S+)$", second_err, re.MULTILINE).group(1) == account
    new_key = re.search(r"^API key: (bw_\S+)$", second, re.MULTILINE).group(1)
    assert new_key != re.search(r"^API key: (bw_\S+)$", first, re.MULTILINE).group(1)
    new_password = re.search(r"^Web password: (\S+)$", second, re.MULTILINE).group(1)
    assert re.search(r"^Web e-mail: (\S+)$", second, re.MULTILINE).group(1) == email

    profile = await stack.api(new_key).get("/settings/profile")
    assert profile.status_code == 200 and profile.json()["company_name"] == "First start GmbH"
    assert not (await signed_in(first_password)).found
    now = await signed_in(new_password)
    assert now.found and now.user.role == "owner" and now.user.must_change_password and str(now.user.account_id) == account
    users = await billwire(stack, "users", "list", "--account", account)
    assert users.count(email) == 1
