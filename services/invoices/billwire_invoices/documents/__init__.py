"""Clients, products and documents, the core of invoicing: offers `DocumentHandlers` (handlers.py),
`create_draft` / `issue` / `buyer` / `locked_document` (drafts.py), the pure `rules`, their `sql`,
`ReportHandlers` (reports.py), the web app's `overview` and the `einvoice` package."""
