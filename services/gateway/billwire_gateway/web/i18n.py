"""German and English for the web app: the English text is the key, the catalog holds its German;
dates, numbers and money are formatted in the user's locale by Babel. Document titles come from
`billwire_shared.document_titles`, the table the PDFs and e-mails print, so the web never names a
document type differently."""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta
from decimal import Decimal

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal

from billwire_gateway.web.i18n_approvals import GERMAN_APPROVALS
from billwire_gateway.web.i18n_documents import GERMAN_ISSUED
from billwire_gateway.web.i18n_recurring import GERMAN_RECURRING_AND_EDITOR
from billwire_gateway.web.texts_people import PEOPLE_ACTIONS, PEOPLE_ENGLISH, PEOPLE_GERMAN
from billwire_shared.document_titles import TITLES

LOCALES = {"en": "en_GB", "de": "de_DE"}

GERMAN: dict[str, str] = {
    "Sign in": "Anmelden", "Sign out": "Abmelden", "E-mail": "E-Mail", "Password": "Passwort",
    "E-mail or password is not right.": "E-Mail oder Passwort ist nicht richtig.",
    "Too many sign-in attempts. Wait a few minutes, then try again.": "Zu viele Anmeldeversuche. Bitte warten Sie ein paar Minuten und versuchen Sie es dann erneut.",
    "Change password": "Passwort ändern", "Current password": "Aktuelles Passwort", "New password": "Neues Passwort",
    "Repeat new password": "Neues Passwort wiederholen", "The two new passwords differ.": "Die beiden neuen Passwörter sind verschieden.",
    "Choose your own password before you continue.": "Bitte wählen Sie ein eigenes Passwort, bevor Sie fortfahren.",
    "Password changed. Every other session has been signed out.": "Passwort geändert. Alle anderen Sitzungen wurden abgemeldet.",
    "Overview": "Übersicht", "Documents": "Dokumente", "Clients": "Kunden", "Products": "Produkte", "Settings": "Einstellungen",
    "Outstanding": "Offen", "Overdue": "Überfällig", "Paid this month": "Diesen Monat bezahlt",
    "Revenue per month": "Umsatz pro Monat", "Latest activity": "Letzte Aktivität", "Nothing yet.": "Noch nichts.",
    "New invoice": "Neue Rechnung", "New document": "Neues Dokument", "New client": "Neuer Kunde", "New product": "Neues Produkt",
    "Number": "Nummer", "Client": "Kunde", "Date": "Datum", "Due": "Fällig", "Total": "Gesamt", "Status": "Status", "Type": "Typ",
    "Search": "Suchen", "Filter": "Filtern", "All": "Alle", "From": "Von", "To": "Bis", "Sort": "Sortierung",
    "Newest first": "Neueste zuerst", "Oldest first": "Älteste zuerst", "Date, newest": "Datum, neueste", "Date, oldest": "Datum, älteste",
    "Number, descending": "Nummer, absteigend", "Number, ascending": "Nummer, aufsteigend",
    "Previous": "Zurück", "Next": "Weiter", "No documents match.": "Keine passenden Dokumente.",
    # Document types by their machine names ("credit_note"), and one by its English title, from the one title table.
    **TITLES["de"], TITLES["en"]["credit_note"]: TITLES["de"]["credit_note"],
    "draft": "Entwurf", "open": "Offen", "paid": "Bezahlt", "cancelled": "Storniert", "sent": "Versendet",
    "partially_paid": "Teilweise bezahlt", "overdue": "Überfällig", "unpaid": "Unbezahlt",
    "queued": "Wartend", "sending": "Wird gesendet", "delivered": "Zugestellt", "failed": "Fehlgeschlagen",
    "Draft": "Entwurf", "Lines": "Positionen", "Description": "Beschreibung", "Quantity": "Menge", "Unit": "Einheit",
    "Unit price": "Einzelpreis", "Tax rate": "Steuersatz", "Discount %": "Rabatt %", "Amount": "Betrag",
    "Net": "Netto", "Tax": "Steuer", "Gross": "Brutto", "Paid": "Bezahlt", "Balance due": "Offener Betrag",
    "From (seller)": "Von (Verkäufer)", "Bill to": "Rechnungsempfänger", "Issue date": "Rechnungsdatum",
    "Due date": "Fälligkeitsdatum", "Service date": "Leistungsdatum", "Payment terms (days)": "Zahlungsziel (Tage)",
    "Notes": "Anmerkungen", "Introduction": "Einleitung", "Language": "Sprache", "Currency": "Währung", "Export type": "Exportformat",
    "Edit": "Bearbeiten", "Save": "Speichern", "Save draft": "Entwurf speichern", "Cancel": "Abbrechen", "Delete": "Löschen",
    "Finalize": "Festschreiben", "Send": "Senden", "Send by e-mail": "Per E-Mail senden", "Recipient": "Empfänger", "CC": "CC",
    "Subject": "Betreff", "Message": "Nachricht", "Record payment": "Zahlung erfassen", "Payments": "Zahlungen",
    "Mark paid": "Als bezahlt markieren", "Mark unpaid": "Als unbezahlt markieren", "Cancel invoice": "Rechnung stornieren",
    "Reason": "Grund", "Duplicate": "Duplizieren", "Convert to invoice": "In Rechnung umwandeln",
    "Download PDF": "PDF herunterladen", "Download XML": "XML herunterladen", "History": "Verlauf", "Sends": "Versand",
    "Method": "Art", "Reference": "Referenz", "No payments yet.": "Noch keine Zahlungen.", "Not sent yet.": "Noch nicht versendet.",
    "This cannot be undone.": "Dies kann nicht rückgängig gemacht werden.",
    "Finalizing gives the document its number; it can no longer be edited.": "Beim Festschreiben erhält das Dokument seine Nummer; danach ist es nicht mehr änderbar.",
    "Cancelling creates a credit note over": "Die Stornierung erstellt eine Gutschrift über",
    "Add line": "Position hinzufügen", "Remove": "Entfernen", "Choose a client": "Kunde wählen", "or a new client": "oder neuer Kunde",
    "Name": "Name", "Street": "Straße", "ZIP": "PLZ", "City": "Ort", "Country": "Land", "VAT ID": "USt-IdNr.", "Phone": "Telefon",
    "Client number": "Kundennummer", "Title": "Bezeichnung", "Price": "Preis", "Price is gross": "Preis ist brutto",
    "No clients yet.": "Noch keine Kunden.", "No products yet.": "Noch keine Produkte.", "Balance": "Saldo",
    "Company profile": "Unternehmensprofil", "API keys": "API-Schlüssel", "Company name": "Firmenname", "Tax number": "Steuernummer",
    "Account holder": "Kontoinhaber", "Bank": "Bank", "Default tax rate": "Standard-Steuersatz", "Legal footer": "Rechtlicher Fußtext",
    "Logo": "Logo", "Upload logo": "Logo hochladen", "Saved.": "Gespeichert.",
    "Create key": "Schlüssel erstellen", "Scopes": "Berechtigungen", "Revoke": "Widerrufen", "Revoked": "Widerrufen", "Active": "Aktiv",
    "Created": "Erstellt", "Copy": "Kopieren", "Copied": "Kopiert",
    "This key is shown only now. Store it somewhere safe.": "Dieser Schlüssel wird nur jetzt angezeigt. Bewahren Sie ihn sicher auf.",
    "Page not found": "Seite nicht gefunden", "There is nothing at this address, or it is not yours to see.": "Unter dieser Adresse gibt es nichts, oder Sie dürfen es nicht sehen.",
    "Something went wrong": "Etwas ist schiefgelaufen", "Request id": "Anfrage-ID",
    "We could not finish this. It has been logged; please try again.": "Das konnte nicht abgeschlossen werden. Der Fehler wurde protokolliert; bitte versuchen Sie es erneut.",
    "Back to the overview": "Zurück zur Übersicht", "Please correct the marked fields.": "Bitte korrigieren Sie die markierten Felder.",
    "by": "von", "API key": "API-Schlüssel", "system": "System", "Skip to content": "Zum Inhalt springen",
    "created": "erstellt", "updated": "geändert", "deleted": "gelöscht", "finalize": "festgeschrieben", "create": "erstellt",
    "update": "geändert", "delete": "gelöscht", "send": "versendet", "cancel": "storniert", "payment": "Zahlung",
    "change_password": "Passwort geändert", "reset_password": "Passwort zurückgesetzt", "disable": "deaktiviert",
    "document": "Dokument", "client": "Kunde", "product": "Produkt", "profile": "Profil", "user": "Benutzer",
    "Your role may not do this.": "Ihre Rolle darf das nicht.", "Done.": "Erledigt.",
    "Sent to the mail relay.": "An den Mailserver übergeben.", "Payment recorded.": "Zahlung erfasst.",
    "Signed out.": "Abgemeldet.", "Your session has ended. Please sign in again.": "Ihre Sitzung ist abgelaufen. Bitte melden Sie sich erneut an.",
    "This form has expired. Please try again.": "Dieses Formular ist abgelaufen. Bitte versuchen Sie es erneut.",
    "Totals": "Summen", "Document": "Dokument", "Preview": "Vorschau", "Actions": "Aktionen", "Back": "Zurück",
    "Invoices, estimates and credit notes": "Rechnungen, Angebote und Gutschriften", "Deutsch": "Deutsch", "English": "English",
    "Open invoices": "Offene Rechnungen", "bank_transfer": "Überweisung", "cash": "Bar", "card": "Karte", "paypal": "PayPal",
    "direct_debit": "Lastschrift", "other": "Sonstige", "From your e-mail template": "Aus Ihrer E-Mail-Vorlage", "Reminders": "Mahnungen",
    "Draft from text": "Entwurf aus Text", "What should the invoice say?": "Was soll auf der Rechnung stehen?",
    "Not understood": "Nicht verstanden",
    "Language model (optional)": "Sprachmodell (optional)", "Model, or the URL of an OpenAI-compatible API": "Modell oder URL einer OpenAI-kompatiblen API",
    "Model at that URL": "Modell unter dieser URL", "Read by the language model.": "Vom Sprachmodell gelesen.",
    "Used for this request only: never stored, logged or shown again. Enter it again to save with the model.":
        "Nur für diese Anfrage: nie gespeichert, protokolliert oder wieder angezeigt. Zum Speichern mit dem Modell erneut eingeben.",
    "Write a sentence and press Preview: nothing is stored until you save.": "Schreiben Sie einen Satz und drücken Sie Vorschau: gespeichert wird erst beim Speichern.",
    "Role": "Rolle", "Users": "Benutzer", "Add user": "Benutzer hinzufügen", "Reset password": "Passwort zurücksetzen",
    "Disable": "Deaktivieren", "Disabled": "Deaktiviert", "Last sign-in": "Letzte Anmeldung", "owner": "Inhaber",
    "member": "Mitglied", "accountant": "Buchhaltung", "You": "Sie",
    "First password, shown only now; it must be changed at the first sign-in:": "Erstes Passwort, nur jetzt sichtbar; es muss bei der ersten Anmeldung geändert werden:",
    "Disable this user? Their sessions end at once.": "Diesen Benutzer deaktivieren? Seine Sitzungen enden sofort.", "Signed in as": "Angemeldet als", "net": "netto", "gross": "brutto", "Recalculate": "Neu berechnen",
    "API reference": "API-Referenz", "Invoices sent by you and your agents, in one place.": "Rechnungen von Ihnen und Ihren Agenten, an einem Ort.",
    "Delete payment": "Zahlung löschen", "Payment date": "Zahlungsdatum", "Documents of this client": "Dokumente dieses Kunden",
    "Delete this client?": "Diesen Kunden löschen?", "Delete this draft?": "Diesen Entwurf löschen?",
    "Record the full balance of": "Den gesamten offenen Betrag erfassen:", "Remove every payment of this invoice?": "Alle Zahlungen dieser Rechnung entfernen?",
    "Send this document to": "Dieses Dokument senden an", "Revoke this key? Agents using it stop working at once.": "Diesen Schlüssel widerrufen? Agenten, die ihn nutzen, funktionieren sofort nicht mehr.",
}

GERMAN.update(GERMAN_RECURRING_AND_EDITOR)
GERMAN.update(GERMAN_ISSUED)
GERMAN.update(GERMAN_APPROVALS)

# How the audit log's actions read in the activity list: (English, German).
ACTIONS: dict[str, tuple[str, str]] = {
    "create": ("created", "erstellt"), "update": ("changed", "geändert"), "delete": ("deleted", "gelöscht"),
    "finalize": ("finalized", "festgeschrieben"), "cancel": ("cancelled", "storniert"), "payment": ("payment recorded", "Zahlung erfasst"),
    "payment-delete": ("payment deleted", "Zahlung gelöscht"), "mark-paid": ("marked paid", "als bezahlt markiert"),
    "unpay": ("marked unpaid", "als unbezahlt markiert"), "send": ("sent", "versendet"), "overdue": ("overdue", "überfällig"),
    "reminder": ("reminder queued", "Mahnung vorgemerkt"), "reminder-sent": ("reminder sent", "Mahnung versendet"),
    "change_password": ("changed their password", "Passwort geändert"), "reset_password": ("password reset", "Passwort zurückgesetzt"),
    "disable": ("disabled", "deaktiviert"), "end": ("ended", "beendet"),
    "import": ("imported", "importiert"), "mark-sent": ("marked sent", "als versendet markiert"),
    "unmark-sent": ("no longer marked sent", "nicht mehr als versendet markiert"),
    "custom-status": ("status set", "Status gesetzt"), "refund": ("refund recorded", "Erstattung erfasst"),
    "convert": ("converted into an invoice", "in eine Rechnung umgewandelt"),
}


def _readable(key: str) -> str:
    """`partially_paid` → `Partially paid`: machine words as English labels."""
    return key.replace("_", " ").replace("-", " ").capitalize()


class Texts:
    """`t("Sign in")` in the user's language."""

    def __init__(self, language: str) -> None:
        self.language = language if language in LOCALES else "en"
        self.locale = LOCALES[self.language]

    def __call__(self, text: str) -> str:
        if self.language == "de":
            return GERMAN.get(text) or PEOPLE_GERMAN.get(text, text)
        if text in PEOPLE_ENGLISH:
            return PEOPLE_ENGLISH[text]
        return _readable(text) if text.islower() and " " not in text and "." not in text else text

    def action(self, name: str) -> str:
        english, german = ACTIONS.get(name) or PEOPLE_ACTIONS.get(name, (name.replace("_", " "), name.replace("_", " ")))
        return german if self.language == "de" else english

    def money(self, amount: Decimal | str | None, currency: str) -> str:
        if amount is None or amount == "":
            return "–"
        return _money(str(amount), currency, self.language)

    def number(self, value: Decimal | str | int | None) -> str:
        if value is None:
            return "–"
        return _number(str(value), self.language)

    def date(self, value: date | datetime | str | None) -> str:
        if not value:
            return "–"
        if isinstance(value, str):
            value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        return _date(value, self.language)

    def datetime(self, value: datetime | str | None) -> str:
        if not value:
            return "–"
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return _datetime(value, value.utcoffset(), self.language)

    def month(self, value: date) -> str:
        return _month(value, self.language)


# Babel's formatting, memoized: a page formats dozens of amounts and dates, and the same ones again
# and again (each list row's dates, a document's totals); each result depends only on the arguments.
# The locales are parsed once (Babel parses a locale name on every call it is given one).
BABEL_LOCALES = {language: Locale.parse(name) for language, name in LOCALES.items()}


@functools.lru_cache(maxsize=8192)
def _money(amount: str, currency: str, language: str) -> str:
    return format_currency(Decimal(amount), currency, locale=BABEL_LOCALES[language])


@functools.lru_cache(maxsize=4096)
def _number(value: str, language: str) -> str:
    return format_decimal(Decimal(value), locale=BABEL_LOCALES[language])


@functools.lru_cache(maxsize=4096)
def _date(value: date, language: str) -> str:
    return format_date(value, format="medium", locale=BABEL_LOCALES[language])


@functools.lru_cache(maxsize=4096)
def _datetime(value: datetime, offset: timedelta | None, language: str) -> str:
    """Times of the activity lists and a document's history: the same few on every view of a page.
    Printed in the value's own offset, which is part of the key: aware datetimes of one instant are
    equal whatever their offsets."""
    return format_datetime(value, format="short", locale=BABEL_LOCALES[language], tzinfo=None)


@functools.lru_cache(maxsize=64)
def _month(value: date, language: str) -> str:
    return format_date(value, format="MMM yy", locale=BABEL_LOCALES[language])
