"""Invoices drafted from text, and saved prompts: offers `TextHandlers` (handlers.py), the offline
`parser` and the model client (`model.py`), client matching (`client_match.py`) and the prompts' `sql`."""
