"""Every page is in German and English: each English text a template or a web controller hands to
`t(...)` or a flash message has its German (the catalog falls back to the English key, so a
missing or mistyped one shows English to a German user without any error)."""

from __future__ import annotations

import re
from pathlib import Path

from billwire_gateway.web import i18n
from billwire_gateway.web.context import shortened

WEB = Path(i18n.__file__).parent
LITERAL_TEXT = re.compile(r"""\bt\(\s*(["'])((?:(?!\1).)+)\1\s*\)""")
FLASH = re.compile(r"""\bredirect\([^,()]+,\s*(["'])((?:(?!\1).)+)\1""")
SAME_IN_GERMAN = {"Bank", "CC", "Link", "Logo", "Name", "Optional", "PDF", "Status", "URL", "Webhooks"}


def english_texts() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in [*WEB.glob("templates/web/*.html"), *WEB.glob("controllers/*.py")]:
        source = path.read_text()
        for pattern in (LITERAL_TEXT, FLASH):
            for match in pattern.finditer(source):
                found.setdefault(match.group(2), path.name)
    return found


def test_every_text_on_the_pages_has_its_german() -> None:
    german = i18n.Texts("de")
    texts = english_texts()
    assert len(texts) > 300  # the patterns still find the pages' texts
    untranslated = {text: where for text, where in texts.items()
                    if german(text) == text and text not in SAME_IN_GERMAN}
    assert not untranslated, untranslated


def test_a_long_message_is_shortened_at_a_word() -> None:
    assert shortened("short enough", 20) == "short enough"
    assert shortened("the buyer's street is required; the buyer's country is required", 40) == "the buyer's street is required; the …"
