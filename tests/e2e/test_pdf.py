"""PDFs through the real gateway, bus, invoices and rendering services (Chromium), and Postgres."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import uuid
from datetime import UTC, datetime

import msgspec
import nats

from billwire_rendering.app import RenderingService
from billwire_shared.contracts.events import Event
from billwire_shared.contracts.mail import SendRequest, SendRequested
from tests.events import rendered_events
from tests.integration.rendering.pdftext import flat, image_count, pages_text, text
from tests.integration.rendering.pools import browser_processes
from tests.stack import BUYER, Stack, ready_account


async def issued_invoice(api, language: str = "en", lines: list | None = None) -> dict:
    client = (await api.post("/clients", json=BUYER | {"client_number": "K-7", "language": language})).json()
    created = await api.post("/invoices", json={
        "client_id": client["id"], "language": language,
        "lines": lines or [
            {"description": "Consulting", "quantity": "10", "unit": "h", "unit_price": "150"},
            {"description": "Handbook", "quantity": 2, "unit_price": "19.99", "tax_rate": "7"},
        ],
        "service_period": {"start": "2026-10-01", "end": "2026-10-31"},
    })
    assert created.status_code == 201, created.text
    finalized = await api.post(f"/invoices/{created.json()['id']}/finalize")
    assert finalized.status_code == 200, finalized.text
    return finalized.json()


async def test_issued_invoice_pdf_is_rendered_ahead_stored_once_and_streamed(stack: Stack, rendering: RenderingService) -> None:
    api = await ready_account(stack)
    invoice = await issued_invoice(api, "de")
    [ahead] = await rendered_events(stack, invoice["id"])  # finalized -> rendered without anyone asking
    assert ahead["data"]["send"] is None and ahead["data"]["artifact"]["filename"] == f"{invoice['number']}.pdf"

    response = await api.get(f"/invoices/{invoice['id']}/pdf", params={"disposition": "attachment"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == f'attachment; filename="{invoice["number"]}.pdf"'
    assert int(response.headers["content-length"]) == len(response.content)
    assert response.content.startswith(b"%PDF-")
    content = flat(text(response.content))
    for expected in (f"Rechnung {invoice['number']}", "Globex Corporation", "Springfield", "VEREINIGTE STAATEN",
                     "Leistungszeitraum", "01.10.2026 – 31.10.2026", "Kundennr. K-7", "USt-IdNr. DE136695976",
                     "Gesamtbetrag 1.827,78 €", "USt. 7 % auf 39,98 € 2,80 €", "USt. 19 % auf 1.500,00 € 285,00 €",
                     "DE89 3704 0044 0532 0130 00", "COBADEFFXXX", "Seite 1 von 1"):
        assert expected in content, expected
    assert response.headers["etag"] == f'"{ahead["data"]["artifact"]["sha256"]}"'  # the stored one, not a new one

    inline = await api.get(f"/documents/{invoice['id']}/pdf")
    assert inline.headers["content-disposition"].startswith("inline;") and inline.content == response.content
    assert (await api.post(f"/invoices/{invoice['id']}/pdf")).status_code == 409  # issued PDFs never change
    assert len(await rendered_events(stack, invoice["id"], want=2, timeout=2)) == 1


async def test_cancelling_prints_the_credit_note_with_its_own_number_and_the_invoice_it_cancels(
    stack: Stack, rendering: RenderingService,
) -> None:
    api = await ready_account(stack)
    invoice = await issued_invoice(api, "de")
    cancelled = await api.post(f"/invoices/{invoice['id']}/cancel", json={"reason": "falscher Zeitraum"})
    assert cancelled.status_code == 201, cancelled.text
    note = cancelled.json()
    [ahead] = await rendered_events(stack, note["credit_note_id"])  # issued with the cancel: printed without anyone asking
    response = await api.get(f"/documents/{note['credit_note_id']}/pdf")
    assert response.status_code == 200 and response.headers["etag"] == f'"{ahead["data"]["artifact"]["sha256"]}"'
    content = flat(text(response.content))
    issued_on = ".".join(reversed(invoice["issue_date"].split("-")))
    for expected in (f"Stornorechnung {note['credit_note_number']}", f"Bezieht sich auf Rechnung {invoice['number']} vom {issued_on}",
                     "Gesamtbetrag -1.827,78 €"):
        assert expected in content, (expected, content)
    assert note["credit_note_number"] != invoice["number"]
    original = await api.get(f"/invoices/{invoice['id']}/pdf")  # the cancelled invoice keeps its PDF
    assert original.status_code == 200 and f"Rechnung {invoice['number']}" in flat(text(original.content))


async def test_draft_preview_is_marked_and_regenerated(stack: Stack, rendering: RenderingService) -> None:
    api = await ready_account(stack)
    draft = (await api.post("/invoices", json={"client": BUYER, "lines": [{"description": "Design", "unit_price": "80"}]})).json()
    first = await api.get(f"/invoices/{draft['id']}/pdf")
    assert first.status_code == 200, first.text
    assert first.headers["content-disposition"] == f'inline; filename="draft-invoice-{draft["id"][:8]}.pdf"'
    assert "DRAFT" in flat(text(first.content, layout=False))  # the diagonal watermark
    again = await api.get(f"/invoices/{draft['id']}/pdf")
    assert again.headers["etag"] == first.headers["etag"]  # the preview of this version is reused
    regenerated = await api.post(f"/invoices/{draft['id']}/pdf")
    assert regenerated.status_code == 200 and regenerated.json()["preview"] is True
    assert (await api.patch(f"/invoices/{draft['id']}", json={"notes": "Changed terms"})).status_code == 200
    changed = await api.get(f"/invoices/{draft['id']}/pdf")
    assert "Changed terms" in flat(text(changed.content))

    estimate = (await api.post("/documents", json={"type": "estimate", "client": BUYER, "lines": [{"description": "x", "unit_price": "1"}]})).json()
    wrong = await api.get(f"/invoices/{estimate['id']}/pdf")
    assert wrong.status_code == 404 and wrong.json()["error"]["code"] == "DOCUMENT_NOT_FOUND"
    assert "Estimate" in flat(text((await api.get(f"/documents/{estimate['id']}/pdf")).content))
    assert (await api.get(f"/invoices/{uuid.uuid4()}/pdf")).status_code == 404
    other = stack.api((await stack.new_account("Other"))[1])
    assert (await other.get(f"/invoices/{draft['id']}/pdf")).status_code == 404  # another account's document


def png(width: int = 300, height: int = 80) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), "#0f2a4a").save(out, "PNG")
    return out.getvalue()


async def test_logo_upload_checked_by_content_and_printed(stack: Stack, rendering: RenderingService) -> None:
    api = await ready_account(stack)
    upload = await api.post("/settings/profile/logo", files={"file": ("logo.gif", png(), "image/gif")})
    assert upload.status_code == 200, upload.text
    assert upload.json()["media_type"] == "image/png"  # by content, not by name or claimed type
    draft = (await api.post("/invoices", json={"client": BUYER, "lines": [{"description": "x", "unit_price": "1"}]})).json()
    assert image_count((await api.get(f"/invoices/{draft['id']}/pdf")).content) == 1

    evil = (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script>'
            b'<image href="http://127.0.0.1:1/x.png"/><rect width="10" height="10" fill="#123"/></svg>')
    svg = await api.post("/settings/profile/logo", files={"file": ("logo.png", evil, "image/png")})
    assert svg.status_code == 200 and svg.json()["media_type"] == "image/svg+xml"
    assert svg.json()["size"] < len(evil)  # script, handler and external image removed

    for name, body in (("a.png", b"GIF89a" + b"\0" * 100), ("b.png", b"\x89PNG\r\n\x1a\n" + b"junk" * 10), ("c.svg", b"<svg")):
        refused = await api.post("/settings/profile/logo", files={"file": (name, body, "image/png")})
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["details"][0]["field"] == "file"
    big = await api.post("/settings/profile/logo", files={"file": ("big.png", b"\x89PNG\r\n\x1a\n" + b"\0" * (2 * 1024 * 1024), "image/png")})
    assert big.status_code == 413
    assert (await api.post("/settings/profile/logo", json={"file": "x"})).status_code in (400, 415, 422)

    _, key = await stack.new_account("Writer")
    writer = stack.api(key)
    limited = (await writer.post("/settings/api-keys", json={"scopes": ["read"]})).json()["key"]  # the logo needs `write`, as a member's
    assert (await stack.api(limited).post("/settings/profile/logo", files={"file": ("l.png", png(), "image/png")})).status_code == 403

    assert (await api.delete("/settings/profile/logo")).status_code == 204
    assert (await api.delete("/settings/profile/logo")).status_code == 404


async def test_send_request_gets_the_pdf_announced_once_with_the_send(stack: Stack, rendering: RenderingService) -> None:
    api = await ready_account(stack)
    invoice = await issued_invoice(api)
    [ahead] = await rendered_events(stack, invoice["id"])  # its account id is the invoice's
    send = SendRequest(
        id=uuid.uuid4(), account_id=uuid.UUID(ahead["account_id"]), document_id=uuid.UUID(invoice["id"]),
        document_number=invoice["number"], document_type="invoice", version=invoice["version"], sender_name="Acme",
        reply_to=None, to=["ap@globex.example"], subject="Invoice", body="Hello", requested_at=datetime.now(UTC),
    )
    nc = await nats.connect(stack.nats_url)
    try:
        js = nc.jetstream()
        for _ in range(2):  # a redelivered request (another message id) announces nothing twice
            event = Event(id=uuid.uuid4(), type="invoice.send_requested", occurred_at=datetime.now(UTC),
                          account_id=send.account_id, data=SendRequested(send=send))
            await js.publish(f"{stack.prefix}.events.invoice.send_requested", msgspec.json.encode(event),
                             headers={"Nats-Msg-Id": str(event.id)})
    finally:
        await nc.close()
    events = await rendered_events(stack, invoice["id"], want=3, timeout=4)
    sends = [e for e in events if e["data"]["send"]]
    assert len(sends) == 1 and sends[0]["data"]["send"]["id"] == str(send.id)
    assert sends[0]["data"]["artifact"]["id"] == ahead["data"]["artifact"]["id"]  # reused, not rendered again


async def test_killing_the_browser_mid_render_still_delivers_the_pdf(stack: Stack, rendering: RenderingService) -> None:
    api = await ready_account(stack)
    lines = [{"description": f"Item {i}", "unit_price": "10"} for i in range(1, 201)]
    draft = (await api.post("/invoices", json={"client": BUYER, "lines": lines})).json()
    restarts = rendering.browser.restarts
    download = asyncio.create_task(api.get(f"/invoices/{draft['id']}/pdf"))
    await asyncio.sleep(0.3)  # the gateway asked, the service fetched the input and is printing
    for process in browser_processes():
        os.kill(process.pid, signal.SIGKILL)
    response = await download
    assert response.status_code == 200, response.text
    pages = pages_text(response.content)
    assert len(pages) > 3 and "Item 200" in flat(" ".join(pages))
    async with asyncio.timeout(30):  # the replacement browser may still be starting
        while not (rendering.browser.restarts > restarts and rendering.ready_check()):
            await asyncio.sleep(0.1)
