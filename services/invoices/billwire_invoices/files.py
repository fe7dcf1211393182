"""The logo, and what a PDF is made from: rendering asks here, since it owns no business data."""

import hashlib

import asyncpg
import msgspec

from billwire_invoices import einvoice
from billwire_invoices import repository as repo
from billwire_shared import subjects as s
from billwire_shared.contracts import accounts as a
from billwire_shared.contracts import rendering as r
from billwire_shared.contracts.common import Caller, Deleted
from billwire_shared.errors import BillwireError, ErrorCode, FieldError, not_found


class FileHandlers:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def set_logo(self, cmd: r.SetLogo) -> r.LogoInfo:
        """The gateway has checked the type by content and sanitized an SVG already. With an
        Idempotency-Key, a replay gets the first reply and another file under it is refused."""
        digest = hashlib.sha256(cmd.data).hexdigest()
        async with self.pool.acquire() as conn, conn.transaction():
            if cmd.ctx.idempotency_key and (earlier := await repo.claim_idempotency_key(conn, cmd.ctx)) is not None:
                return _replayed(earlier, cmd.ctx)
            updated_at = await repo.save_logo(conn, cmd.ctx.account_id, cmd.media_type, cmd.data, digest)
            info = r.LogoInfo(media_type=cmd.media_type, size=len(cmd.data), sha256=digest, updated_at=updated_at)
            if cmd.ctx.idempotency_key:
                await repo.store_idempotent_reply(conn, cmd.ctx, msgspec.json.encode(info))
        return info

    async def get_logo(self, cmd: a.GetProfile) -> r.Logo:
        async with self.pool.acquire() as conn:
            row = await repo.get_logo(conn, cmd.ctx.account_id)
        if row is None:
            raise BillwireError(ErrorCode.NOT_FOUND, "This account has no logo.")
        return _logo(row)

    async def delete_logo(self, cmd: a.GetProfile) -> Deleted:
        async with self.pool.acquire() as conn:
            if not await repo.delete_logo(conn, cmd.ctx.account_id):
                raise BillwireError(ErrorCode.NOT_FOUND, "This account has no logo.")
        return Deleted(id=cmd.ctx.account_id)

    async def render_input(self, cmd: r.GetRenderInput) -> r.RenderInput:
        """An issued document renders with its frozen seller; a draft with the profile of now."""
        async with self.pool.acquire() as conn:
            doc, row = await repo.get_document_and_logo(conn, cmd.ctx.account_id, cmd.id)
            if doc is None:
                raise not_found(ErrorCode.DOCUMENT_NOT_FOUND, "Document", cmd.id)
            seller = doc.seller or a.seller_of(await repo.get_profile(conn, cmd.ctx.account_id))
        xml = r.EInvoiceXml(export_type=doc.export_type, xml=einvoice.build(doc, seller)) if einvoice.is_einvoice(doc) else None
        return r.RenderInput(document=doc, seller=seller, logo=_logo(row) if row else None, einvoice=xml)


def _replayed(earlier: asyncpg.Record, ctx: Caller) -> r.LogoInfo:
    """The first upload's reply under this Idempotency-Key, if this is the same upload."""
    if earlier["fingerprint"] != (ctx.fingerprint or ""):
        raise BillwireError(
            ErrorCode.IDEMPOTENCY_KEY_REUSED, "This Idempotency-Key was already used with a different request.",
            [FieldError(field="Idempotency-Key", message="already used with another method, path or body")],
        )
    return msgspec.json.decode(earlier["reply"], type=r.LogoInfo)


def _logo(row: asyncpg.Record) -> r.Logo:
    return r.Logo(media_type=row["media_type"], data=bytes(row["data"]), sha256=row["sha256"])


FILE_ROUTES: dict[str, str] = {
    s.LOGO_SET: "set_logo",
    s.LOGO_GET: "get_logo",
    s.LOGO_DELETE: "delete_logo",
    s.DOCUMENT_RENDER_INPUT: "render_input",
}
