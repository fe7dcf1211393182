"""An account's e-mail settings and texts (templates, payment reminder levels): offers
`EmailSettingsHandlers` (handlers.py), the pure `templates` and `reminders` rules, and their `sql`."""
