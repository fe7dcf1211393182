"""Which VAT rate a document's lines got and why, said on the document (`vat_note`), so a client
abroad never silently gets the seller's domestic rate: the note names each rate and its source
(given on the line, the product's, the account's default, or the VAT regulation) and, when the
default was taken for a client in another country, says what usually applies instead. Pure."""

from __future__ import annotations

from decimal import Decimal

from billwire_shared.contracts.accounts import Profile
from billwire_shared.contracts.documents import Document, Line, LineInput

EU = frozenset({
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT", "LU", "LV", "MT",
    "NL", "PL", "PT", "RO", "SE", "SI", "SK",
})
REGULATIONS = {
    "reverse_charge": "the buyer owes the VAT (reverse charge)",
    "intra_community_supply": "an intra-community supply to a business in another EU country",
    "export": "an export outside the EU",
    "tax_exempt": "a supply exempt from VAT",
}


def _percent(rate: Decimal) -> str:
    return format(rate.normalize(), "f")  # 19, 7.7, never 1.9E+1


def vat_note(inputs: list[LineInput], lines: list[Line], profile: Profile, client_country: str | None, regulation: str) -> str | None:
    """The rates applied, line by line grouped by rate and source, and a warning when the
    account's domestic default was applied to a client in another country."""
    if not lines:
        return None
    if regulation in REGULATIONS:
        return f"0 % on every line: vat_regulation {regulation}, {REGULATIONS[regulation]}."
    groups: dict[tuple[Decimal, str], list[int]] = {}
    defaulted = False
    for given, line in zip(inputs, lines, strict=False):
        if given.tax_rate is not None:
            source = "given on the line"
        elif given.product_id is not None:
            source = "the product's rate"
        else:
            source, defaulted = "the account's default rate", True
        groups.setdefault((line.tax_rate, source), []).append(line.position)
    parts = [f"{_percent(rate)} % on line{'s' if len(at) > 1 else ''} {', '.join(map(str, at))}: {source}"
             for (rate, source), at in groups.items()]
    note = "; ".join(parts) + "."
    seller = profile.address.country
    if defaulted and client_country and seller and client_country != seller:
        if seller in EU and client_country in EU:
            usual = ("for a business client with a VAT id, vat_regulation reverse_charge (services) or intra_community_supply"
                     " (goods) with 0 %")
        elif seller in EU:
            usual = "outside the EU, usually vat_regulation export with 0 %"
        else:
            usual = "the rules of the client's country"
        note += (f" The client is in {client_country}, not in the seller's country {seller}: the domestic default rate was"
                 f" applied, but {usual} may apply instead; set vat_regulation or each line's tax_rate if so.")
    return note


def note_for(doc: Document, profile: Profile, inputs: list[LineInput] | None = None) -> str | None:
    """The note of a changed draft: from the lines as given, or (lines unchanged) from its
    stored lines, a line without product at the account's default rate counting as defaulted."""
    if inputs is None:
        inputs = [LineInput(tax_rate=None if line.product_id is None and line.tax_rate == profile.default_tax_rate else line.tax_rate,
                            product_id=line.product_id) for line in doc.lines]
    return vat_note(inputs, doc.lines, profile, doc.client.address.country, doc.vat_regulation)
