"""German for the pages about people and settings (sign-in links, invitations, users, e-mail
templates, reminders, webhooks, saved prompts), kept apart from i18n.py's catalog so the two
grow without stepping on each other; English labels for the few machine words that need one."""

from __future__ import annotations

PEOPLE_ENGLISH: dict[str, str] = {
    "invitation_pending": "Pending", "invitation_used": "Accepted", "invitation_expired": "Expired",
    "invitation_revoked": "Withdrawn", "pending": "Pending",
}

# How the audit log's actions on people read in the activity list: (English, German).
PEOPLE_ACTIONS: dict[str, tuple[str, str]] = {
    "invite": ("invited", "eingeladen"), "accept": ("invitation accepted", "Einladung angenommen"),
    "revoke": ("invitation withdrawn", "Einladung zurückgezogen"), "reset_link": ("password-reset link sent", "Link zum Zurücksetzen gesendet"),
}

PEOPLE_GERMAN: dict[str, str] = {
    # sign-in links
    "Forgot password?": "Passwort vergessen?", "Send link": "Link senden", "Back to sign-in": "Zurück zur Anmeldung",
    "Enter your e-mail: we send you a link to choose a new password.": "Geben Sie Ihre E-Mail-Adresse ein: Wir senden Ihnen einen Link, mit dem Sie ein neues Passwort wählen.",
    "If this e-mail belongs to a user, a link to choose a new password is on its way. It works once, for a limited time.":
        "Wenn diese E-Mail-Adresse zu einem Benutzer gehört, ist ein Link für ein neues Passwort unterwegs. Er gilt einmal und nur für begrenzte Zeit.",
    "Too many attempts. Wait a few minutes, then try again.": "Zu viele Versuche. Bitte warten Sie ein paar Minuten und versuchen Sie es dann erneut.",
    "Choose a new password": "Neues Passwort wählen", "Set password": "Passwort setzen", "At least 10 characters.": "Mindestens 10 Zeichen.",
    "Every session of yours is signed out when the new password is set.": "Mit dem neuen Passwort werden alle Ihre Sitzungen abgemeldet.",
    "Password set. Every other session has been signed out.": "Passwort gesetzt. Alle anderen Sitzungen wurden abgemeldet.",
    "Join the account": "Dem Konto beitreten", "You are invited to": "Sie sind eingeladen zu", "as": "als", "Your name": "Ihr Name",
    "Repeat password": "Passwort wiederholen", "Join": "Beitreten", "Welcome! You have joined the account.": "Willkommen! Sie sind dem Konto beigetreten.",
    "This link cannot be used": "Dieser Link ist nicht verwendbar",
    "It has already been used: each link works only once.": "Er wurde bereits verwendet: Jeder Link gilt nur einmal.",
    "It has expired.": "Er ist abgelaufen.", "It has been withdrawn, or a newer link replaced it.": "Er wurde zurückgezogen oder durch einen neueren Link ersetzt.",
    "It is not a link we know. Check that it was copied whole.": "Diesen Link kennen wir nicht. Prüfen Sie, ob er vollständig kopiert wurde.",
    "Ask for a new password link, or ask the account's owner for a new invitation.": "Fordern Sie einen neuen Passwort-Link an oder bitten Sie den Inhaber des Kontos um eine neue Einladung.",
    "The two new passwords differ.": "Die beiden neuen Passwörter sind verschieden.",
    # users and invitations
    "Invitations": "Einladungen", "Valid until": "Gültig bis", "Withdraw": "Zurückziehen", "No invitations yet.": "Noch keine Einladungen.",
    "Invite someone": "Jemanden einladen", "Send invitation": "Einladung senden", "Language of the e-mail": "Sprache der E-Mail",
    "They get an e-mail with a link that works once; they choose their name and password themselves.": "Die Person erhält eine E-Mail mit einem Link, der einmal gilt; Name und Passwort wählt sie selbst.",
    "owner: everything. member: everything but users, API keys and webhooks. accountant: reads and exports only.": "Inhaber: alles. Mitglied: alles außer Benutzern, API-Schlüsseln und Webhooks. Buchhaltung: nur lesen und exportieren.",
    "with a first password": "mit einem ersten Passwort", "Send reset link": "Link zum Zurücksetzen senden", "Link": "Link",
    "Invitation e-mailed. Its link, shown only now, works once until": "Einladung per E-Mail versendet. Ihr Link, nur jetzt sichtbar, gilt einmal bis",
    "Password-reset link e-mailed. Shown only now, it works once until": "Link zum Zurücksetzen per E-Mail versendet. Nur jetzt sichtbar; er gilt einmal bis",
    "Invitation withdrawn.": "Einladung zurückgezogen.", "invitation_pending": "Offen", "invitation_used": "Angenommen",
    "invitation_expired": "Abgelaufen", "invitation_revoked": "Zurückgezogen", "invite": "eingeladen", "accept": "angenommen",
    "revoke": "zurückgezogen", "reset_link": "Link zum Zurücksetzen gesendet", "invitation": "Einladung",
    # e-mail templates and reminders
    "E-mail templates": "E-Mail-Vorlagen", "Placeholders": "Platzhalter", "reminders also": "Mahnungen zusätzlich", "own text": "eigener Text",
    "Each document kind's e-mail, per language. Empty fields send the built-in text, shown greyed in them.":
        "Die E-Mail jeder Dokumentart, je Sprache. Leere Felder senden den eingebauten Text, der grau darin steht.",
    "Payment reminders": "Zahlungserinnerungen", "Send payment reminders": "Zahlungserinnerungen senden", "Level": "Stufe",
    "days after due": "Tage nach Fälligkeit", "Empty: no such level.": "Leer: keine solche Stufe.",
    "An unpaid invoice gets each level's reminder once, by e-mail, that many days after its due date. The text is the reminder template of the invoice's language.":
        "Eine unbezahlte Rechnung erhält die Erinnerung jeder Stufe einmal per E-Mail, so viele Tage nach ihrer Fälligkeit. Der Text ist die Mahnungsvorlage in der Sprache der Rechnung.",
    # profile
    "Contact person": "Ansprechpartner", "Prices entered as": "Preise eingeben als", "Number series": "Nummernkreise", "Defaults": "Voreinstellungen",
    "Restart every year": "Jährlich neu beginnen", "Choose a PNG, JPEG or SVG file.": "Wählen Sie eine PNG-, JPEG- oder SVG-Datei.",
    "Tokens: {YYYY} {YY} {MM} {DD} {SEQ} {SEQ:4} (a number padded to 4 digits). Numbers are gapless per series.":
        "Platzhalter: {YYYY} {YY} {MM} {DD} {SEQ} {SEQ:4} (eine auf 4 Stellen aufgefüllte Zahl). Die Nummern sind je Kreis lückenlos.",
    # webhooks
    "Webhooks": "Webhooks", "Add webhook": "Webhook hinzufügen", "URL": "URL", "Events": "Ereignisse", "Event": "Ereignis", "Secret": "Geheimnis",
    "Signing secret": "Signaturgeheimnis", "Deliveries": "Zustellungen", "Attempts": "Versuche", "Last answer": "Letzte Antwort", "next": "nächster",
    "No webhooks yet.": "Noch keine Webhooks.", "No deliveries yet.": "Noch keine Zustellungen.", "every event": "jedes Ereignis",
    "Webhook deleted.": "Webhook gelöscht.", "pending": "Ausstehend",
    "Delete this webhook? Its pending deliveries stop.": "Diesen Webhook löschen? Seine ausstehenden Zustellungen enden.",
    "Its signing secret is shown only now. Store it where the receiver checks signatures.": "Sein Signaturgeheimnis wird nur jetzt angezeigt. Hinterlegen Sie es dort, wo der Empfänger Signaturen prüft.",
    "Each delivery is signed (Billwire-Signature) and retried for about 28 hours until the receiver answers 2xx.":
        "Jede Zustellung ist signiert (Billwire-Signature) und wird etwa 28 Stunden lang wiederholt, bis der Empfänger mit 2xx antwortet.",
    # saved prompts
    "Save as prompt": "Als Vorlage speichern", "Prompt": "Vorlage", "Labels": "Etiketten", "Separated by commas.": "Durch Kommas getrennt.",
    "Save prompt": "Vorlage speichern", "Saved prompts": "Gespeicherte Vorlagen", "All labels": "Alle Etiketten", "Run": "Ausführen",
    "Prompt saved.": "Vorlage gespeichert.", "Prompt deleted.": "Vorlage gelöscht.",
    "No saved prompts yet. Save a sentence you use often, with labels to find it again.":
        "Noch keine gespeicherten Vorlagen. Speichern Sie einen Satz, den Sie oft brauchen, mit Etiketten zum Wiederfinden.",
    # an assistant connecting through OAuth (MCP)
    "Connect an assistant": "Assistenten verbinden", "asks to work with this account's data through MCP.":
        "möchte über MCP mit den Daten dieses Kontos arbeiten.", "Assistant": "Assistent", "Returns to": "Kehrt zurück zu",
    "The assistant may": "Der Assistent darf", "Allow": "Erlauben", "Deny": "Ablehnen",
    "See clients, products, documents and reports": "Kunden, Produkte, Dokumente und Berichte ansehen",
    "Create and change clients, products and documents, finalize documents":
        "Kunden, Produkte und Dokumente anlegen und ändern, Dokumente festschreiben",
    "Send documents by e-mail": "Dokumente per E-Mail senden", "Change settings, webhooks and users": "Einstellungen, Webhooks und Benutzer ändern",
    "It gets a key that is listed under Settings, API keys, where you can revoke it at any time.":
        "Er erhält einen Schlüssel, der unter Einstellungen, API-Schlüssel steht, wo Sie ihn jederzeit widerrufen können.",
    "Tick at least one thing the assistant may do.": "Kreuzen Sie mindestens eine Sache an, die der Assistent darf.",
    "This sign-in request for an assistant has expired or was used already. Start connecting again from the assistant.":
        "Diese Anmeldeanfrage eines Assistenten ist abgelaufen oder wurde schon verwendet. Beginnen Sie das Verbinden erneut im Assistenten.",
}
