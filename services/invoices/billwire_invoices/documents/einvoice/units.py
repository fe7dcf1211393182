"""Free-text units (`h`, `Stunden`, `pcs`) as UN/ECE Recommendation 20 codes (BT-130)."""

from __future__ import annotations

# Lower-cased unit text -> Rec 20 / Rec 21 code. Anything unknown is C62 ("one").
_UNITS = {
    "HUR": ("h", "hr", "hrs", "hour", "hours", "std", "std.", "stunde", "stunden"),
    "MIN": ("min", "mins", "minute", "minutes", "minuten"),
    "DAY": ("d", "day", "days", "tag", "tage", "tg"),
    "WEE": ("wk", "week", "weeks", "woche", "wochen"),
    "MON": ("mo", "month", "months", "monat", "monate"),
    "ANN": ("yr", "year", "years", "jahr", "jahre"),
    "H87": ("pc", "pcs", "piece", "pieces", "stk", "stk.", "stück", "stueck"),
    "KGM": ("kg", "kilogram", "kilograms", "kilogramm"),
    "GRM": ("g", "gram", "grams", "gramm"),
    "MTR": ("m", "meter", "metre", "meters", "metres"),
    "KMT": ("km", "kilometer", "kilometre", "kilometers", "kilometres"),
    "LTR": ("l", "liter", "litre", "liters", "litres"),
    "MTK": ("m2", "m²", "qm", "sqm"),
    "LS": ("flat", "lump sum", "pauschal", "pauschale", "psch", "psch."),
    "C62": ("unit", "units", "x", "ea", "each", "einheit", "einheiten"),
}
UNIT_CODES = {text: code for code, texts in _UNITS.items() for text in texts}
KNOWN_CODES = frozenset(_UNITS)


def unit_code(unit: str | None) -> str:
    if not unit:
        return "C62"
    text = unit.strip()
    if text.upper() in KNOWN_CODES:
        return text.upper()
    return UNIT_CODES.get(text.lower(), "C62")
