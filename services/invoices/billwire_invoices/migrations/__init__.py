"""Where the invoices service keeps its tables: its Postgres schema and the `NNNN_name.sql` files
beside this module that build it, applied in order by `billwire_shared.migrate`.

A package of its own, holding no Python but these two names, so that `python -m billwire_invoices
migrate` finds them without importing the service (its handlers, FastStream and their libraries)."""

from pathlib import Path

SCHEMA = "invoices"
MIGRATIONS = Path(__file__).parent
