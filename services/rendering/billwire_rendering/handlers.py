"""Bus handlers: decode a contract, call the renderer, reply (RPCs) or ack (events).

No `from __future__ import annotations` here: fast-depends resolves the annotations.
"""

import logging
from typing import Any
from uuid import UUID

import msgspec

from billwire_rendering.renderer import Renderer
from billwire_shared import subjects
from billwire_shared.bus_client import BusClient
from billwire_shared.consumers import Durable, delivery_count, subscribe_durable
from billwire_shared.contracts.common import Caller
from billwire_shared.contracts.documents import Document
from billwire_shared.contracts.events import Event
from billwire_shared.contracts.mail import SendRequest, SendRequested
from billwire_shared.contracts.rendering import (
    CHUNK_BYTES,
    Artifact,
    ArtifactChunk,
    GetArtifactChunk,
    GetRenderInput,
    RenderDocument,
    RenderInput,
)
from billwire_shared.errors import BillwireError, ErrorCode
from billwire_shared.subjects import Names

log = logging.getLogger("billwire.rendering")

FINALIZED = Durable(name="rendering-finalized", subject=subjects.DOCUMENT_FINALIZED, ack_wait=120.0)
SEND_REQUESTED = Durable(name="rendering-send-requested", subject=subjects.DOCUMENT_SEND_REQUESTED, ack_wait=120.0)
DURABLES = (FINALIZED, SEND_REQUESTED)
# Events about documents that are gone (or never were) are acknowledged, not retried.
GONE = frozenset({ErrorCode.DOCUMENT_NOT_FOUND, ErrorCode.NOT_FOUND})
# Rendering ahead of time is skipped, not retried, while there is no browser: the PDF is printed
# on demand (or for its send) once there is one.
NOT_AHEAD = GONE | {ErrorCode.RENDERER_UNAVAILABLE, ErrorCode.DOCUMENT_TOO_LONG}


class InvoicesClient:
    """Asks the invoices service what a document's PDF is made from."""

    def __init__(self, bus: BusClient) -> None:
        self.bus = bus

    async def render_input(self, ctx: Caller, document_id: UUID) -> RenderInput:
        return await self.bus.ask(subjects.DOCUMENT_RENDER_INPUT, GetRenderInput(ctx=ctx, id=document_id), RenderInput)


class RenderingHandlers:
    def __init__(self, renderer: Renderer) -> None:
        self.renderer = renderer

    async def render(self, cmd: RenderDocument) -> Artifact:
        if cmd.format == "xml":  # the e-invoice XML (XRechnung or Factur-X)
            return await self.renderer.xml.artifact(cmd.ctx, cmd.document_id, cmd.type)
        return await self.renderer.artifact(cmd.ctx, cmd.document_id, regenerate=cmd.regenerate, expected_type=cmd.type)

    async def artifact_chunk(self, cmd: GetArtifactChunk) -> ArtifactChunk:
        artifact, data = await self.renderer.chunk(cmd.ctx, cmd.artifact_id, cmd.offset, CHUNK_BYTES)
        return ArtifactChunk(artifact=artifact, offset=cmd.offset, data=data, last=cmd.offset + len(data) >= artifact.size)

    async def on_finalized(self, event: Event) -> None:
        """Render an issued document ahead of time, so a download or a send finds it ready."""
        doc = msgspec.convert(event.data, Document)
        await self._quietly_gone(self.renderer.artifact(Caller(account_id=event.account_id), doc.id), event)

    async def on_send_requested(self, event: Event) -> None:
        """Render (or reuse) the PDF of the version to send, then announce it with the send.
        A send that cannot get its PDF (the document is gone, or the last try failed) ends as
        `email.failed` with the reason, instead of waiting forever as queued."""
        send = msgspec.convert(event.data, SendRequested).send
        ctx = Caller(account_id=send.account_id)
        try:
            await self.renderer.artifact(ctx, send.document_id, send=send)
        except BillwireError as exc:
            if exc.reply.code in GONE:
                log.warning("%s %s: %s; the send fails", event.type, event.id, exc.reply.message)
                await self.renderer.send_failed(send, f"the document could not be found: {exc.reply.message}")
                return
            if exc.reply.code == ErrorCode.DOCUMENT_TOO_LONG:  # printing it again prints as many pages
                log.warning("%s %s: %s; the send fails", event.type, event.id, exc.reply.message)
                await self.renderer.send_failed(send, exc.reply.message)
                return
            await self._fail_on_last_try(send, exc.reply.message)
            raise
        except Exception as exc:
            await self._fail_on_last_try(send, f"rendering failed ({type(exc).__name__})")
            raise

    async def _fail_on_last_try(self, send: SendRequest, reason: str) -> None:
        if delivery_count() >= SEND_REQUESTED.max_deliver:  # the event goes to the dead letters next
            await self.renderer.send_failed(send, f"the PDF could not be rendered after {delivery_count()} tries: {reason}")

    @staticmethod
    async def _quietly_gone(work: Any, event: Event) -> None:
        try:
            await work
        except BillwireError as exc:
            if exc.reply.code in NOT_AHEAD:
                log.warning("%s %s: %s; not rendered ahead", event.type, event.id, exc.reply.message)
                return
            raise


def register(broker: Any, handlers: RenderingHandlers, names: Names, rpc_concurrency: int, event_concurrency: int) -> None:
    queue = names.queue("rendering")
    for subject, method in ((subjects.DOCUMENT_RENDER, handlers.render), (subjects.ARTIFACT_GET, handlers.artifact_chunk)):
        broker.subscriber(names.subject(subject), queue=queue, max_workers=rpc_concurrency)(method)
    subscribe_durable(broker, names, FINALIZED, handlers.on_finalized, max_workers=event_concurrency)
    subscribe_durable(broker, names, SEND_REQUESTED, handlers.on_send_requested, max_workers=event_concurrency)
