"""Stored PDFs and XMLs fetched from the rendering service: render (or find) one, then read
its bytes chunk by chunk over the bus, so no file is ever held whole by the gateway."""

from __future__ import annotations

from collections.abc import AsyncIterator

import msgspec

from billwire_gateway.bus import ApiError, Bus
from billwire_shared import subjects
from billwire_shared.contracts.rendering import Artifact, ArtifactChunk, GetArtifactChunk, RenderDocument
from billwire_shared.errors import ErrorCode

RENDER_WAIT = 30.0  # seconds a download waits for a render before answering 503
RETRY_AFTER = "5"
_artifact = msgspec.json.Decoder(Artifact)
_chunk = msgspec.json.Decoder(ArtifactChunk)


def _busy(exc: ApiError) -> ApiError:
    """A saturated, unreachable or browserless renderer: 503 with Retry-After."""
    if exc.reply.code in (ErrorCode.SERVICE_UNAVAILABLE, ErrorCode.RENDERER_UNAVAILABLE):
        return ApiError(exc.reply, exc.headers | {"Retry-After": exc.headers.get("Retry-After", RETRY_AFTER)})
    return exc


async def render(bus: Bus, command: RenderDocument) -> Artifact:
    """The artifact of the document's current version (an issued one's is stored once, as sent)."""
    try:
        return _artifact.decode(await bus.call(subjects.DOCUMENT_RENDER, command, timeout=RENDER_WAIT))
    except ApiError as exc:
        raise _busy(exc) from exc


async def first_chunk(bus: Bus, command: RenderDocument, artifact: Artifact) -> ArtifactChunk:
    """The first slice: fetched before a response starts, so its errors still become a status."""
    return _chunk.decode(await bus.call(subjects.ARTIFACT_GET, GetArtifactChunk(ctx=command.ctx, artifact_id=artifact.id)))


async def chunks(bus: Bus, command: RenderDocument, first: ArtifactChunk) -> AsyncIterator[bytes]:
    """The artifact's bytes from `first` on, one bus round trip per slice."""
    chunk = first
    yield chunk.data
    while not chunk.last and chunk.data:
        fetch = GetArtifactChunk(ctx=command.ctx, artifact_id=chunk.artifact.id, offset=chunk.offset + len(chunk.data))
        chunk = _chunk.decode(await bus.call(subjects.ARTIFACT_GET, fetch))
        yield chunk.data
