"""Errors raised by actions. Their messages are for the person: translated, plain, specific.

An action checks every rule it can before it answers, so that one submission reports every
problem at once: it collects the violations in a ``RuleErrors`` and raises them together as
one ``ActionError`` carrying several ``(field, message)`` pairs. ``add_to_form`` attaches each
of them to its field of a Django form (the summary at the top lists them all); the API lists
them in its problem+json answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import OperationalError

Problem = tuple[str | None, Any]


class ActionError(Exception):
    """A write that the rules refuse. ``message`` is shown to the user as is.

    ``errors`` holds every ``(field, message)`` pair refused; ``field`` and ``message`` are
    the first one's field and all the messages joined, for callers that show a single line.
    """

    def __init__(self, message: Any = None, *, field: str | None = None,
                 errors: Iterable[Problem] | None = None) -> None:
        pairs: list[Problem] = list(errors) if errors is not None else [(field, message)]
        if not pairs:
            raise ValueError("an ActionError needs at least one message")
        self.errors = pairs
        self.field = pairs[0][0]
        self.message = (pairs[0][1] if len(pairs) == 1
                        else " ".join(str(text) for _, text in pairs))
        super().__init__(self.message)

    @property
    def messages(self) -> list[str]:
        return [str(text) for _, text in self.errors]

    def __str__(self) -> str:
        return str(self.message)


class RuleErrors:
    """The violations of one submission, collected so that they are reported together::

        errors = RuleErrors()
        errors.check(start <= end, _("The end is before the start."), field="ends_on")
        with errors.collect():
            check_numbers(...)          # raises ActionError: collected, not propagated
        errors.raise_if_any()
    """

    def __init__(self) -> None:
        self.errors: list[Problem] = []

    def __bool__(self) -> bool:
        return bool(self.errors)

    def add(self, message: Any, *, field: str | None = None) -> None:
        self.errors.append((field, message))

    def check(self, ok: object, message: Any, *, field: str | None = None) -> bool:
        """Record ``message`` unless ``ok``; return whether the rule held."""
        if not ok:
            self.add(message, field=field)
        return bool(ok)

    def has(self, field: str) -> bool:
        return any(name == field for name, _ in self.errors)

    @contextmanager
    def collect(self, *, field: str | None = None) -> Iterator[None]:
        """Run a block whose ``ActionError`` is recorded instead of raised (the block stops
        at its first error, the caller goes on with the next rule). ``field`` names the field
        of the problems the block raises without one."""
        try:
            yield
        except ActionError as exc:
            self.errors.extend((name or field, message) for name, message in exc.errors)

    def clean_each(self, rows: Iterable[tuple[Any, ...]]) -> dict[str, Any]:
        """For each ``(field, clean, *args)``, ``clean(*args, field=field)``: the values that
        pass by field, every refusal collected."""
        values = {}
        for field, clean, *args in rows:
            with self.collect():
                values[field] = clean(*args, field=field)
        return values

    def raise_if_any(self) -> None:
        if self.errors:
            raise ActionError(errors=self.errors)


def add_to_form(form: Any, exc: ActionError, *, default: str | None = None,
                rename: dict[str, str] | None = None) -> None:
    """Attach every problem of ``exc`` to its field of ``form`` (``default``, else the form as
    a whole, when the field is not one of the form's). ``rename`` maps the action's names to
    the form's where they differ."""
    for field, message in exc.errors:
        field = (rename or {}).get(field or "", field)
        name = field if field in form.fields else (default if default in form.fields else None)
        if name is not None and form.errors.get(name) and message in form.errors[name]:
            continue
        form.add_error(name, message)


class NotInScope(Exception):  # noqa: N818  (a refusal, not a bug)
    """The object does not exist for this user. Views turn it into 404. (Defined here, below
    every app, so that any layer may refuse; ``ctip.accounts.policy`` re-exports it.)"""


# PostgreSQL's codes for a request that could not get its turn: a deadlock, a serialization
# failure, a lock not available (lock_timeout), a statement cancelled (statement_timeout), too
# many connections, the server starting
BUSY_SQLSTATES = frozenset({"40P01", "40001", "55P03", "57014", "53300", "57P03"})
BUSY_RETRY_SECONDS = 60  # what a busy answer asks to wait (Retry-After): "a minute"


def busy(exc: BaseException | None) -> bool:
    """The database refused a write for want of its turn (SQLite's lock held past the busy
    timeout, PostgreSQL's deadlock or lock timeout): the request may succeed a minute later
    (decision 0105)."""
    if not isinstance(exc, OperationalError):
        return False
    return ("database is locked" in str(exc)
            or getattr(exc.__cause__, "sqlstate", None) in BUSY_SQLSTATES)
