"""Where the invoices service keeps its tables: its Postgres schema and the SQL files that build it.

A module of its own so that `python -m billwire_invoices migrate` finds them without importing
the service (its handlers, FastStream and their libraries)."""

from pathlib import Path

SCHEMA = "invoices"
MIGRATIONS = Path(__file__).parent / "migrations"
