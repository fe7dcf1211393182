"""Descriptions and examples of the tools' argument fields, by field name: what schema.py adds to
each property of a generated schema the contract did not describe itself. A field a tool takes
that is missing here fails tests/e2e/test_mcp_agent.py, so every argument stays described.

The glossary is data: glossary.json, grouped by area, holds each field's [description, example]."""

from __future__ import annotations

import json
from pathlib import Path

_AREAS: dict[str, dict[str, list]] = json.loads((Path(__file__).parent / "glossary.json").read_text(encoding="utf-8"))

FIELDS: dict[str, tuple[str, object]] = {name: (description, example) for area in _AREAS.values() for name, (description, example) in area.items()}
