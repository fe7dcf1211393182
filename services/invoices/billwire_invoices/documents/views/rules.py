"""Which parts a document's page shows, by its state (pure): the page's one read fetches every part, the view keeps these."""

from __future__ import annotations

from billwire_shared.contracts.documents import Document


def parts_of(doc: Document, with_send_preview: bool) -> frozenset[str]:
    """Sends once issued; payments of an issued invoice; refunds of a cancelled document that owes
    or paid some back; the send form's preview for an open document, when the reader may send."""
    issued = doc.status != "draft"
    parts = set()
    if issued:
        parts.add("sends")
    if issued and doc.type == "invoice":
        parts.add("payments")
    if doc.status == "cancelled" and (doc.refund_due is not None or doc.amount_refunded > 0):
        parts.add("refunds")
    if with_send_preview and doc.status == "open":
        parts.add("send_preview")
    return frozenset(parts)
