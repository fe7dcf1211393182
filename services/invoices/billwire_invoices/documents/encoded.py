"""Documents as the JSON a list reply carries, made once per stored version and day.

A page of 100 documents spent most of the service's time decoding each one's stored JSON into a
`Document` (its states derived as of today) only to encode it again for the reply (issue 24). An
agent or the web app reads the same first pages over and over; their documents come from here
as the bytes the reply holds (`msgspec.Raw`, written into the page as they are). The key is the
stored text itself and today's date (UTC), so a changed document is another key and the states
derived from the date are today's: an entry is never stale. The bytes are what encoding the
decoded `Document` gives, so the reply is the same byte for byte.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import UTC, date, datetime

import msgspec

from billwire_shared.contracts.documents import Document

# About 6 KB an entry (the stored text and the reply's bytes): ten pages of 100, a few MB.
ENTRIES = 1024

_decoder = msgspec.json.Decoder(Document, strict=False)
_encoder = msgspec.json.Encoder()


def decoded(text: str) -> Document:
    """A document from its stored JSON as text (`data::text`): decoded straight into the struct, half
    the time of the pool's jsonb codec making dicts that are then converted."""
    return _decoder.decode(text)


@functools.lru_cache(maxsize=ENTRIES)
def _reply_bytes(text: str, today: date) -> msgspec.Raw:
    return msgspec.Raw(_encoder.encode(decoded(text)))


def reply_items(texts: Iterable[str]) -> list[msgspec.Raw]:
    """The documents stored as `texts`, each as the JSON `msgspec` encodes its `Document` to."""
    today = datetime.now(UTC).date()
    return [_reply_bytes(text, today) for text in texts]
