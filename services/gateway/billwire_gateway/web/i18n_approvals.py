"""German for the Approvals inbox, kept apart from i18n.py's catalog; i18n.GERMAN includes it."""

from __future__ import annotations

GERMAN_APPROVALS: dict[str, str] = {
    "Approvals": "Freigaben", "Approval": "Freigabe", "approved": "Freigegeben", "rejected": "Abgelehnt",
    "expired": "Abgelaufen", "Action": "Aktion", "Asked": "Angefragt",
    "Expires": "Läuft ab", "Decided": "Entschieden", "Approve": "Freigeben", "Reject": "Ablehnen",
    "Finalize the draft": "Entwurf festschreiben", "Send by e-mail": "Per E-Mail versenden", "Cancel the invoice": "Rechnung stornieren",
    "Mark unpaid": "Als unbezahlt markieren", "Delete the draft": "Entwurf löschen", "Record a payment": "Zahlung erfassen",
    "What agents asked to do and may not do alone.": "Was Agenten tun möchten, aber nicht allein tun dürfen.",
    "Nothing waits for a decision.": "Nichts wartet auf eine Entscheidung.", "An agent asked to": "Ein Agent möchte",
    "Open the document": "Dokument öffnen", "Credit note": "Gutschrift", "Payments removed": "Entfernte Zahlungen",
    "Approving runs it now, once, exactly as shown.": "Freigeben führt es jetzt aus, einmal, genau wie gezeigt.",
    "Approved: the action ran.": "Freigegeben: die Aktion wurde ausgeführt.",
    "Rejected: nothing happens.": "Abgelehnt: es passiert nichts.", "It had expired: nothing happens.": "Sie war abgelaufen: es passiert nichts.",
    "Needs approval for": "Braucht Freigabe für",
    "Sign in to see the document and its PDF": "Anmelden, um das Dokument und sein PDF zu sehen",
}

# An approval's action as the inbox names it (English; German above).
ACTION_LABELS: dict[str, str] = {
    "finalize": "Finalize the draft", "send": "Send by e-mail", "cancel": "Cancel the invoice", "mark_unpaid": "Mark unpaid",
    "delete": "Delete the draft", "record_payment": "Record a payment",
}
