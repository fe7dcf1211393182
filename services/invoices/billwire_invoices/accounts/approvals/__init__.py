"""Approvals: actions an API key's policy holds back until a person decides (handlers.py), the
rules of who may decide and when an approved action still runs (rules.py), and the rows (sql.py)."""
