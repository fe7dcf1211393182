"""What the PDF says, read back from real Chromium output: every mandatory field in de and en,
long invoices across pages, logo, titles per document type, tax notes, drafts."""

from __future__ import annotations

import io
import subprocess
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
import pytest_asyncio

from billwire_rendering.browser import BrowserPool
from billwire_rendering.layout import filename_of
from billwire_rendering.templates import render_page
from billwire_shared.contracts.documents import DocumentRef
from billwire_shared.contracts.rendering import Logo
from billwire_shared.ids import new_id
from tests.integration.rendering.pdftext import flat, image_count, page_count, page_size, pages_text, text
from tests.integration.rendering.pools import running_pool
from tests.integration.rendering.samples import make_document, make_input, make_lines


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def pool() -> AsyncIterator[BrowserPool]:
    async with running_pool(pages=2) as browser:
        yield browser


async def render(pool: BrowserPool, **kwargs) -> bytes:
    page = render_page(make_input(**kwargs))
    return await pool.render(page.html, page.footer)


EXPECTED = {
    "en": [
        "Invoice INV-2026-0001", "Invoice no.", "31 Oct 2026", "Service period", "1 Oct 2026 – 31 Oct 2026",
        "Due date", "14 Nov 2026", "Customer no.", "K-1042",
        "Acme Consulting GmbH · Hauptstraße 1 · 10115 Berlin", "Globex Corporation", "Main Street 5",
        "Springfield, IL 62704", "UNITED STATES",
        "Pos.", "Description", "Qty", "Unit", "Unit price", "VAT", "Amount",
        "Consulting: architecture review", "€150.00", "€1,500.00", "Handbook \"Billing done right\"", "€19.99", "7%",
        "Subtotal", "€1,859.98", "VAT 7% on €39.98", "€2.80", "VAT 19% on €1,820.00", "€345.80", "Total", "€2,208.58",
        "Payment details", "Account holder", "IBAN", "DE89 3704 0044 0532 0130 00", "BIC", "COBADEFFXXX",
        "Reference", "Please transfer €2,208.58 by 14 Nov 2026",
        "VAT ID DE136695976", "Tax no. 27/123/45678", "billing@acme.example", "+49 30 1234567",
        "Amtsgericht Berlin-Charlottenburg HRB 123456", "Page 1 of 1",
    ],
    "de": [
        "Rechnung INV-2026-0001", "Rechnungsnr.", "31.10.2026", "Leistungszeitraum", "01.10.2026 – 31.10.2026",
        "Fällig am", "14.11.2026", "Kundennr.", "K-1042",
        "Acme Consulting GmbH · Hauptstraße 1 · 10115 Berlin", "Globex Corporation", "Main Street 5",
        "VEREINIGTE STAATEN",
        "Beschreibung", "Menge", "Einheit", "Einzelpreis", "USt.", "Betrag",
        "150,00 €", "1.500,00 €", "19,99 €", "7 %", "19 %",
        "Zwischensumme", "1.859,98 €", "USt. 7 % auf 39,98 €", "2,80 €", "USt. 19 % auf 1.820,00 €", "345,80 €",
        "Gesamtbetrag", "2.208,58 €", "Zahlungsinformationen", "Kontoinhaber", "DE89 3704 0044 0532 0130 00",
        "COBADEFFXXX", "Verwendungszweck", "Bitte überweisen Sie 2.208,58 € bis zum 14.11.2026",
        "USt-IdNr. DE136695976", "Steuernr. 27/123/45678", "Seite 1 von 1",
    ],
}


@pytest.mark.parametrize("language", ["en", "de"])
async def test_every_mandatory_field_in_both_languages(pool: BrowserPool, language: str) -> None:
    pdf = await render(pool, language=language)
    assert pdf.startswith(b"%PDF-")
    width, height = page_size(pdf)
    assert abs(width - 595.3) < 1.5 and abs(height - 841.9) < 1.5  # A4 in points
    content = flat(text(pdf))
    lowered = content.lower()  # table headers and section titles are set in capitals by CSS
    missing = [item for item in EXPECTED[language] if flat(item) not in content and flat(item).lower() not in lowered]
    assert not missing, f"missing in the {language} PDF: {missing}\n---\n{content}"
    assert content.count("INV-2026-0001") >= 2  # title and payment reference


async def test_two_hundred_lines_span_pages_with_headers_and_totals_at_the_end(pool: BrowserPool) -> None:
    specs = [(f"Service item {i:03d}", "1", "h", "10.00", "7" if i % 4 == 0 else "19") for i in range(1, 201)]
    pdf = await render(pool, lines=make_lines(specs))
    pages = [flat(p) for p in pages_text(pdf)]
    assert len(pages) >= 4 and page_count(pdf) == len(pages)
    for number, page in enumerate(pages, start=1):
        if "Service item" in page:
            assert "Pos. Description Qty Unit Unit price VAT Amount".lower() in page.lower(), f"no header on page {number}"
        assert f"Page {number} of {len(pages)}" in page
    everything = " ".join(pages)
    assert all(f"Service item {i:03d}" in everything for i in range(1, 201))
    # 150 lines at 19 % and 50 at 7 %, 10.00 each: 2,000.00 net, 285.00 + 35.00 tax.
    last = pages[-1]
    for expected in ("Subtotal €2,000.00", "VAT 7% on €500.00 €35.00", "VAT 19% on €1,500.00 €285.00", "Total €2,320.00"):
        assert expected in last, f"{expected!r} not on the last page"
    assert all("Total €2,320.00" not in page for page in pages[:-1])


def png_logo() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (360, 96), "#0f2a4a")
    ImageDraw.Draw(image).rectangle((20, 20, 76, 76), fill="#f5b700")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


async def test_logo_is_in_the_header(pool: BrowserPool) -> None:
    doc = make_document()
    with_logo = make_input(doc)
    data = png_logo()
    with_logo.logo = Logo(media_type="image/png", data=data, sha256="x")
    page = render_page(with_logo)
    pdf = await pool.render(page.html, page.footer)
    assert image_count(pdf) == 1
    without = render_page(make_input(doc, logo=False))
    plain = await pool.render(without.html, without.footer)
    assert image_count(plain) == 0
    assert "Acme Consulting GmbH" in text(plain).split("Globex")[0]  # the company name stands in for the logo


async def test_an_svg_logo_with_only_a_viewbox_is_drawn(pool: BrowserPool, tmp_path: Path) -> None:
    """Many exported SVG logos have a viewBox but no width or height: the header must still size and draw them
    (the logo's box was 0 × 0, so the invoice had neither logo nor company name)."""
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 40"><rect width="120" height="40" fill="#0f766e"/></svg>'
    document = make_input(make_document())
    document.logo = Logo(media_type="image/svg+xml", data=svg, sha256="x")
    page = render_page(document)
    (tmp_path / "logo.pdf").write_bytes(await pool.render(page.html, page.footer))
    subprocess.run(["pdftoppm", "-r", "40", "-f", "1", "-l", "1", "-png", str(tmp_path / "logo.pdf"), str(tmp_path / "page")], check=True)
    from PIL import Image

    with Image.open(next(tmp_path.glob("page*.png"))).convert("RGB") as image:
        top = image.crop((0, 0, image.width, image.height // 6))
        teal = sum(1 for red, green, blue in top.getdata() if green > red + 40 and blue > red + 40 and green < 160)
    assert teal > 100, teal  # 60 × 20 mm of the logo's colour at 40 dpi is some 1,800 pixels


@pytest.mark.parametrize(("language", "kind", "title"), [
    ("en", "estimate", "Estimate EST-2026-0003"),
    ("de", "estimate", "Angebot EST-2026-0003"),
    ("en", "credit_note", "Credit note EST-2026-0003"),
    ("de", "credit_note", "Gutschrift EST-2026-0003"),
    ("de", "delivery_note", "Lieferschein EST-2026-0003"),
    ("en", "order_confirmation", "Order confirmation EST-2026-0003"),
])
async def test_titles_by_type(pool: BrowserPool, language: str, kind: str, title: str) -> None:
    content = flat(text(await render(pool, type=kind, language=language, number="EST-2026-0003")))
    assert title in content
    if kind == "estimate":
        assert ("Valid until" if language == "en" else "Gültig bis") in content
        assert ("Payment details" if language == "en" else "Zahlungsinformationen").lower() not in content.lower()


@pytest.mark.parametrize(("language", "title", "reference"), [
    ("de", "Stornorechnung CN-2026-0001", "Bezieht sich auf Rechnung INV-2026-0007 vom 15.10.2026"),
    ("en", "Cancellation invoice CN-2026-0001", "Refers to Invoice INV-2026-0007 of 15 Oct 2026"),
])
async def test_cancellation_credit_note_names_the_cancelled_invoice(pool: BrowserPool, language: str, title: str, reference: str) -> None:
    from datetime import date

    ref = DocumentRef(id=new_id(), type="invoice", number="INV-2026-0007", issue_date=date(2026, 10, 15))
    content = flat(text(await render(pool, type="credit_note", language=language, number="CN-2026-0001", preceding=ref)))
    assert title in content and reference in content


@pytest.mark.parametrize(("language", "regulation", "note"), [
    ("en", "reverse_charge", "Reverse charge: VAT to be accounted for by the recipient"),
    ("de", "reverse_charge", "Steuerschuldnerschaft des Leistungsempfängers"),
    ("en", "intra_community_supply", "VAT-exempt intra-community supply"),
    ("de", "intra_community_supply", "Steuerfreie innergemeinschaftliche Lieferung"),
])
async def test_vat_regulation_notes(pool: BrowserPool, language: str, regulation: str, note: str) -> None:
    assert note in flat(text(await render(pool, language=language, vat_regulation=regulation)))


async def test_draft_is_marked(pool: BrowserPool) -> None:
    content = flat(text(await render(pool, status="draft", number=None, language="de")))
    assert "ENTWURF" in content and "Rechnungsnr. Entwurf" in content


def test_filenames_are_safe() -> None:
    assert filename_of(make_document(number="INV-2026-0001")) == "INV-2026-0001.pdf"
    assert filename_of(make_document(number='A/B "x"\r\n')) == "A-B--x.pdf"
    draft = make_document(number=None, status="draft")
    assert filename_of(draft) == f"draft-invoice-{str(draft.id)[:8]}.pdf"


def test_unit_prices_keep_their_places() -> None:
    from billwire_rendering.layout import Formatter

    assert Formatter("en", "EUR").price(Decimal("0.125")) == "€0.125"
    assert Formatter("de", "EUR").price(Decimal("1234.5")) == "1.234,50\xa0€"
    assert Formatter("en", "JPY").money(Decimal("1500")) == "JP¥1,500"
