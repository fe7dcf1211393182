"""Who the invoice is for: "Invoice Acme Corp ...", "for Acme Corp", "an die Müller GmbH", "Client: ..."."""

from __future__ import annotations

import re

from billwire_invoices.text.parser.lexicon import (
    CURRENCY_CODES,
    FILLER,
    FLAT_WORDS,
    SUFFIX,
    month_names,
    unit_of,
)
from billwire_invoices.text.parser.scan import Reading

_TOKEN = r"(?:[A-ZÄÖÜ][\w&'’\-]*\.?|\d+[A-Za-z][\w\-]*|&)"
_CONNECT = r"(?:\s+(?:&|and|und|of|de|von|van|der|den|la|du|\+)\s+|\s+|\s*-\s*)"
NAME = rf"(?P<name>{_TOKEN}(?:{_CONNECT}{_TOKEN}){{0,6}}(?:\s+{SUFFIX})?)"
_ARTICLE = r"(?:(?:the|die|den|das|der|dem|firma|company|client|customer|kunden?|kundin)\s+)*"
_VERB = r"(?:(?:please|bitte)\s+)?(?:(?:create|make|draft|write|prepare|send|erstelle|erstellen|schreibe?|mach)\s+)?(?:(?:an?|eine|die)\s+)?(?:(?:new|neue)\s+)?"
LEADS = [
    # "Invoice Acme Corp ...", "Bill Globex for ...", "Rechnung an die Müller GmbH: ..."
    re.compile(rf"(?:^|(?<=[.!?\n])|(?i:\b(?:you|please|pls|bitte|du)\s+))\s*(?i:{_VERB}(?:invoice|bill|charge|rechnung|faktura)(?:\s+(?:to|for|an|für))?\s+{_ARTICLE}):?\s*{NAME}"),
    # "Client: Acme", "Kunde: Müller GmbH", "Bill to: ..."
    re.compile(rf"(?i:\b(?:client|customer|kunde|kundin|company|firma|recipient|empfänger|bill\s+to|rechnungsempfänger)\s*:\s*){NAME}"),
    # "an die Müller GmbH", "to Mr Smith"
    re.compile(rf"(?i:\ban\s+(?:die|den|das|herrn?|frau)\s+|\bto\s+(?:mr|ms|mrs|dr)\.?\s+){NAME}"),
    # "for Acme Corp", "für die Müller GmbH": a company form says it is a name
    re.compile(rf"(?i:\b(?:for|to|an|für|bei|from|der)\s+{_ARTICLE}){NAME}"),
    # "... for Acme" in English, where a capital after "for" is a name
    re.compile(
        rf"(?i:\b(?:for|to)\s+)(?-i:{NAME})"
        r"(?=\s*(?:[,;.:?!()]|[-–]\s|$)|\s+(?i:at|for|from|with|plus|due|in|on|during|over|this|last|next)\b|\s*[@$€£])"
    ),
    # "For Acme: ..."
    re.compile(rf"^\s*(?i:(?:for|für)\s+){NAME}\s*:"),
    # "Acme Corp: 10 hours ..."
    re.compile(rf"^\s*{NAME}\s*:"),
    # "Hooli: 4 days of ...", "Globex - consulting, ...": only when a description follows
    re.compile(rf"^\s*{NAME}\s*(?:[:,]|\s[-–])\s*(?=\S)"),
    # "invoice globex 10 hrs ...", "rechnung an die müller gmbh 8 std": a name typed in lower case
    re.compile(
        rf"^\s*(?i:{_VERB}(?:invoice|bill|charge|rechnung)(?:\s+(?:to|for|an|für))?\s+{_ARTICLE}):?\s*"
        r"(?P<name>[a-zäöü][\w&'\-]*(?:\s+[a-zäöü][\w&'\-]*){0,3}?)(?=\s*(?:[:,;]|[-–]\s|\s\d|$)|\s+(?:for|für|über)\b)"
    ),
    # "send Globex an invoice", "Acme Corp owes me for ...", "schick der Weber AG eine Rechnung"
    re.compile(rf"(?i:\b(?:send|give|schick(?:e)?|sende)\s+{_ARTICLE}){NAME}(?=\s+(?i:an?|eine)\s+(?i:invoice|bill|rechnung)\b)"),
    re.compile(rf"^\s*{NAME}(?=\s+(?i:owes|schuldet|still\s+owes)\b)"),
]
_NEEDS_SUFFIX = (3, 6)
FLAT_WORD = re.compile(FLAT_WORDS + r"|flat|fee|rate|each|per|pro|je", re.IGNORECASE)
_ENGLISH_ONLY = 4  # the leads that only count with a company form
_DESCRIBED = 7  # the lead that counts only when a description follows the name
_SUFFIX_AT_END = re.compile(SUFFIX + r"\s*$")
_SUFFIX_ANY = re.compile(r"\s" + SUFFIX)
_STOP = frozenset(
    ["hey", "hi", "hello", "hallo", "moin", "servus", "thanks", "danke", "invoice", "rechnung", "bill", "vat", "mwst", "ust", "net", "netto", "total", "insgesamt", "plus", "zzgl", "inkl", "incl", "consulting", "beratung", "development", "entwicklung", "design", "hosting", "support", "wartung", "maintenance", "setup", "einrichtung", "travel", "reisekosten", "workshop", "training", "for", "für", "and", "und", "the", "die", "der", "das", "with", "mit", "at", "zu", "due", "fällig", "payable", "zahlbar"]
)
_SALUTATIONS = frozenset(("herr", "herrn", "frau", "mr", "mrs", "ms", "miss"))
_CONNECTORS = frozenset(("&", "and", "und", "of", "de", "von", "van", "der", "den", "-", "+"))


def _clean(raw: str) -> tuple[str, int]:
    """The name cut after its company form and before the first word that is not a name,
    and how much of `raw` it spans."""
    suffix = _SUFFIX_ANY.search(" " + raw)
    cut = suffix.end() - 1 if suffix else len(raw)
    kept: list[re.Match[str]] = []
    for token in re.finditer(r"\S+", raw[:cut]):
        if not kept and token.group().lower().rstrip(".") in _SALUTATIONS:
            continue
        bare = token.group().strip(".,:;").lower()
        if (bare in _STOP and not (suffix and token.group()[0].isupper())) or bare in month_names() or bare.upper() in CURRENCY_CODES or (unit_of(bare) and not kept):
            break
        kept.append(token)
    while kept and kept[-1].group().lower() in _CONNECTORS:
        kept.pop()
    if not kept:
        return "", 0
    name = raw[kept[0].start():kept[-1].end()].strip(" -,:;")
    if name.endswith(".") and not _SUFFIX_AT_END.search(name):
        name = name[:-1]
    return name, kept[-1].end()


def has_description(rest: str) -> bool:
    """The words up to the next separator name a service ("4 days of architecture review"),
    not only a quantity and a price ("2 days at 900 EUR")."""
    piece = re.split(r"[,;\n]|\.\s", rest, maxsplit=1)[0]
    return any(
        len(word) > 2 and word.lower() not in FILLER and not unit_of(word) and word.upper() not in CURRENCY_CODES
        and not FLAT_WORD.fullmatch(word)
        for word in re.findall(r"[A-Za-zÄÖÜäöüß][\w\-]*", piece)
    )


def read_client(reading: Reading) -> None:
    scan = reading.scan
    for index, pattern in enumerate(LEADS):
        for m in scan.matches(pattern):
            name, length = _clean(m.group("name"))
            if not name or (index in _NEEDS_SUFFIX and not _SUFFIX_AT_END.search(name)):
                continue
            if index == _ENGLISH_ONLY and (reading.language != "en" or length != len(m.group("name").rstrip())):
                continue
            if index == _DESCRIBED and (reading.client_name is not None or length != len(m.group("name").rstrip()) or not has_description(scan.view()[m.end():])):
                continue
            end = m.end() if index >= 5 and length == len(m.group("name").rstrip()) else m.start("name") + length
            if reading.client_name is None:
                reading.client_name = name
                scan.take(m.start(), end)
            elif reading.client_name.lower() != name.lower():
                reading.reject(m.start(), end, f"a second client name (the invoice is for {reading.client_name!r})")
            else:
                scan.take(m.start(), end)
