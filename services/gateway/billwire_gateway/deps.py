"""Request-scoped values the controllers take: the bus, the authenticated caller, and the paging
query parameters every list has."""

from __future__ import annotations

import hashlib
from typing import Annotated

from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.handlers import BaseRouteHandler
from litestar.params import QueryParameter

from billwire_gateway.bus import ApiError, Bus
from billwire_shared.contracts.accounts import KeyIdentity
from billwire_shared.contracts.common import MAX_OFFSET, Caller
from billwire_shared.errors import ErrorCode, ErrorReply, FieldError

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_IDEMPOTENCY_KEY = 255


def provide_bus(request: Request) -> Bus:
    return request.app.state.bus


def identity_of(connection: ASGIConnection) -> KeyIdentity:
    identity = connection.scope.get("state", {}).get("identity")
    if identity is None:
        raise ApiError(ErrorReply(code=ErrorCode.UNAUTHORIZED, message="Authentication is required."))
    return identity


async def provide_caller(request: Request) -> Caller:
    identity = identity_of(request)
    state = request.scope["state"]
    key = request.headers.get("idempotency-key")
    fingerprint = None
    if key is not None and request.method in WRITE_METHODS:
        if not key or len(key) > MAX_IDEMPOTENCY_KEY or not key.isprintable():
            raise ApiError(ErrorReply(
                code=ErrorCode.VALIDATION_ERROR, message="Invalid Idempotency-Key header.",
                details=[FieldError(field="Idempotency-Key", message=f"1 to {MAX_IDEMPOTENCY_KEY} printable characters")],
            ))
        digest = hashlib.sha256(f"{request.method} {request.url.path}?{request.url.query}\n".encode())
        if request.content_type[0] == RequestEncodingType.MULTI_PART:
            await _add_form(digest, request)
        else:
            digest.update(await request.body())
        fingerprint = digest.hexdigest()
    else:
        key = None
    return Caller(
        account_id=identity.account_id, key_id=identity.key_id, request_id=state.get("request_id", ""),
        idempotency_key=key, fingerprint=fingerprint, requires_approval=tuple(identity.requires_approval),
    )


async def _add_form(digest: hashlib._Hash, request: Request) -> None:
    """A multipart body by its parts, not its bytes: a retry draws a new boundary, and the form
    is already parsed (its stream consumed) for the handler by the time the caller is resolved."""
    form = await request.form()
    for name, value in sorted(form.multi_items(), key=lambda item: item[0]):
        if isinstance(value, UploadFile):
            content = await value.read()
            await value.seek(0)
            part = f"{name}\0{value.filename}\0{value.content_type}\0".encode() + hashlib.sha256(content).digest()
        else:
            part = f"{name}\0{value}".encode()
        digest.update(hashlib.sha256(part).digest())


async def require_scope(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """GETs need `read`, writes need `write`, unless the route names other scopes (all of them
    are needed); admin may do all."""
    identity = identity_of(connection)
    default = "read" if connection.scope["method"] in ("GET", "HEAD") else "write"
    needed = handler.opt.get("scopes") or (handler.opt.get("scope") or default,)
    missing = [scope for scope in needed if scope not in identity.scopes]
    if missing and "admin" not in identity.scopes:
        names = " and ".join(f"`{scope}`" for scope in missing)
        raise ApiError(ErrorReply(code=ErrorCode.FORBIDDEN, message=f"This API key lacks the {names} scope{'s' if len(missing) > 1 else ''}."))


def json_reply(raw: bytes, status_code: int = 200) -> Response:
    """Pass a service's JSON reply through unchanged: it was typed and encoded once, there."""
    return Response(content=raw, media_type="application/json", status_code=status_code)


CallerDep = NamedDependency[Caller]
BusDep = NamedDependency[Bus]
Limit = Annotated[int, QueryParameter(ge=1, le=100)]
Offset = Annotated[int, QueryParameter(ge=0, le=MAX_OFFSET)]
