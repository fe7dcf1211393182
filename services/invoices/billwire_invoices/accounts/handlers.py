"""Bus handlers of an account: API key checks for the gateway, the profile, API keys, the logo.

No `from __future__ import annotations`: see documents/handlers.py.
"""

import hashlib
from collections.abc import Awaitable, Callable
from uuid import UUID

import asyncpg
import msgspec

from billwire_invoices import answers
from billwire_invoices.accounts import sql
from billwire_invoices.accounts.approvals.rules import ensure_policy_kept
from billwire_invoices.documents import rules
from billwire_invoices.uow import UnitOfWork, utcnow
from billwire_shared import subjects
from billwire_shared.contracts.accounts import (
    ApiKey,
    CreateApiKey,
    GetProfile,
    KeyIdentity,
    ListApiKeys,
    NewApiKey,
    Profile,
    UpdateProfile,
    VerifyKey,
)
from billwire_shared.contracts.common import ById, Deleted
from billwire_shared.contracts.oauth import GetOAuthClient, IssueOAuthToken, OAuthClientRecord, RegisterOAuthClient
from billwire_shared.contracts.rendering import Logo, LogoInfo, SetLogo
from billwire_shared.errors import BillwireError, ErrorCode, found
from billwire_shared.ids import new_id
from billwire_shared.keys import display_prefix, generate_key, hash_key

Publish = Callable[[str, bytes], Awaitable[None]]


class AccountHandlers:
    """One method per RPC subject of an account (each marked with the subject it answers)."""

    def __init__(self, pool: asyncpg.Pool, publish: Publish | None = None, max_active_keys: int = 100) -> None:
        self.uow = UnitOfWork(pool)
        self.publish = publish  # core NATS, for the revocation every gateway replica hears
        self.max_active_keys = max_active_keys

    @answers(subjects.AUTH_VERIFY)
    async def verify_key(self, body: VerifyKey) -> KeyIdentity:
        row = await self.uow.read(lambda conn: sql.find_active_key(conn, body.key_hash))
        if row is None:
            return KeyIdentity(found=False)
        return KeyIdentity(found=True, account_id=row["account_id"], key_id=row["id"], scopes=list(row["scopes"]),
                           requires_approval=list(row["requires_approval"]))

    # -- profile and API keys ----------------------------------------------------------------

    @answers(subjects.PROFILE_GET)
    async def get_profile(self, cmd: GetProfile) -> Profile:
        return await self.uow.read(lambda conn: sql.get_profile(conn, cmd.ctx.account_id))

    @answers(subjects.PROFILE_UPDATE)
    async def update_profile(self, cmd: UpdateProfile) -> Profile:
        async def work(conn: asyncpg.Connection) -> Profile:
            before = await sql.get_profile(conn, cmd.ctx.account_id)
            after = rules.apply_profile_patch(before, cmd.patch)
            statement = sql.save_profile(cmd.ctx.account_id, after)
            await self.uow.apply(conn, statement, cmd.ctx, "profile", cmd.ctx.account_id, "update", before, after, None, utcnow())
            return after

        return await self.uow.write(cmd.ctx, Profile, work)

    @answers(subjects.API_KEY_CREATE)
    async def create_api_key(self, cmd: CreateApiKey) -> NewApiKey:
        ensure_policy_kept(cmd.ctx, cmd.key.requires_approval)

        async def work(conn: asyncpg.Connection) -> NewApiKey:
            if await sql.count_active_keys(conn, cmd.ctx.account_id) >= self.max_active_keys:
                raise BillwireError(
                    ErrorCode.API_KEY_LIMIT_REACHED,
                    f"An account has at most {self.max_active_keys} active API keys (max_active_api_keys); revoke one first.",
                )
            return await issue_api_key(conn, cmd.ctx.account_id, cmd.key.name, list(cmd.key.scopes), requires_approval=sorted(set(cmd.key.requires_approval)))

        return await self.uow.write(cmd.ctx, NewApiKey, work, kept=lambda key: msgspec.structs.replace(key, key=""))

    @answers(subjects.API_KEY_LIST)
    async def list_api_keys(self, cmd: ListApiKeys) -> list[ApiKey]:
        return await self.uow.read(lambda conn: sql.list_api_keys(conn, cmd.ctx.account_id))

    @answers(subjects.API_KEY_REVOKE)
    async def revoke_api_key(self, cmd: ById) -> ApiKey:
        async def work(conn: asyncpg.Connection) -> ApiKey:
            return found(await sql.revoke_api_key(conn, cmd.ctx.account_id, cmd.id), ErrorCode.API_KEY_NOT_FOUND, "API key", cmd.id)

        key = await self.uow.write(cmd.ctx, ApiKey, work)
        if self.publish is not None:
            await self.publish(subjects.API_KEY_REVOKED, msgspec.json.encode({"key_id": str(cmd.id)}))
        return key

    # -- OAuth for MCP clients -----------------------------------------------------------------

    @answers(subjects.OAUTH_CLIENT_REGISTER)
    async def register_oauth_client(self, cmd: RegisterOAuthClient) -> OAuthClientRecord:
        await self.uow.read(lambda conn: sql.save_oauth_client(conn, cmd.client_id, cmd.client_name, cmd.record))
        return OAuthClientRecord(found=True, record=cmd.record)

    @answers(subjects.OAUTH_CLIENT_GET)
    async def get_oauth_client(self, cmd: GetOAuthClient) -> OAuthClientRecord:
        record = await self.uow.read(lambda conn: sql.get_oauth_client(conn, cmd.client_id))
        return OAuthClientRecord(found=record is not None, record=record or "")

    @answers(subjects.OAUTH_TOKEN_ISSUE)
    async def issue_oauth_token(self, cmd: IssueOAuthToken) -> NewApiKey:
        """An access token is an API key: the same hash, check, cache, limit and revocation."""
        async def work(conn: asyncpg.Connection) -> NewApiKey:
            if await sql.count_active_keys(conn, cmd.ctx.account_id) >= self.max_active_keys:
                raise BillwireError(
                    ErrorCode.API_KEY_LIMIT_REACHED,
                    f"An account has at most {self.max_active_keys} active API keys (max_active_api_keys); revoke one first.",
                )
            name = f"OAuth: {cmd.client_name or cmd.client_id}"[:200]
            key = await issue_api_key(conn, cmd.ctx.account_id, name, list(cmd.scopes))
            await sql.mark_oauth_key(conn, key.id, cmd.client_id)
            return key

        return await self.uow.write(cmd.ctx, NewApiKey, work, kept=lambda key: msgspec.structs.replace(key, key=""))

    # -- logo --------------------------------------------------------------------------------

    @answers(subjects.LOGO_SET)
    async def set_logo(self, cmd: SetLogo) -> LogoInfo:
        """The gateway has checked the type by content and sanitized an SVG already. With an
        Idempotency-Key, a replay gets the first reply and another file under it is refused."""
        digest = hashlib.sha256(cmd.data).hexdigest()

        async def work(conn: asyncpg.Connection) -> LogoInfo:
            updated_at = await sql.save_logo(conn, cmd.ctx.account_id, cmd.media_type, cmd.data, digest)
            return LogoInfo(media_type=cmd.media_type, size=len(cmd.data), sha256=digest, updated_at=updated_at)

        return await self.uow.write(cmd.ctx, LogoInfo, work)

    @answers(subjects.LOGO_GET)
    async def get_logo(self, cmd: GetProfile) -> Logo:
        row = await self.uow.read(lambda conn: sql.get_logo(conn, cmd.ctx.account_id))
        if row is None:
            raise BillwireError(ErrorCode.NOT_FOUND, "This account has no logo.")
        return logo_of(row)

    @answers(subjects.LOGO_DELETE)
    async def delete_logo(self, cmd: GetProfile) -> Deleted:
        if not await self.uow.read(lambda conn: sql.delete_logo(conn, cmd.ctx.account_id)):
            raise BillwireError(ErrorCode.NOT_FOUND, "This account has no logo.")
        return Deleted(id=cmd.ctx.account_id)


def logo_of(row: asyncpg.Record) -> Logo:
    return Logo(media_type=row["media_type"], data=bytes(row["data"]), sha256=row["sha256"])


async def issue_api_key(
    conn: asyncpg.Connection, account_id: UUID, name: str, scopes: list[str], secret: str | None = None, requires_approval: list[str] | None = None,
) -> NewApiKey:
    """Store a key's hash; the secret is returned here once and never again."""
    secret = secret or generate_key()
    key = NewApiKey(id=new_id(), name=name, prefix=display_prefix(secret), scopes=scopes, created_at=utcnow(), key=secret,
                    requires_approval=requires_approval or [])
    await sql.insert_api_key(conn, account_id, key, hash_key(secret))
    return key


async def open_account(conn: asyncpg.Connection, name: str) -> tuple[UUID, NewApiKey]:
    """A new account with its first admin key, in the caller's transaction."""
    account_id = new_id()
    await sql.insert_account(conn, account_id, name, Profile(company_name=name))
    return account_id, await issue_api_key(conn, account_id, "admin", ["read", "write", "email:send", "admin"])


async def create_account(pool: asyncpg.Pool, name: str) -> tuple[UUID, NewApiKey]:
    """A new account with its first admin key (used by the CLI and the tests)."""
    async with pool.acquire() as conn, conn.transaction():
        return await open_account(conn, name)
