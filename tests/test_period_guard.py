"""Every action that writes a dated fact passes the one period guard (``ctip.core.periods``).

The actions are found, not listed: every public function of every ``ctip.<app>.actions``
module that runs in a transaction and names a model with a date field (in its body, its
signature or a private helper of its module it calls) must reach ``guard`` (directly or
through such a helper). A new dated action without the guard fails here. The few actions that
name a dated model without writing a dated fact are below, each with its reason."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from types import ModuleType
from typing import Any

from django.apps import apps
from django.db import models

import ctip
from ctip.core.periods import GUARDS
from ctip.core.rules import Rules

#: Actions that name a dated model but write no fact a report counts by date, with why.
NOT_DATED_WRITES = {
    "cases.actions.view_identity": "reads an identity (records the view and break-glass)",
    "cases.actions.anonymise_person": "erasure wipes texts only; every count and date stays",
    "cases.actions.approve_anonymisation": "erasure wipes texts only; every count and date stays",
    "cases.actions.record_consent": "consent is not counted in any report",
    "cases.actions.withdraw_consent": "consent is not counted in any report",
    "cases.actions.assign_workers": "who works on a case is not counted",
    "outreach.actions.create_campaign": "a campaign is a plan; its activities are the facts",
    "outreach.actions.update_campaign": "a campaign is a plan; its activities are the facts",
    "outreach.actions.set_targets": "targets are plans, not facts",
    "outreach.actions.delete_or_refuse": "deletes catalogue entries and unused campaigns only",
    "outreach.actions.set_archived": "archives catalogue entries and campaigns",
    "units.actions.merge_units": "a succession dates the restructuring of the tree; facts keep "
                               "the paths they were recorded with, so no figure moves",
    "units.actions.split_unit": "as merge_units",
    "outreach.actions.create_speaker": "a speaker's training date is not counted",
    # A report is the period's account, not a fact counted in it: an approved one is closed
    # by its own status (``_ensure_editable``), and approving and unlocking set the lock.
    "reports.actions.create_or_get_draft": "a report is the period's account, not a fact",
    "reports.actions.update_narrative": "a report is the period's account, not a fact",
    "reports.actions.add_attachment": "a report is the period's account, not a fact",
    "reports.actions.submit": "a report is the period's account, not a fact",
    "reports.actions.approve": "approval sets the period lock",
    "reports.actions.return_report": "a report is the period's account, not a fact",
    "reports.actions.unlock": "unlocking lifts the period lock",
}


def actions_modules() -> list[ModuleType]:
    found = []
    for info in pkgutil.iter_modules(ctip.__path__):
        if not info.ispkg:
            continue
        try:
            found.append(importlib.import_module(f"ctip.{info.name}.actions"))
        except ModuleNotFoundError:
            continue
    return found


def dated_models() -> set[type[models.Model]]:
    """ctip's models with a calendar date, and those dated by when they were recorded (a
    situation by the time it was received, its steps by their time). Not the units: the tree
    is not a fact, and restructuring changes no date (the facts that go with a moved unit keep
    theirs, and the periods approved above it go with it, ``core.periods.carry_locks``)."""
    found = set()
    for model in apps.get_models():
        if not model.__module__.startswith("ctip.") or model is apps.get_model("org", "Unit"):
            continue
        if any(type(f) is models.DateField for f in model._meta.get_fields()):
            found.add(model)
    found |= {apps.get_model("cases", "Situation"), apps.get_model("cases", "SituationEvent")}
    return found


def _names(node: ast.AST) -> set[str]:
    out = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            out.add(sub.id)
        elif isinstance(sub, ast.Attribute):
            out.add(sub.attr)
    return out


def _is_atomic(fn: ast.FunctionDef) -> bool:
    return any("atomic" in _names(d) for d in fn.decorator_list) or any(
        isinstance(n, ast.With) and any("atomic" in _names(i.context_expr) for i in n.items)
        for n in ast.walk(fn))


def _rule_checks(module: ModuleType, names: set[str], functions: dict[str, Any]) -> set[str]:
    """The module's functions that hold the checks of the declared rules (``core.rules.Rules``,
    decision 0050) named in ``names``: an action that runs ``RULES.check(...)`` reaches them."""
    found = set()
    for name in names:
        rules = getattr(module, name, None)
        if isinstance(rules, Rules):
            for rule in rules.rules:
                outer = getattr(rule.check, "__qualname__", "").split(".")[0]
                if outer in functions:
                    found.add(outer)
    return found


def dated_writes(module: ModuleType) -> dict[str, tuple[set[str], bool]]:
    """Public transactional functions naming a dated model: name → (models, reaches guard)."""
    tree = ast.parse(inspect.getsource(module))
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    dated = {m.__name__ for m in dated_models()
             if getattr(module, m.__name__, None) is m}
    out = {}
    for name, fn in functions.items():
        if name.startswith("_") or not _is_atomic(fn):
            continue
        seen, todo, names = {name}, [fn], set()
        while todo:
            here = _names(todo.pop())
            names |= here
            for callee in (here & functions.keys()) | _rule_checks(module, here, functions):
                if callee.startswith("_") and callee not in seen:
                    seen.add(callee)
                    todo.append(functions[callee])
        touched = names & dated
        if touched:
            out[name] = (touched, bool(names & GUARDS))
    return out


def test_every_dated_write_passes_the_guard() -> None:
    unguarded, found = [], []
    for module in actions_modules():
        app = module.__name__.split(".")[1]
        for name, (touched, guarded) in dated_writes(module).items():
            key = f"{app}.actions.{name}"
            found.append(key)
            if not guarded and key not in NOT_DATED_WRITES:
                unguarded.append(f"{key} writes {sorted(touched)} without the period guard")
    assert not unguarded, "\n".join(unguarded)
    # the discovery finds the actions of every app that holds facts
    for expected in ("outreach.actions.create_activity", "outreach.actions.delete_activity",
                     "outreach.actions.create_commendation", "community.actions.create_club",
                     "community.actions.change_club_status",
                     "community.actions.create_exchange", "cases.actions.refer",
                     "cases.actions.add_service", "cases.actions.log_visit",
                     "cases.actions.escalate", "cases.actions.create_situation",
                     "cases.actions.complete_follow_up"):
        assert expected in found
    # an exemption names an action that exists (a renamed one must leave the list)
    assert set(NOT_DATED_WRITES) <= set(found)


SOURCE = '''
from django.db import transaction
from ctip.cases.models import Service
from ctip.core.periods import guard

@transaction.atomic
def add_gift(*, actor, case, date):
    return Service.objects.create(case=case, date=date, type="travel", provider="x")

@transaction.atomic
def add_checked_gift(*, actor, case, date):
    _check(case, date)
    return Service.objects.create(case=case, date=date, type="travel", provider="x")

def _check(case, date):
    guard(unit_path=case.unit_path, dates=[date])
'''


def test_a_new_dated_action_without_the_guard_is_caught(tmp_path, monkeypatch) -> None:
    """The check itself fails on an action written without the guard."""
    (tmp_path / "ctip_fake_actions.py").write_text(SOURCE)
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("ctip_fake_actions")
    found = dated_writes(module)
    assert found["add_gift"] == ({"Service"}, False)
    assert found["add_checked_gift"] == ({"Service"}, True)
