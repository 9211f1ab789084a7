"""Every view that creates a record does it once per form key (``core.idempotency``).

The views are found, not listed: every function of every ``ctip.<app>.*views*`` module that
calls a creating action (a public function of an ``actions`` module -- or the token and report
modules below -- whose name starts with one of ``CREATING``) must pass it through
``submit_form_once`` / ``submit_once``, directly or through a helper of its module that does
(the call to the helper then names a ``scope``: ``run_once``), or be an undecorated helper
called only by views that do. A new create view
without the key fails here; so does a creating form without the field (``form_key`` raises).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from types import ModuleType

import ctip

CREATING = re.compile(r"^(create|add|open|log|refer|record|new)(_|$)")
WRAPPERS = {"submit_form_once", "submit_once", "run_once"}

#: Creating actions called from views that need no key, with why.
NOT_FORM_CREATES = {
    "add_attachment": "files added while editing an existing activity: the edit page adds "
                      "them beside an update, and a repeat shows both files to delete one",
    "create_or_get_draft": "a report draft is unique per unit, type and period (database "
                           "constraint): a repeat gets the same draft",
    "record_user_viewed": "records a view, creates nothing",
    "record": "writes the audit trail's event of a view or an export, creates nothing",
}


def _modules(suffix: str) -> list[ModuleType]:
    found = []
    for info in pkgutil.walk_packages(ctip.__path__, "ctip."):
        # the module's name, or a package's (``cases/views/detail.py`` is a view module)
        names = info.name.split(".")[2:]
        if any(re.search(suffix, name) for name in names) and "migrations" not in info.name:
            found.append(importlib.import_module(info.name))
    return found


def creating_actions() -> set[str]:
    names = set()
    for module in _modules(r"^actions$|^tokens$"):
        for name, obj in vars(module).items():
            if (inspect.isfunction(obj) and obj.__module__ == module.__name__
                    and not name.startswith("_") and CREATING.match(name)):
                names.add(name)
    return names - set(NOT_FORM_CREATES)


def _called(node: ast.AST) -> list[ast.Call]:
    return [n for n in ast.walk(node) if isinstance(n, ast.Call)]


def _name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def offenders() -> list[str]:
    creating = creating_actions()
    bad = []
    for module in _modules(r"views"):
        tree = ast.parse(inspect.getsource(module))
        top = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
        wrapping = {name for name, fn in top.items()
                    if any(_name(c) in WRAPPERS for c in _called(fn))}
        for name, fn in top.items():
            calls = _called(fn)
            creates = {_name(c) for c in calls} & creating
            if not creates or name in wrapping and any(
                    _name(c) in WRAPPERS for c in calls):
                continue
            helpers = [c for c in calls if _name(c) in wrapping]
            if helpers and all(any(k.arg == "scope" for k in c.keywords) for c in helpers):
                continue
            users = [other for other_name, other in top.items() if other_name != name
                     and any(isinstance(n, ast.Name) and n.id == name
                             for n in ast.walk(other))]
            if not fn.decorator_list and users and all(u.name in wrapping for u in users):
                continue  # a private helper, called only inside a wrapper
            bad.append(f"{module.__name__}.{name} calls {sorted(creates)} without a key")
    return bad


def test_every_create_view_submits_once() -> None:
    assert len(creating_actions()) > 15
    found = offenders()
    assert not found, "\n".join(found)


def test_the_discovery_sees_a_create_without_the_key(tmp_path: object) -> None:
    """A view calling a create action bare is caught (the check above can fail)."""
    source = ("def bad(request):\n    actions.create_club(actor=request.user)\n"
              "def good(request):\n    submit_form_once(form, actor=1, scope='x', "
              "create=lambda: actions.create_club(actor=1))\n")
    tree = ast.parse(source)
    creating = creating_actions()
    flagged = [fn.name for fn in tree.body if isinstance(fn, ast.FunctionDef)
               and {_name(c) for c in _called(fn)} & creating
               and not any(_name(c) in WRAPPERS for c in _called(fn))]
    assert flagged == ["bad"]
