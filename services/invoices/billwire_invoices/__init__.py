"""The invoices service (python -m billwire_invoices). Its wings are packages with the same
inner rooms: handlers.py (the bus edge), rules.py (pure), sql.py (queries).

Who answers a bus subject is written on the handler itself: `@answers(subjects.X)` above the
method, so finding the subject's constant finds its handler; app.py subscribes `routes(...)` of
every wing's handlers object.
"""

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

Handler = Callable[..., Awaitable[Any]]
H = TypeVar("H", bound=Handler)
_SUBJECT = "__billwire_subject__"


def answers(subject: str) -> Callable[[H], H]:
    """Mark a handler method as the one that answers `subject` (an RPC subject of billwire_shared.subjects)."""

    def mark(method: H) -> H:
        setattr(method, _SUBJECT, subject)
        return method

    return mark


def routes(*handlers: object) -> dict[str, Handler]:
    """{subject: bound method} for every `@answers` method of the given handlers objects; a
    subject marked twice is a wiring mistake and refused."""
    table: dict[str, Handler] = {}
    for target in handlers:
        for name in dir(type(target)):
            subject = getattr(getattr(type(target), name, None), _SUBJECT, None)
            if subject is None:
                continue
            if subject in table:
                raise ValueError(f"{subject} is answered twice: by {table[subject].__qualname__} and {type(target).__qualname__}.{name}")
            table[subject] = getattr(target, name)
    return table
