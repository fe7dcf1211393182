"""What a line is for, in a few words: the service, not the sentence around it.

"It was 60 hours of design work at $125/hour" -> "Design work"; "Just finished the data
migration - 24 hours at $120/h" -> "Data migration"; "Delivered the report layout: 35 hours of
layout work" -> "Report layout — layout work". Pure string work on what is left of a segment
once its quantity, price and flat-fee words are out.
"""

from __future__ import annotations

import re

from billwire_invoices.text.parser.lexicon import FILLER, PER_PIECE, RATE_ADJECTIVES

I = re.IGNORECASE

# "I just finished", "we have wrapped up", "it was", "das waren", "ich habe ... gearbeitet".
_SUBJECT = r"(?:(?:i|we|you|they|ich|wir|du|es|das|that|it|this|there)\s+)?"
_AUX = r"(?:(?:'ve|have|had|has|habe|haben|hab|hat|just|finally|now|also|gerade|jetzt|endlich|already|bereits|schon)\s+)*"
_DONE = (
    r"(?:wrapped\s+up|finished|completed|delivered|did|done|built|shipped|launched|made|spent|worked(?:\s+on)?|put\s+in|logged"
    r"|took|owes?\s+(?:me|us)\s+for|schuldet\s+(?:mir|uns)|was|were|are|is|waren|war|sind|ist|need(?:ed)?|want(?:ed)?)"
)
LEADING_STORY = re.compile(
    rf"^{_SUBJECT}{_AUX}{_DONE}\b\s*(?:(?:on|at|for|of|with|an|bei|für|mit)\s+)?"
    r"|^(?:ich|wir)\s+(?:habe|haben|hab|hatte|hatten)\s+(?:(?:gerade|jetzt|endlich|schon|bereits)\s+)?(?:(?:an|für|bei|mit|am|beim)\s+)?",
    I,
)
TRAILING_STORY = re.compile(
    r"\s*(?:(?:ist|sind|wurde|wurden|is|was|are|were)\s+(?:jetzt\s+|now\s+)?(?:erledigt|fertig|abgeschlossen|geliefert|done|finished|complete|completed|delivered)"
    r"|gearbeitet|erledigt|gemacht|geleistet|investiert|abgerechnet|abrechnen|berechnen|fertiggestellt|abgeschlossen|geliefert|umgesetzt)$",
    I,
)
# "10 seats of the analytics plan", "2,500 words of translation": the measure, then the thing.
MEASURE_OF = re.compile(rf"^(?:{PER_PIECE}|words?|wörtern?|minutes?|minuten)\s+(?:of|von|für)\s+", I)
_ARTICLES = frozenset("the a an their our your his her its die der das den dem des ein eine einen einem".split())
_EXTRA_DROP = frozenset(
    "our usual standard agreed unser unseren unserem zum vereinbarten üblichen - – — • * = / @ net netto brutto gross "
    "gesetzl gesetzlicher gesetzlichen danke thanks please bitte rate satz price preis hallo hi hey can could would kannst "
    "könntest können sie du me mir uns".split()
)
_RATE_NOUNS = frozenset("rate fee price charge satz preis".split())
_ADJECTIVES = frozenset("hourly daily weekly monthly".split())
# "at a day rate of", "at our usual hourly rate of": how the price is quoted, not the service.
RATE_PHRASE = re.compile(
    r"\b(?:at\s+|zum\s+|zu\s+)?(?:(?:a|an|the|our|my|unser(?:em|en)?)\s+)?(?:(?:usual|standard|agreed|normal|üblichen|vereinbarten)\s+)?"
    r"(?:day|hour|week|month|daily|hourly|weekly|monthly)[\s-]*rate(?:\s+(?:of|is|von))?\b",
    I,
)
PARTS = re.compile(r"\s*(?::|\s[-–—]\s|\?|\.(?=\s))\s*")


def _trim(words: list[str], shouting: bool = False) -> list[str]:
    """The words without filler at either end ("IT support": a word in capitals is kept,
    unless the whole text is in capitals)."""
    drop = FILLER | _EXTRA_DROP | _ARTICLES

    def droppable(index: int) -> bool:
        word = words[index].lower()
        if word in _ADJECTIVES:  # "monthly support" keeps its adjective, "hourly rate" does not
            following = words[index + 1].lower() if index + 1 < len(words) else ""
            return not following or following in _RATE_NOUNS or following in drop
        return not word or word in drop or word in RATE_ADJECTIVES

    def acronym(word: str) -> bool:
        return len(word) > 1 and word.isupper() and not shouting

    while words and droppable(0) and not acronym(words[0]):
        words.pop(0)
    while words and droppable(len(words) - 1) and not acronym(words[-1]):
        words.pop()
    return words


def _clean_part(text: str, shouting: bool) -> str:
    words = _trim([w.strip(",;:.!") for w in text.split()], shouting)
    text = " ".join(w for w in words if w)
    for _ in range(3):  # "I just finished the", "it was", "spent ... on the"
        before = text
        text = LEADING_STORY.sub("", text)
        text = TRAILING_STORY.sub("", text)
        text = MEASURE_OF.sub("", text)
        text = " ".join(_trim(text.split(), shouting))
        if text == before:
            break
    return text


def describe_text(text: str, extra: str = "") -> str:
    """The description in `text` (quantities and prices already blanked out); `extra` is the
    first half of a compound ("Beratungsstunden" -> "Beratung")."""
    shouting = text.isupper()
    text = RATE_PHRASE.sub(" ", text)
    parts = [part for part in (_clean_part(piece, shouting) for piece in PARTS.split(text)) if part]
    text = " — ".join(parts[:2])
    if extra:
        text = f"{extra} {text}".strip() if text and text.lower() != extra.lower() else extra
    return capitalize(text)


def capitalize(text: str) -> str:
    return text[:1].upper() + text[1:] if text else ""


# "Could you bill Stark for the server move?": the project, asked about.
_ASKED_FOR = re.compile(r"^(?:(?:could|can|would|will|kannst|könntest|können|please|bitte)\b.*?)?\b(?:for|für)\s+(?:the|our|their|this|that|die|den|das|unser(?:e|en)?)\s+(?P<p>[^\d,;:]+)$", I)


def project_of(sentence: str) -> str | None:
    """The piece of work a sentence without numbers tells about ("I just wrapped up the website
    redesign", "Wir haben die neue Website fertiggestellt"), or None."""
    text = " ".join(sentence.split()).strip(" .,;:!?")
    if not text or re.search(r"\d", text):
        return None
    asked = _ASKED_FOR.search(text)
    if asked:
        project = _clean_part(asked.group("p"), False)
    elif LEADING_STORY.match(text) or TRAILING_STORY.search(text):
        project = _clean_part(text, False)
    else:
        return None
    return capitalize(project) if project and len(project.split()) <= 6 else None
