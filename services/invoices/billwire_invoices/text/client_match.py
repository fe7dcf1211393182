"""Which stored client a name in a text means: fuzzy matching with rapidfuzz, company forms aside.

rapidfuzz (about 3 MB) is imported by the first match, not with the service: drafts from text are
one feature among many (issue 24: the stack's memory)."""

from __future__ import annotations

import re
from uuid import UUID

from billwire_shared.contracts.text import ClientCandidate

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
THRESHOLD = 85.0  # below this a name is a new client
CLOSE = 10.0  # a runner-up this close to the best is reported as a possible mix-up
_FORMS = re.compile(
    r"\b(?:gmbh|ggmbh|mbh|ag|kg|ohg|gbr|ug|e\s?k|e\s?v|se|corp|corporation|inc|incorporated|ltd|limited|llc|llp|plc|co"
    r"|company|sa|sarl|srl|bv|nv|ab|aps|as|oy|pty|group)\b"
)


def normalize(name: str) -> str:
    from rapidfuzz import utils

    plain = utils.default_process(name.lower().translate(_UMLAUTS))  # lower case, no punctuation
    return " ".join(_FORMS.sub(" ", plain).split()) or plain


def score(query: str, choice: str, **_: object) -> float:
    """Whole-name similarity, or a name that is all of the other's words ("Acme" for "Acme Widgets")."""
    from rapidfuzz import fuzz

    return max(fuzz.ratio(query, choice), 0.95 * fuzz.token_set_ratio(query, choice))


def match_client(name: str, clients: list[tuple[UUID, str]]) -> tuple[ClientCandidate | None, list[ClientCandidate]]:
    """(the client meant, or None for a new one; the best candidates, best first)."""
    if not clients or not name.strip():
        return None, []
    from rapidfuzz import process

    names = {i: n for i, (_, n) in enumerate(clients)}
    found = process.extract(normalize(name), names, scorer=score, processor=normalize, limit=5, score_cutoff=50)
    exact = name.strip().lower()
    ranked = sorted(found, key=lambda f: (-round(f[1], 1), clients[f[2]][1].strip().lower() != exact))
    candidates = [ClientCandidate(id=clients[key][0], name=clients[key][1], score=round(value, 1)) for _, value, key in ranked]
    best = candidates[0] if candidates and candidates[0].score >= THRESHOLD else None
    return best, candidates[:3]


def is_ambiguous(best: ClientCandidate | None, candidates: list[ClientCandidate]) -> bool:
    return best is not None and len(candidates) > 1 and candidates[1].score >= THRESHOLD and best.score - candidates[1].score < CLOSE
