"""The offline parser against the ways people write invoices, in English and German.

One row per phrasing: the text, then what it must yield. Lines are
(description, quantity, unit, unit price, tax rate); `due` is days (int) or a date;
`period` is "start/end" in ISO dates; `unparsed` lists the parts that must come back as not understood
(checked exactly: nothing else may be left over). Today is 10 April 2026 throughout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pytest

from billwire_invoices.text.parser import parse_invoice_text

TODAY = date(2026, 4, 10)
ANY = object()


@dataclass
class Case:
    text: str
    lines: list[tuple] = field(default_factory=list)
    client: str | None | object = ANY
    currency: str | None | object = ANY
    tax: str | None | object = ANY
    due: int | date | None | object = ANY
    period: str | tuple[date, date] | None | object = ANY
    unparsed: list[str] = field(default_factory=list)
    vat: str | None | object = ANY

    def __post_init__(self) -> None:
        if isinstance(self.period, str):  # "start/end", ISO dates
            start, end = self.period.split("/")
            self.period = (date.fromisoformat(start), date.fromisoformat(end))


def L(description: str, quantity: str, unit: str | None, price: str, tax: str | None = None) -> tuple:
    return (description, Decimal(quantity), unit, Decimal(price), None if tax is None else Decimal(tax))


D = date
CASES = [
    # -- English: hours, days, weeks, months ------------------------------------------------
    Case("Invoice Acme Corp for 10 hours of consulting at $150/hour, plus 19% VAT, due in 14 days",
         [L("Consulting", "10", "hour", "150", "19")], client="Acme Corp", currency="USD", tax="19", due=14),
    Case("Bill Globex for 2 weeks of development at our weekly rate of $4,000 and a flat fee of $500 for setup. Net 30.",
         [L("Development", "2", "week", "4000"), L("Setup", "1", "flat", "500")], client="Globex", currency="USD", due=30),
    Case("10h consulting @ 120 EUR", [L("Consulting", "10", "hour", "120")], currency="EUR"),
    Case("12.5 hours of code review at $95 per hour", [L("Code review", "12.5", "hour", "95")], currency="USD"),
    Case("3 days workshop at 1.200,00 € per day for Februar 2026",
         [L("Workshop", "3", "day", "1200.00")], currency="EUR", period="2026-02-01/2026-02-28"),
    Case("Invoice for Initech: 20 hrs support at £80/hr, payable within 2 weeks",
         [L("Support", "20", "hour", "80")], client="Initech", currency="GBP", due=14),
    Case("3 months of hosting at $49 a month", [L("Hosting", "3", "month", "49")], currency="USD"),
    Case("Hosting for March at 20 €/month", [L("Hosting", "1", "month", "20")], currency="EUR", period="2026-03-01/2026-03-31"),
    Case("one day of onsite training at a daily rate of 950 EUR", [L("Onsite training", "1", "day", "950")], currency="EUR"),
    Case("half a day of workshop facilitation at $1,200/day", [L("Workshop facilitation", "0.5", "day", "1200")]),
    Case("Two hours of phone support at $60 an hour", [L("Phone support", "2", "hour", "60")]),
    Case("40 hours at our hourly rate of USD 110 for backend development", [L("Backend development", "40", "hour", "110")], currency="USD"),
    # -- pieces and flat fees ---------------------------------------------------------------
    Case("5 licenses at €49.99 each", [L("Licenses", "5", "piece", "49.99")], currency="EUR"),
    Case("3 x Logo variants at 200 EUR", [L("Logo variants", "3", "piece", "200")]),
    Case("Website redesign flat fee 2.500 €", [L("Website redesign", "1", "flat", "2500")], currency="EUR"),
    Case("Setup: $500", [L("Setup", "1", None, "500")], currency="USD"),
    Case("a lump sum of $3,000 for the migration project", [L("Migration project", "1", "flat", "3000")]),
    Case("3 T-shirts for $60", [L("T-shirts", "3", "piece", "20")]),
    Case("10 hours of design for $1,500 in total", [L("Design", "10", "hour", "150")]),
    Case("Travel expenses 120.50 EUR", [L("Travel expenses", "1", None, "120.50")], currency="EUR"),
    Case("10 hours consulting at $150/h = $1,500", [L("Consulting", "10", "hour", "150")]),
    # -- several items ----------------------------------------------------------------------
    Case("Invoice Wayne Enterprises: 8 hours design at $100/h, 4 hours development at $120/h and hosting $30",
         [L("Design", "8", "hour", "100"), L("Development", "4", "hour", "120"), L("Hosting", "1", None, "30")],
         client="Wayne Enterprises"),
    Case("- 2 days workshop at 800 EUR/day\n- 5 hours preparation at 90 EUR/h\n- travel flat 150 EUR",
         [L("Workshop", "2", "day", "800"), L("Preparation", "5", "hour", "90"), L("Travel", "1", "flat", "150")]),
    Case("Design and development, 10 hours at $100/h", [L("Design and development", "10", "hour", "100")]),
    Case("10 hours consulting at $150/hour plus 2 hours travel at $50/hour",
         [L("Consulting", "10", "hour", "150"), L("Travel", "2", "hour", "50")]),
    Case("Invoice Umbrella Corp\n- Consulting: 10 h x $150\n- Travel: $300",
         [L("Consulting", "10", "hour", "150"), L("Travel", "1", None, "300")], client="Umbrella Corp"),
    Case("Logo design 900 €; business cards 250 €", [L("Logo design", "1", None, "900"), L("Business cards", "1", None, "250")]),
    # -- tax --------------------------------------------------------------------------------
    Case("5 hours support at $80/h, 10% tax", [L("Support", "5", "hour", "80", "10")], tax="10"),
    Case("2 books at €20 each (7% VAT) and 10 hours consulting at €100/h, plus 19% VAT",
         [L("Books", "2", "piece", "20", "7"), L("Consulting", "10", "hour", "100", "19")], tax="19"),
    Case("Consulting 10 hours at 119 EUR/h incl. 19% VAT", [L("Consulting", "10", "hour", "100", "19")]),
    Case("8 hours consulting at €100/h, reverse charge", [L("Consulting", "8", "hour", "100")], vat="reverse_charge"),
    Case("Translation 300 EUR, no VAT", [L("Translation", "1", None, "300", "0")], tax="0"),
    Case("4 hours at $100/h with 8.875% sales tax", [L("Services", "4", "hour", "100", "8.875")], tax="8.875"),
    # -- due terms --------------------------------------------------------------------------
    Case("Consulting $900, due on receipt", [L("Consulting", "1", None, "900")], due=0),
    Case("Consulting $900, due by March 15, 2027", [L("Consulting", "1", None, "900")], due=D(2027, 3, 15)),
    Case("Consulting $900, payment due 2027-01-31", [L("Consulting", "1", None, "900")], due=D(2027, 1, 31)),
    Case("Consulting $900, net-15", [L("Consulting", "1", None, "900")], due=15),
    Case("Consulting $900, payment terms: 45 days", [L("Consulting", "1", None, "900")], due=45),
    Case("Consulting $900 due 30 April", [L("Consulting", "1", None, "900")], due=D(2026, 4, 30)),
    Case("Consulting $900, due within 10 business days", [L("Consulting", "1", None, "900")], due=None,
         unparsed=["due within 10 business days"]),
    # -- service periods --------------------------------------------------------------------
    Case("Retainer for March 2026: $2,000 flat", [L("Retainer", "1", "flat", "2000")], period="2026-03-01/2026-03-31"),
    Case("Support for the week of 3 March: 20 hours at $50/h", [L("Support", "20", "hour", "50")], period="2026-03-03/2026-03-09"),
    Case("Maintenance from 1 March to 15 March 2026, 12 hours at $70/h", [L("Maintenance", "12", "hour", "70")],
         period="2026-03-01/2026-03-15"),
    Case("Q1 2026 bookkeeping flat fee $1,800", [L("Bookkeeping", "1", "flat", "1800")], period="2026-01-01/2026-03-31"),
    Case("Social media management January–March 2026: 3 months at $600/month",
         [L("Social media management", "3", "month", "600")], period="2026-01-01/2026-03-31"),
    Case("Consulting last month, 6 hours at $100/h", [L("Consulting", "6", "hour", "100")], period="2026-03-01/2026-03-31"),
    Case("Hosting for December at $15/month", [L("Hosting", "1", "month", "15")], period="2025-12-01/2025-12-31"),
    # -- German -----------------------------------------------------------------------------
    Case("Rechnung an die Müller GmbH: 8 Stunden Beratung zu 95 EUR pro Stunde, zzgl. 19 % MwSt., fällig am 15.03.2027",
         [L("Beratung", "8", "hour", "95", "19")], client="Müller GmbH", currency="EUR", tax="19", due=D(2027, 3, 15)),
    Case("Rechnung für Schmidt & Partner GbR, 3 Tage Workshop à 1.200 € pro Tag, zahlbar innerhalb von 14 Tagen",
         [L("Workshop", "3", "day", "1200")], client="Schmidt & Partner GbR", currency="EUR", due=14),
    Case("12 Beratungsstunden à 110 €", [L("Beratung", "12", "hour", "110")], currency="EUR"),
    Case("Webdesign pauschal 2.400,00 EUR zzgl. MwSt. 19%", [L("Webdesign", "1", "flat", "2400.00", "19")], tax="19"),
    Case("Erstelle eine Rechnung an die Bäckerei Huber KG über 2 Wochen Entwicklung zum Wochensatz von 3.500 €",
         [L("Entwicklung", "2", "week", "3500")], client="Bäckerei Huber KG"),
    Case("5 Stück Lizenzen je 49,90 €, Leistungszeitraum Februar 2026",
         [L("Lizenzen", "5", "piece", "49.90")], period="2026-02-01/2026-02-28"),
    Case("Hosting März 2026 zu 25 EUR/Monat", [L("Hosting", "1", "month", "25")], period="2026-03-01/2026-03-31"),
    Case("4,5 Std. Support zu 80 € pro Stunde, zahlbar sofort", [L("Support", "4.5", "hour", "80")], due=0),
    Case("Kunde: Weber AG; 2 Tage Schulung à 900 €/Tag; Zahlungsziel 30 Tage",
         [L("Schulung", "2", "day", "900")], client="Weber AG", due=30),
    Case("Reisekosten 180,- € und 6 Stunden Programmierung zu 85 EUR pro Stunde",
         [L("Reisekosten", "1", None, "180"), L("Programmierung", "6", "hour", "85")]),
    Case("Lektorat 650 EUR inkl. 19% MwSt.", [L("Lektorat", "1", None, "546.21848739", "19")]),
    Case("Übersetzung 400 EUR, Kleinunternehmer gemäß § 19 UStG", [L("Übersetzung", "1", None, "400", "0")], tax="0"),
    Case("Wartung im Januar, 10 Stunden zu 70 €", [L("Wartung", "10", "hour", "70")], period="2026-01-01/2026-01-31"),
    Case("Beratung 1.234,56 €, fällig in 2 Wochen", [L("Beratung", "1", None, "1234.56")], due=14),
    Case("Zwei Tage Coaching zu 750 € pro Tag, 7 % MwSt", [L("Coaching", "2", "day", "750", "7")], tax="7"),
    Case("3 Monate Wartungsvertrag à 99 € monatlich", [L("Wartungsvertrag", "3", "month", "99")]),
    Case("Rechnung an Frau Dr. Anna Berger: Gutachten pauschal 1.500 €", [L("Gutachten", "1", "flat", "1500")], client="Dr. Anna Berger"),
    Case("10 hours at $100/h for design and testing", [L("Design and testing", "10", "hour", "100")]),
    Case("Fotoshooting 20.–22. Mai 2026, 3 Tage zu 600 €", [L("Fotoshooting", "3", "day", "600")], period="2026-05-20/2026-05-22"),
    Case("Programmierung KW 10 2026, 30 Std zu 90 €", [L("Programmierung", "30", "hour", "90")], period="2026-03-02/2026-03-08"),
    Case("Beratung vom 01.03.2026 bis 15.03.2026, 20 Stunden à 100 €", [L("Beratung", "20", "hour", "100")],
         period="2026-03-01/2026-03-15"),
    # -- what must come back as not understood -----------------------------------------------
    Case("10 hours consulting at $150/hour, and please send it to my accountant",
         [L("Consulting", "10", "hour", "150")], unparsed=["please send it to my accountant"]),
    Case("Consulting at $150/hour", [], unparsed=["Consulting at $150/hour"]),
    Case("10 hours of consulting", [], unparsed=["10 hours of consulting"]),
    Case("2 weeks of development at $150/hour", [], unparsed=["2 weeks of development at $150/hour"]),
    Case("Design $500 and printing 300 EUR", [L("Design", "1", None, "500")], currency="USD", unparsed=["printing 300 EUR"]),
    Case("Consulting $900, due 03/04/2027", [L("Consulting", "1", None, "900")], due=None, unparsed=["due 03/04/2027"]),
    Case("8 hours at $100/h for Acme, also the usual stuff", [L("Services", "8", "hour", "100")], client="Acme",
         unparsed=["the usual stuff"]),
    Case("10 hours consulting at $150/h = $1,600", [], unparsed=["10 hours consulting at $150/h = $1,600"]),
    Case("Consulting $900 plus 19% VAT plus 7% VAT", [L("Consulting", "1", None, "900", "19")], tax="19", unparsed=["plus 7% VAT"]),
    # -- greetings, stories and German requests around the items ---------------------------------
    Case("Hey, please bill Contoso Ltd for 7 hours of Excel automation at 95 GBP per hour. Payment due within 30 days.",
         [L("Excel automation", "7", "hour", "95")], client="Contoso Ltd", currency="GBP", due=30),
    Case("We built a new onboarding flow for Contoso. 45 hours of UX design at 110 EUR/h, net 30",
         [L("Onboarding flow — UX design", "45", "hour", "110")], client="Contoso", due=30),
    Case("Bitte Rechnung an Müller & Co. KG stellen: 20 Std. Support à 75 € zzgl. MwSt. (19 %), Zahlungsziel 30 Tage",
         [L("Support", "20", "hour", "75", "19")], client="Müller & Co. KG", tax="19", due=30),
]


@pytest.mark.parametrize("case", CASES, ids=[c.text[:60] for c in CASES])
def test_phrasing(case: Case) -> None:
    result = parse_invoice_text(case.text, today=TODAY)
    got_lines = [(ln.description, ln.quantity, ln.unit, ln.unit_price, ln.tax_rate) for ln in result.lines]
    assert got_lines == case.lines, (result.lines, result.unparsed)
    assert [u.text for u in result.unparsed] == case.unparsed, result.unparsed
    if case.client is not ANY:
        assert result.client_name == case.client
    if case.currency is not ANY:
        assert result.currency == case.currency
    if case.tax is not ANY:
        assert result.tax_rate == (None if case.tax is None else Decimal(case.tax))
    if case.vat is not ANY:
        assert result.vat_regulation == case.vat
    if case.due is not ANY:
        got_due = result.due_date if isinstance(case.due, date) else result.due_days
        assert got_due == case.due, (result.due_days, result.due_date)
        if case.due is None:
            assert result.due_date is None
    if case.period is not ANY:
        got = (result.service_period.start, result.service_period.end) if result.service_period else None
        assert got == case.period


def test_at_least_sixty_phrasings_in_both_languages() -> None:
    languages = [parse_invoice_text(c.text, today=TODAY).language for c in CASES]
    assert len(CASES) >= 60 and languages.count("de") >= 15 and languages.count("en") >= 30


def test_assumptions_are_reported() -> None:
    result = parse_invoice_text("Hosting for December at $15/month", today=TODAY)
    assert any("2025" in n for n in result.notes) and any("quantity 1 month" in n for n in result.notes)
    assert any("thousands" in n for n in parse_invoice_text("Beratung 4,000 € pauschal", today=TODAY).notes)


def test_a_month_without_a_year_is_the_nearest_one() -> None:
    def period(text: str, today: date) -> tuple[date, date]:
        p = parse_invoice_text(text, today=today).service_period
        return p.start, p.end

    assert period("Hosting for February at 5 EUR/month", date(2026, 1, 20)) == (D(2026, 2, 1), D(2026, 2, 28))
    assert period("Hosting for November at 5 EUR/month", date(2026, 1, 20)) == (D(2025, 11, 1), D(2025, 11, 30))


def test_empty_and_nonsense() -> None:
    assert parse_invoice_text("hello there", today=TODAY).unparsed[0].text == "hello there"
    assert parse_invoice_text("   ", today=TODAY).lines == []
