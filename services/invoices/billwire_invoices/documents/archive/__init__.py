"""The archive wing: a year's payments and audit log in pages, for the tax-audit ZIP (GoBD).

Offers `ArchiveHandlers` (the bus edge) and `sql` (its two keyset queries)."""
