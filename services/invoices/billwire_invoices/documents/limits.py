"""How large a document may be (settings), checked where drafts are made and changed, so every
way in (REST, MCP, the web app, drafting from text, recurring templates) refuses the same: a
draft of hundreds of pages would hold the renderer for seconds each time it is printed. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from billwire_shared.errors import FieldError

MAX_REPORTED = 20  # field errors named at most, of lines over the character limit


@dataclass(frozen=True)
class DocumentLimits:
    max_lines: int = 300  # lines per document
    max_line_chars: int = 1000  # characters of one line's description


def size_problems(lines: Sequence[Any] | None, limits: DocumentLimits) -> list[FieldError]:
    """The lines over a limit, each named with the limit it breaks; nothing for no lines given."""
    if not isinstance(lines, Sequence):  # not given (None, or UNSET in a patch)
        return []
    problems: list[FieldError] = []
    if len(lines) > limits.max_lines:
        problems.append(FieldError(
            field="lines", rule="document_max_lines",
            message=f"at most {limits.max_lines} lines per document (the limit document_max_lines); this has {len(lines)}",
        ))
    for index, line in enumerate(lines):
        description = line.get("description") if isinstance(line, dict) else getattr(line, "description", None)
        if description is not None and len(description) > limits.max_line_chars:
            problems.append(FieldError(
                field=f"lines[{index}].description", rule="document_line_max_chars",
                message=f"at most {limits.max_line_chars} characters per line (the limit document_line_max_chars); "
                        f"this has {len(description)}",
            ))
            if len(problems) >= MAX_REPORTED:
                break
    return problems
