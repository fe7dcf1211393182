"""Prices and VAT to the cent, through the real gateway, invoices and rendering services: gross
prices and the gross layout, printed decimals, zero-rated lines and delivery notes without
prices, each checked in the JSON and in the PDF's text."""

from __future__ import annotations

import re
from decimal import Decimal

from billwire_rendering.app import RenderingService
from tests.integration.rendering.pdftext import flat, text
from tests.stack import BUYER, Stack, created, ready_account, unique

EU_BUYER = {"name": "Wiener Werke GmbH", "vat_id": "ATU13585627",
            "address": {"street": "Ring 1", "zip": "1010", "city": "Wien", "country": "AT"}}


async def pdf_text(api, doc_id: str) -> str:
    response = await api.get(f"/documents/{doc_id}/pdf")
    assert response.status_code == 200, response.text
    return flat(text(response.content))


async def test_gross_products_and_lines_make_exact_gross_totals(stack: Stack, rendering: RenderingService) -> None:
    api = await ready_account(stack, unique("Laden GmbH"))
    no_rate = await api.post("/products", json={"title": "Mug", "gross_price": "100.00"})
    assert no_rate.status_code == 422, no_rate.text
    assert [d["field"] for d in no_rate.json()["error"]["details"]] == ["tax_rate"]

    for rate, net, tax in (("19", "252.10", "47.90"), ("7", "280.37", "19.63")):
        product = await created(api, "/products", {"title": f"Lamp {rate}", "gross_price": "100.00", "tax_rate": rate})
        assert Decimal(product["gross_price"]) == Decimal("100.00")  # kept as given, not only as a derived net
        doc = await created(api, "/invoices", {"client": BUYER, "price_layout": "gross",
                                               "lines": [{"product_id": product["id"]}] * 3})
        assert doc["price_layout"] == "gross"
        prices = [(Decimal(line["gross_unit_price"]), line["gross_amount"]) for line in doc["lines"]]
        assert prices == [(Decimal("100"), "100.00")] * 3
        assert doc["totals"]["gross"] == "300.00"
        assert doc["totals"]["taxes"] == [{"rate": rate, "net": net, "tax": tax}]
        assert sum(Decimal(line["net_amount"]) for line in doc["lines"]) == Decimal(net)
        content = await pdf_text(api, doc["id"])
        for expected in ("GROSS PRICE", "GROSS AMOUNT", "€100.00", f"incl. VAT {rate}% on net €{net} €{tax}",
                         "Total €300.00"):
            assert expected in content, (expected, content[:1500])
        assert "299.99" not in content and "300.01" not in content and "84.0336" not in content

        given = await created(api, "/invoices", {"client": BUYER, "price_layout": "gross", "lines": [
            {"description": "Lamp", "gross_unit_price": "100.00", "tax_rate": rate}] * 3})
        assert given["totals"] == doc["totals"]


async def test_gross_layout_is_the_sum_of_gross_lines_where_net_rounding_differs(stack: Stack, rendering: RenderingService) -> None:
    api = await ready_account(stack, unique("Kiosk GmbH"))
    lines = [{"description": "Gum", "gross_unit_price": "0.99"},
             {"description": "Pen", "quantity": "3", "gross_unit_price": "1.49"},
             {"description": "Book", "quantity": "7", "gross_unit_price": "12.95"}]
    net_layout = await created(api, "/invoices", {"client": BUYER, "lines": lines})
    assert net_layout["price_layout"] == "net" and net_layout["totals"]["gross"] == "96.12"  # nets first, then VAT
    gross = await created(api, "/invoices", {"client": BUYER, "price_layout": "gross", "lines": lines})
    assert [line["gross_amount"] for line in gross["lines"]] == ["0.99", "4.47", "90.65"]
    assert gross["totals"]["gross"] == "96.11"  # exactly the gross lines
    assert gross["totals"]["taxes"] == [{"rate": "19", "net": "80.76", "tax": "15.35"}]  # 96.11 × 19/119 = 15.345…
    assert gross["totals"]["net"] == "80.76" and gross["totals"]["tax"] == "15.35"
    content = await pdf_text(api, gross["id"])
    assert "Total €96.11" in content and "€12.95 19% €90.65" in content, content

    both = await api.post("/invoices", json={"client": BUYER, "lines": [
        {"description": "x", "unit_price": "10", "gross_unit_price": "11.90"}]})
    assert both.status_code == 422, both.text
    assert [d["field"] for d in both.json()["error"]["details"]] == ["lines[0].gross_unit_price"]

    switched = await api.patch(f"/invoices/{net_layout['id']}", json={"price_layout": "gross"})
    assert switched.status_code == 200 and switched.json()["totals"]["gross"] == "96.11", switched.text
    assert (await api.patch("/settings/profile", json={"default_price_layout": "gross"})).status_code == 200
    default = await created(api, "/invoices", {"client": BUYER, "lines": lines})
    assert default["price_layout"] == "gross" and default["totals"]["gross"] == "96.11"


async def test_printed_prices_have_the_currencys_places_unless_given_with_more(stack: Stack, rendering: RenderingService) -> None:
    api = await ready_account(stack, unique("Druck GmbH"))
    product = await created(api, "/products", {"title": "Lamp", "gross_price": "100.00", "tax_rate": "19"})
    assert product["net_price"] == "84.03361345"
    doc = await created(api, "/invoices", {"client": BUYER, "lines": [
        {"product_id": product["id"]},
        {"description": "Screws", "quantity": "1000", "unit_price": "0.125"},
        {"description": "Bolts", "quantity": "1000", "unit_price": "0.123456"},
    ]})
    content = await pdf_text(api, doc["id"])
    for expected in ("€84.03 19% €84.03", "€0.125 19% €125.00", "€0.1235 19% €123.46"):
        assert expected in content, (expected, content)
    assert "84.0336" not in content and "0.123456" not in content


async def test_zero_rated_lines_show_the_rate_that_applies(stack: Stack, rendering: RenderingService) -> None:
    api = await ready_account(stack, unique("Export GmbH"))
    notes = {"reverse_charge": "Reverse Charge", "intra_community_supply": "innergemeinschaftliche Lieferung",
             "export": "Ausfuhrlieferung", "tax_exempt": "Steuerfrei nach § 4 Nr. 21 UStG"}
    for regulation, note in notes.items():
        buyer = BUYER if regulation == "export" else EU_BUYER
        reason = note if regulation == "tax_exempt" else None
        doc = await created(api, "/invoices", {"client": buyer, "vat_regulation": regulation, "language": "de",
                                               "tax_exemption_reason": reason, "export_type": "factur-x", "lines": [
            {"description": "Beratung", "quantity": "2", "unit_price": "500"},
            {"description": "Handbuch", "unit_price": "20", "tax_rate": "7"},
        ]})
        assert [line["tax_rate"] for line in doc["lines"]] == ["0", "0"]
        assert doc["totals"]["taxes"] == [{"rate": "0", "net": "1020.00", "tax": "0.00"}]
        content = await pdf_text(api, doc["id"])
        assert re.search("500,00 € 0 ?% 1.000,00 €", content) and re.search("20,00 € 0 ?% 20,00 €", content), content
        assert not re.search("(19|7) ?%", content) and note in content, content
        issued = await api.post(f"/invoices/{doc['id']}/finalize")
        assert issued.status_code == 200, issued.text
        assert [line["tax_rate"] for line in issued.json()["lines"]] == ["0", "0"]


async def test_delivery_note_shows_no_prices_unless_asked(stack: Stack, rendering: RenderingService) -> None:
    api = await ready_account(stack, unique("Lager GmbH"))
    lines = [{"description": "Pallet of bricks", "quantity": "4", "unit": "pcs", "unit_price": "250"}]
    note = await created(api, "/documents", {"type": "delivery_note", "client": BUYER, "lines": lines})
    assert note["show_prices"] is False
    content = await pdf_text(api, note["id"])
    assert "Delivery note" in content and "Pallet of bricks" in content
    for price in ("€", "UNIT PRICE", "19%", "Total", "Subtotal", "250", "1,000"):
        assert price not in content, (price, content)

    priced = await created(api, "/documents", {"type": "delivery_note", "client": BUYER, "lines": lines, "show_prices": True})
    content = await pdf_text(api, priced["id"])
    assert "UNIT PRICE" in content and "€250.00 19% €1,000.00" in content and "Total €1,190.00" in content, content

    estimate = await created(api, "/documents", {"type": "estimate", "client": BUYER, "lines": lines})
    assert estimate["show_prices"] is True
    assert "€250.00 19% €1,000.00" in await pdf_text(api, estimate["id"])


async def test_purchase_order_has_its_own_series_and_title_in_both_languages(stack: Stack, rendering: RenderingService) -> None:
    api = await ready_account(stack, unique("Einkauf GmbH"))
    supplier = await created(api, "/clients", BUYER | {"name": "Ziegelwerk AG"})
    for language, title, number_label in (("en", "Purchase order", "Purchase order no."), ("de", "Bestellung", "Bestellnr.")):
        order = await created(api, "/documents", {"type": "purchase_order", "client_id": supplier["id"], "language": language,
                                                  "issue_date": "2026-06-01", "lines": [{"description": "Bricks", "unit_price": "2"}]})
        assert order["client"]["name"] == "Ziegelwerk AG" and order["show_prices"] is True
        issued = await api.post(f"/documents/{order['id']}/finalize")
        assert issued.status_code == 200, issued.text
        number = issued.json()["number"]
        assert number == ("PO-2026-0001" if language == "en" else "PO-2026-0002")
        content = await pdf_text(api, order["id"])
        assert f"{title} {number}" in content and f"{number_label} {number}" in content and "Ziegelwerk AG" in content, content
    invoice = await created(api, "/invoices", {"client_id": supplier["id"], "issue_date": "2026-06-01", "lines": [{"description": "x", "unit_price": "1"}]})
    assert (await api.post(f"/invoices/{invoice['id']}/finalize")).json()["number"] == "INV-2026-0001"  # series untouched
