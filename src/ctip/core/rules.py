"""The rules of an action, declared once and run in two places (decision 0050).

An action's rules are small check functions, each registered with the inputs it reads::

    ACTIVITY_RULES = Rules()

    @ACTIVITY_RULES.rule("unit", "date")
    def _period_open(unit, date):
        ensure_not_locked(unit.path, date)        # raises ActionError

The action runs them on its arguments (``ACTIVITY_RULES.run(errors, values)``, every refusal
collected in a ``RuleErrors``): the action stays the authority, and the API, the imports and
the commands call the action. A form that submits to the action declares the same rules
(``RulesForm.rules``); when one of its fields fails its own validation, the action will not
run in that round, so the form runs the rules itself on the inputs that are valid, skipping
every rule that reads an input that failed, and shows their refusals beside the field errors:
one submission, every error. When every field is valid the form runs nothing: the action
checks all its rules once.

A check returns ``None`` or a mapping of cleaned values (a text normalised, a total added
up), which ``run`` merges and returns. Keyword parameters of a check beyond the inputs it needs
(with a default) are passed when the values hold them (``current``: the record being edited;
``today``: the import's date of reference).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from ctip.core.errors import ActionError, RuleErrors, add_to_form

Check = Callable[..., Mapping[str, Any] | None]


@dataclass(frozen=True)
class Rule:
    check: Check
    needs: tuple[str, ...]
    optional: tuple[str, ...]
    field: str | None

    def inputs(self, values: Mapping[str, Any]) -> dict[str, Any] | None:
        """The keyword arguments of the check, or None when an input it needs is unknown."""
        if any(name not in values for name in self.needs):
            return None
        return {name: values[name] for name in (*self.needs, *self.optional)
                if name in values}


class Rules:
    """The rules of one action (or of a part of several actions, joined with ``+``)."""

    def __init__(self, *parts: Rules) -> None:
        self.rules: list[Rule] = [rule for part in parts for rule in part.rules]

    def __add__(self, other: Rules) -> Rules:
        return Rules(self, other)

    def rule(self, *needs: str, field: str | None = None) -> Callable[[Check], Check]:
        """Register a check reading ``needs``; ``field`` names the field of the refusals it
        raises without one."""
        def register(check: Check) -> Check:
            optional = tuple(name for name, parameter in inspect.signature(check).parameters
                             .items() if name not in needs
                             and parameter.default is not inspect.Parameter.empty)
            self.rules.append(Rule(check, needs, optional, field))
            return check
        return register

    def cleans(self, name: str, clean: Callable[[Any], Any]) -> None:
        """Register a rule of the one input ``name``: ``clean(value)`` gives back the value
        cleaned (a text normalised) or raises ``ActionError``."""
        self.rule(name, field=name)(lambda **value: {name: clean(value[name])})

    def run(self, errors: RuleErrors, values: Mapping[str, Any]) -> dict[str, Any]:
        """Run every rule whose inputs ``values`` holds; collect each refusal in ``errors``;
        return the cleaned values the checks gave back."""
        cleaned: dict[str, Any] = {}
        for rule in self.rules:
            inputs = rule.inputs(values)
            if inputs is None:
                continue
            with errors.collect(field=rule.field):
                cleaned.update(rule.check(**inputs) or {})
        return cleaned

    def check(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """``run`` on its own: raise one ``ActionError`` with every refusal."""
        errors = RuleErrors()
        cleaned = self.run(errors, values)
        errors.raise_if_any()
        return cleaned


class RulesForm:
    """A form that submits to an action whose rules are ``rules``.

    ``given`` (a keyword of the constructor) holds the action's inputs that are not fields of
    the form: the record being edited, its unit. ``rename`` maps a field's name to the action's
    input where they differ (and back, for the refusals)."""

    rules: Rules
    rename: ClassVar[dict[str, str]] = {}

    def __init__(self, *args: Any, given: Mapping[str, Any] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.given = dict(given or {})

    def rule_inputs(self) -> dict[str, Any]:
        """The action's inputs known from this submission: the valid fields and ``given``."""
        cleaned = self.cleaned_data  # type: ignore[attr-defined]
        return {self.rename.get(name, name): value for name, value in cleaned.items()} \
            | self.given

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]
        if not self._errors:  # type: ignore[attr-defined]
            return  # the action runs and checks every rule itself
        errors = RuleErrors()
        self.rules.run(errors, self.rule_inputs())
        if errors:
            back = {action: field for field, action in self.rename.items()}
            add_to_form(self, ActionError(errors=errors.errors), rename=back)
