"""Errors raised by actions. Their messages are for the person: translated, plain, specific."""

from __future__ import annotations


class ActionError(Exception):
    """A write that the rules refuse. ``message`` is shown to the user as is."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return str(self.message)


class NotInScope(Exception):  # noqa: N818  (a refusal, not a bug)
    """The object does not exist for this user. Views turn it into 404. (Defined here, below
    every app, so that any layer may refuse; ``ctip.accounts.policy`` re-exports it.)"""
