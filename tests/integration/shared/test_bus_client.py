"""The one request/reply client: a reply with Billwire's error header comes back as the service's
BillwireError (code, message, field details), nobody answering as SERVICE_UNAVAILABLE, and an
answer as its bytes or its typed reply."""

from __future__ import annotations

import msgspec
import nats
import pytest

from billwire_shared.bus_client import BusClient, ServiceNotAnswering, connect_nats
from billwire_shared.contracts.common import HealthReply
from billwire_shared.errors import ERROR_HEADER, BillwireError, ErrorCode, ErrorReply, FieldError
from billwire_shared.subjects import Names


async def test_error_replies_no_answer_and_answers(nats_url: str, bus_prefix: str) -> None:
    names = Names(f"{bus_prefix}_client")
    refusal = ErrorReply(code=ErrorCode.CLIENT_NOT_FOUND, message="Client 7 was not found.",
                         details=[FieldError(field="client_id", message="unknown")])
    nc = await connect_nats(nats_url, max_reconnect_attempts=0)
    try:
        async def refuse(msg: nats.aio.msg.Msg) -> None:
            await nc.publish(msg.reply, msgspec.json.encode(refusal), headers={ERROR_HEADER: refusal.code.value})

        async def garble(msg: nats.aio.msg.Msg) -> None:
            await nc.publish(msg.reply, b"not json", headers={ERROR_HEADER: "EMAIL_QUOTA_EXCEEDED"})

        async def answer(msg: nats.aio.msg.Msg) -> None:
            await msg.respond(msgspec.json.encode(HealthReply(service="invoices", version="t", database=True)))

        await nc.subscribe(names.subject("invoices.rpc.client.get"), cb=refuse)
        await nc.subscribe(names.subject("mailer.rpc.quota.get"), cb=garble)
        await nc.subscribe(names.subject("invoices.rpc.system.health"), cb=answer)
        await nc.flush()
        bus = BusClient(nc, names, timeout=2.0)

        with pytest.raises(BillwireError) as refused:
            await bus.call("invoices.rpc.client.get", {"id": 7})
        assert not isinstance(refused.value, ServiceNotAnswering)
        assert refused.value.reply.code == ErrorCode.CLIENT_NOT_FOUND and refused.value.reply.http_status == 404
        assert refused.value.reply.details == refusal.details and str(refused.value) == refusal.message

        with pytest.raises(BillwireError) as garbled:  # an unreadable body still says its code
            await bus.request("mailer.rpc.quota.get", b"{}")
        assert garbled.value.reply.code == ErrorCode.EMAIL_QUOTA_EXCEEDED and "not json" in garbled.value.reply.message

        with pytest.raises(ServiceNotAnswering) as silent:  # nobody listens under this subject
            await bus.request("rendering.rpc.artifact.get", b"{}")
        assert silent.value.reply.code == ErrorCode.SERVICE_UNAVAILABLE and silent.value.service == "rendering"
        assert silent.value.reply.message == "The rendering service is not answering; try again shortly."

        reply = await bus.ask("invoices.rpc.system.health", {}, HealthReply)
        assert reply == HealthReply(service="invoices", version="t", database=True)
        assert msgspec.json.decode(await bus.request("invoices.rpc.system.health", b"{}"))["database"] is True
    finally:
        await nc.close()
