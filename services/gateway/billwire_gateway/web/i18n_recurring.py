"""German for the recurring-invoice pages and the draft editor (kept apart from i18n.py's catalog
so the two areas grow without stepping on each other); i18n.GERMAN includes it."""

from __future__ import annotations

GERMAN_RECURRING_AND_EDITOR: dict[str, str] = {
    "Recurring": "Wiederkehrend", "Recurring invoices": "Wiederkehrende Rechnungen", "Recurring invoice": "Wiederkehrende Rechnung",
    "New recurring invoice": "Neue wiederkehrende Rechnung", "Edit recurring invoice": "Wiederkehrende Rechnung bearbeiten",
    "Make recurring": "Wiederkehrend machen", "Schedule": "Zeitplan", "Next run": "Nächste Rechnung", "Last run": "Letzte Rechnung",
    "Invoices": "Rechnungen", "Next runs": "Nächste Rechnungen", "Invoices made": "Erstellte Rechnungen", "Issued on": "Ausgestellt am",
    "Period": "Zeitraum", "No more runs.": "Keine weiteren Rechnungen.", "No invoices yet.": "Noch keine Rechnungen.",
    "No recurring invoices yet. Open an invoice and choose “Make recurring”, or start a new one.":
        "Noch keine wiederkehrenden Rechnungen. Öffnen Sie eine Rechnung und wählen Sie „Wiederkehrend machen“, oder legen Sie eine neue an.",
    "Pause": "Pausieren", "Resume": "Fortsetzen", "End": "Beenden", "Start": "Beginn", "End date": "Enddatum",
    "Number of invoices": "Anzahl Rechnungen", "Frequency": "Rhythmus", "Every (interval)": "Alle (Intervall)",
    "Day of month": "Tag im Monat", "31 means the month's last day": "31 bedeutet den letzten Tag des Monats",
    "1: every period, 2: every other one": "1: jeden Zeitraum, 2: jeden zweiten", "Optional": "Optional",
    "After downtime": "Nach einem Ausfall", "Every missed period, oldest first": "Jeden verpassten Zeitraum, den ältesten zuerst",
    "Only the latest missed period": "Nur den letzten verpassten Zeitraum", "Each invoice": "Jede Rechnung",
    "Finalize it (it gets its number)": "festschreiben (sie erhält ihre Nummer)", "E-mail it to the client": "per E-Mail an den Kunden senden",
    "is finalized and e-mailed": "wird festgeschrieben und per E-Mail versendet", "is finalized": "wird festgeschrieben",
    "stays a draft for you to review": "bleibt ein Entwurf zur Prüfung",
    "The client's e-mail address when left empty": "Leer: die E-Mail-Adresse des Kunden", "Terms": "Konditionen",
    "For you, e.g. “Retainer Globex”": "Für Sie, z. B. „Pauschale Globex“",
    "Descriptions and notes may use {period}, {month}, {year}, {quarter}, {period_start} and {period_end}: “Retainer {month} {year}”.":
        "Beschreibungen und Anmerkungen können {period}, {month}, {year}, {quarter}, {period_start} und {period_end} enthalten: „Pauschale {month} {year}“.",
    "Press Preview to see the next invoices, their dates and totals, before anything is saved.":
        "Drücken Sie Vorschau, um die nächsten Rechnungen mit Datum und Summe zu sehen, bevor etwas gespeichert wird.",
    "End this recurring invoice? No more invoices are made from it. This cannot be undone.":
        "Diese wiederkehrende Rechnung beenden? Es werden keine Rechnungen mehr daraus erstellt. Dies kann nicht rückgängig gemacht werden.",
    "The last run could not make its invoice:": "Der letzte Lauf konnte seine Rechnung nicht erstellen:",
    "Paused: no invoices until resumed.": "Pausiert: keine Rechnungen bis zur Fortsetzung.", "Resumed.": "Fortgesetzt.",
    "Ended: no more invoices from it.": "Beendet: daraus entstehen keine Rechnungen mehr.",
    "active": "Aktiv", "paused": "Pausiert", "ended": "Beendet", "finalized": "Festgeschrieben", "abandoned": "Verworfen",
    "weekly": "Wöchentlich", "monthly": "Monatlich", "quarterly": "Vierteljährlich", "yearly": "Jährlich",
    "Product": "Produkt", "No product": "Kein Produkt", "Net or gross price": "Netto- oder Bruttopreis", "Search clients": "Kunden suchen",
    "Prices": "Preise", "Net prices (B2B)": "Nettopreise (B2B)", "Gross prices (B2C)": "Bruttopreise (B2C)",
    "Show prices and VAT on the delivery note": "Preise und USt. auf dem Lieferschein zeigen",
}
