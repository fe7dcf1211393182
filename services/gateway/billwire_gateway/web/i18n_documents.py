"""German for an issued document's status on its page (sent by hand, the account's own status,
refunds, imported, cancellation and conversion links), kept apart from i18n.py's catalog so the
areas grow without stepping on each other; i18n.GERMAN includes it."""

from __future__ import annotations

GERMAN_ISSUED: dict[str, str] = {
    "imported": "Importiert", "refund_due": "Erstattung offen", "Origin": "Herkunft",
    "Imported from another system": "Aus einem anderen System importiert", "Sent": "Versendet", "by hand": "von Hand",
    "via e-mail": "per E-Mail", "Paid on": "Bezahlt am", "Own status": "Eigener Status", "Cancels": "Storniert",
    "Based on": "Basiert auf", "Converted to": "Umgewandelt in", "Cancelled by": "Storniert durch",
    "Cancellation PDF": "Storno-PDF", "Cancellation XML": "Storno-XML", "Refunded": "Erstattet", "Refund due": "Zu erstatten",
    "Paid back": "Zurückgezahlt", "Refunds": "Erstattungen", "No refunds yet.": "Noch keine Erstattungen.",
    "Mark as sent by hand": "Als von Hand versendet markieren", "Edit sent by hand": "Versand von Hand bearbeiten",
    "Posted or handed over: the document counts as sent.": "Per Post oder persönlich übergeben: das Dokument gilt als versendet.",
    "Sent on": "Versendet am", "Mark as sent": "Als versendet markieren", "Undo: not sent": "Rückgängig: nicht versendet",
    "Status name": "Statusname", "e.g. disputed": "z. B. bestritten", "Set status": "Status setzen", "Clear status": "Status entfernen",
    "Record refund": "Erstattung erfassen", "Still to pay back:": "Noch zu erstatten:",
    "A refund cannot be deleted.": "Eine Erstattung kann nicht gelöscht werden.", "Refund date": "Erstattungsdatum",
    "Its payments stay on record; to be refunded to the client:": "Die Zahlungen bleiben erfasst; dem Kunden zu erstatten:",
    "Reason (optional)": "Grund (optional)", "Cancelled.": "Storniert.", "Refund recorded.": "Erstattung erfasst.",
    "Marked as sent.": "Als versendet markiert.", "No longer marked as sent.": "Nicht mehr als versendet markiert.",
    "Status set.": "Status gesetzt.", "Status cleared.": "Status entfernt.",
    "Imported from another system (keeps its own number and issue date)":
        "Aus einem anderen System importiert (behält die eigene Nummer und das Ausstellungsdatum)",
    "Its number in the other system": "Die Nummer im anderen System",
    "Delete this payment?": "Diese Zahlung löschen?", "Payment deleted.": "Zahlung gelöscht.",
}
