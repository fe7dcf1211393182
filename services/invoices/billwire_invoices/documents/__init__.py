"""Clients, products and documents, the core of invoicing: offers `DocumentHandlers` and `routes`
(handlers.py), `create_draft` / `issue` / `buyer` (drafts.py), the pure `rules`, their `sql`,
`ReportHandlers` (reports.py) and the `einvoice` package."""
