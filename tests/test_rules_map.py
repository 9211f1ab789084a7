"""One place per rule: the table "rule → the one function that decides it" in
``docs/architecture.md`` is held to the code.

For every row: the named function exists in the named module; each module of the last column
calls it; and the source holds no second implementation of the rule. A second implementation
is found by the rule's *signs* (below): the syntax a module would need to decide the rule by
itself (a capability checked by hand, a deadline compared with the clock, a tree path compared
as a string, a consent filtered by hand, a counter kept in the cache...). A sign may appear
only in the deciding module; each sign must also be found there, so a sign that no longer
recognises the rule's own code fails instead of passing in silence.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
DOC = ROOT / "docs" / "architecture.md"
HEADING = "## One place per rule"

Finder = Callable[[ast.AST], bool]


# --- The table ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    rule: str
    decider: str
    callers: tuple[str, ...]


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _dotted(cell: str) -> list[str]:
    return re.findall(r"`(ctip(?:\.\w+)+)`", cell)


@cache
def rows() -> tuple[Row, ...]:
    text = DOC.read_text(encoding="utf-8")
    assert HEADING in text, f"{DOC.name} has no section {HEADING!r}"
    section = text.split(HEADING, 1)[1].split("\n## ", 1)[0]
    found = []
    for line in section.splitlines():
        if not line.startswith("|") or set(line) <= set("|- "):
            continue
        rule, decider, callers = _cells(line)
        names = _dotted(decider)
        if rule == "rule":  # the header
            continue
        assert len(names) == 1, f"one function per rule: {line}"
        found.append(Row(rule, names[0], tuple(_dotted(callers))))
    return tuple(found)


def _split(dotted: str) -> tuple[str, str]:
    module, _, name = dotted.rpartition(".")
    return module, name


# --- The source -----------------------------------------------------------------------------

def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def source() -> dict[str, ast.Module]:
    """Every module of ``ctip`` but migrations, parsed."""
    return {_module_name(path): ast.parse(path.read_text(encoding="utf-8"))
            for path in sorted((SRC / "ctip").rglob("*.py"))
            if "migrations" not in path.parts}


def _nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """The nodes of the code, without docstrings (they may name what they do not do)."""
    for node in ast.walk(tree):
        if (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)):
            continue
        yield node


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _called(node: ast.AST) -> str:
    return _name(node.func) if isinstance(node, ast.Call) else ""


def _constants(node: ast.Call) -> set[object]:
    return {a.value for a in [*node.args, *(k.value for k in node.keywords)]
            if isinstance(a, ast.Constant)}


# --- The signs of each rule -----------------------------------------------------------------

def capability_checked(capabilities: set[str], functions: set[str], *,
                       at_a_unit: bool = False) -> Finder:
    """A call of the permission policy naming one of ``capabilities`` by hand. With
    ``at_a_unit``, only a check over a unit (three arguments) counts: "holds it somewhere"
    decides what a menu shows, not the rule."""
    def found(node: ast.AST) -> bool:
        if _called(node) not in functions or not (_constants(node) & capabilities):
            return False
        assert isinstance(node, ast.Call)
        return not at_a_unit or _called(node) != "has_capability" or len(node.args) >= 3
    return found


def compared(*names: str) -> Finder:
    """A comparison with one of ``names`` on either side."""
    def found(node: ast.AST) -> bool:
        if not isinstance(node, ast.Compare):
            return False
        sides = [node.left, *node.comparators]
        if any(isinstance(side, ast.Constant) and side.value is None for side in sides):
            return False  # "is None": whether there is one, not what it is
        return any(_name(side) in names for side in sides)
    return found


def keyword(pattern: str) -> Finder:
    """A keyword argument (a queryset filter) matching ``pattern``."""
    regex = re.compile(pattern)

    def found(node: ast.AST) -> bool:
        return isinstance(node, ast.Call) and any(
            k.arg is not None and regex.search(k.arg) for k in node.keywords)
    return found


def calls(*names: str, first: object = None) -> Finder:
    """A call of one of ``names`` (with ``first`` as its first argument, when given)."""
    def found(node: ast.AST) -> bool:
        if _called(node) not in names:
            return False
        assert isinstance(node, ast.Call)
        if first is None:
            return True
        return bool(node.args) and isinstance(node.args[0], ast.Constant) \
            and node.args[0].value == first
    return found


def on(receiver: str, *methods: str) -> Finder:
    """``receiver.method(...)`` or ``receiver.objects.method(...)``."""
    def found(node: ast.AST) -> bool:
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in methods):
            return False
        owner = node.func.value
        if isinstance(owner, ast.Attribute) and owner.attr == "objects":
            owner = owner.value
        return _name(owner) == receiver
    return found


TREE_PATHS = {"path", "unit_path", "actor_path", "handling_path", "root", "r"}


def _tree_path(node: ast.AST) -> bool:
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        return node.slice.value in TREE_PATHS
    return _name(node) in TREE_PATHS


def _address(node: ast.AST) -> bool:
    """A web address or a constant: ``request.path``, ``url_path``, ``CMS_PREFIX``, ``"/"``."""
    if isinstance(node, ast.Constant | ast.Tuple):
        return True
    name = _name(node)
    owner = node.value if isinstance(node, ast.Attribute) else None
    return (name.isupper() or name.startswith("url")
            or (owner is not None and _name(owner) in {"request", "settings"}))


def path_as_text(node: ast.AST) -> bool:
    """``x.path.startswith(y.unit_path)``: a tree path compared as a string."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "startswith" and len(node.args) == 1):
        return False
    sides = (node.func.value, node.args[0])
    return not any(_address(n) for n in sides) and any(_tree_path(n) for n in sides)


def contains(text: str) -> Finder:
    """A string in the code holding ``text`` (a piece of SQL)."""
    def found(node: ast.AST) -> bool:
        return isinstance(node, ast.Constant) and isinstance(node.value, str) \
            and text in node.value
    return found


def named(*names: str) -> Finder:
    """The name itself, or the string naming it (``apps.get_model("reports", "PeriodLock")``)."""
    def found(node: ast.AST) -> bool:
        return (isinstance(node, ast.Name) and node.id in names) or (
            isinstance(node, ast.Constant) and node.value in names)
    return found


@dataclass(frozen=True)
class Signs:
    what: str
    finders: tuple[Finder, ...]
    # Modules where the signs belong besides the decider's own (each with its reason).
    also: dict[str, str] = field(default_factory=dict)


POLICY_CALLS = {"has_capability", "scope_q", "scope_paths", "require", "capabilities_at",
                "acting_path"}

SIGNS: dict[str, Signs] = {
    "ctip.cases.policy.identity_access": Signs(
        "identity.view checked outside the policy",
        (capability_checked({"identity.view"}, POLICY_CALLS),)),
    "ctip.cases.policy.identity_level": Signs(
        "an identity level compared with the assignment by hand",
        (compared("ASSIGNED"),)),
    "ctip.cases.policy.situations_visible_to": Signs(
        "a query of situations built from situation.view",
        (capability_checked({"situation.view"}, {"scope_q"}),)),
    "ctip.cases.policy.persons_visible_to": Signs(
        "a query of cases or people built from case.view",
        (capability_checked({"case.view"}, {"scope_q"}),)),
    "ctip.reports.policy.can_approve_for": Signs(
        "report.approve checked over a unit",
        (capability_checked({"report.approve"}, POLICY_CALLS, at_a_unit=True),)),
    "ctip.reports.policy.can_submit_for": Signs(
        "report.submit checked over a unit",
        (capability_checked({"report.submit"}, {"has_capability", "require"},
                            at_a_unit=True),)),
    "ctip.cases.deadlines.fix": Signs(
        "the deadline rules read, a deadline stored in microseconds compared",
        (named("DeadlineRule"), compared("deadline_us"), calls("F", first="deadline_us")),
        also={"ctip.cases.models": "the rules' model"}),
    "ctip.cases.deadlines.is_overdue": Signs(
        "a deadline compared with the clock",
        (compared("due_at"), keyword(r"^due_at__(lt|lte|gt|gte|range)$"))),
    "ctip.figures.privacy.protect": Signs(
        "a count compared with the small-count threshold",
        (compared("THRESHOLD", "threshold"),)),
    "ctip.imports.pipeline.read_bytes": Signs(
        "a spreadsheet read for an import outside the pipeline",
        (calls("read_table", "SheetReader"),),
        also={"ctip.core.spreadsheets": "the reader itself"}),
    "ctip.portal.tasks.publish_scheduled": Signs(
        "Wagtail's scheduled publishing run, a go-live or expiry time compared",
        (calls("call_command", first="publish_scheduled"), compared("go_live_at", "expire_at"))),
    "ctip.audit.actions.record": Signs(
        "an audit event written or linked to the chain by hand",
        (calls("AuditEvent"), on("AuditEvent", "create", "bulk_create", "get_or_create",
                                 "update_or_create"), keyword(r"^prev_hash$"))),
    "ctip.audit.models.keyed_hash": Signs(
        "an event's canonical content hashed by hand",
        (calls("event_payload", "event_content"),)),
    "ctip.org.paths.Subtree": Signs(
        "a subtree queried with a prefix match or a byte-order range written again",
        (keyword(r"path__i?startswith$"), calls("upper_bound"), contains("~>=~")),
        also={"ctip.portal.setup": "Wagtail's page tree (treebeard's paths), not the units'",
              "ctip.portal.slug_repair": "Wagtail's page tree (treebeard's paths)"}),
    "ctip.org.paths.is_within": Signs(
        "a tree path compared as a string",
        (path_as_text,)),
    "ctip.core.periods.guard": Signs(
        "the period locks read outside the guard",
        (named("PeriodLock"),),
        also={"ctip.reports.models": "the locks' model",
              "ctip.reports.actions": "approval creates a lock, unlocking lifts it",
              "ctip.reports.submission_views": "a report's page shows its own lock",
              "ctip.reports.selectors": "the periods carried to a moved unit, listed for the "
                                        "unit above it to lift"}),
    "ctip.cases.actions.active_consents": Signs(
        "consents in force filtered by hand",
        (keyword(r"^withdrawn_on__isnull$"),)),
    "ctip.core.ratelimit.Limit": Signs(
        "a counter of uses kept in the cache by hand",
        (on("cache", "incr", "decr"),)),
}

# Known second implementations still to fold, each named with the rule it repeats. Empty
# is the goal; a fixed one must leave this list (the test fails on a stale entry).
KNOWN: dict[str, set[str]] = {
    # the activity import matches a campaign to a unit by its path
    "ctip.org.paths.is_within": {"ctip.outreach.activity_import"},
    # correcting and anonymising check the assignment themselves (the level is the policy's)
    "ctip.cases.policy.identity_level": {"ctip.cases.actions"},
}


@cache
def _code_nodes() -> dict[str, tuple[ast.AST, ...]]:
    """The nodes of the code of every module (``_nodes``), walked once for all the rules."""
    return {module: tuple(_nodes(tree)) for module, tree in source().items()}


def _where(finders: tuple[Finder, ...]) -> dict[str, list[int]]:
    hits: dict[str, list[int]] = {}
    for module, nodes in _code_nodes().items():
        for node in nodes:
            if any(f(node) for f in finders):
                hits.setdefault(module, []).append(getattr(node, "lineno", 0))
    return hits


# --- The tests ------------------------------------------------------------------------------

def test_the_table_names_the_rules_the_architecture_promises() -> None:
    rules = " / ".join(row.rule for row in rows())
    for words in ("identity", "approve a report", "deadline", "small-count", "import",
                  "scheduled publishing", "audit chaining", "subtree", "period lock",
                  "see a situation", "consent", "rate limits"):
        assert words in rules, f"no row for {words!r}"


def test_every_row_has_its_signs_and_every_sign_its_row() -> None:
    assert {row.decider for row in rows()} == set(SIGNS)


@pytest.mark.parametrize("row", rows(), ids=lambda r: r.decider)
def test_the_named_function_exists_where_the_table_says(row: Row) -> None:
    module_name, name = _split(row.decider)
    module = importlib.import_module(module_name)
    decider = getattr(module, name, None)
    decider = getattr(decider, "func", decider)  # a background task: the function it runs
    assert callable(decider), f"{row.decider} is not a function"
    assert inspect.getmodule(decider) is module, f"{row.decider} is only re-exported there"


def _refers(tree: ast.Module, module: str, name: str, own: bool) -> bool:
    """Whether a module imports ``name`` from ``module`` (or ``module`` itself) and uses it,
    names it in full (a task of the scheduler), or, for a lookup, filters with it."""
    if any(isinstance(n, ast.Constant) and n.value == f"{module}.{name}" for n in ast.walk(tree)):
        return True
    parent, _, leaf = module.rpartition(".")
    imported = own or _is_lookup(module, name)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names = {a.name for a in node.names}
            if (node.module == module and name in names) or (node.module == parent
                                                             and leaf in names):
                imported = True
        elif isinstance(node, ast.Import) and any(a.name == module for a in node.names):
            imported = True
    lookup = f"__{name.lower()}"  # a lookup class is used by its name in a filter
    used = any(_name(n) == name for n in _nodes(tree)) or any(
        (isinstance(n, ast.keyword) and n.arg is not None and n.arg.endswith(lookup))
        or (isinstance(n, ast.Constant) and isinstance(n.value, str) and lookup in n.value)
        for n in ast.walk(tree))
    return imported and used


def _is_lookup(module: str, name: str) -> bool:
    """A lookup is used through its field (``unit_path__subtree``), never imported."""
    from django.db.models import Lookup

    found = getattr(importlib.import_module(module), name, None)
    return isinstance(found, type) and issubclass(found, Lookup)


@pytest.mark.parametrize("row", rows(), ids=lambda r: r.decider)
def test_the_callers_named_go_through_the_decider(row: Row) -> None:
    module, name = _split(row.decider)
    assert row.callers, f"{row.decider}: name at least one module that calls it"
    for caller in row.callers:
        tree = source().get(caller)
        assert tree is not None, f"{caller} is not a module of ctip"
        assert _refers(tree, module, name, own=caller == module), \
            f"{caller} does not call {row.decider}"


@pytest.mark.parametrize("row", rows(), ids=lambda r: r.decider)
def test_no_second_implementation_of_the_rule(row: Row) -> None:
    signs = SIGNS[row.decider]
    home = _split(row.decider)[0]
    hits = _where(signs.finders)
    assert home in hits or set(signs.also) & set(hits), (
        f"the signs of {row.rule!r} ({signs.what}) no longer find the rule in {home}: "
        "they would miss a copy too")
    elsewhere = {m: lines for m, lines in hits.items() if m != home and m not in signs.also}
    known = KNOWN.get(row.decider, set())
    assert set(elsewhere) - known == set(), (
        f"{row.rule}: decided by {row.decider}, but {signs.what} in "
        + ", ".join(f"{m} (line {', '.join(map(str, lines))})"
                    for m, lines in sorted(elsewhere.items()) if m not in known))
    assert known <= set(elsewhere), f"fixed, remove from KNOWN: {sorted(known - set(elsewhere))}"


def test_a_copy_of_a_rule_is_found(tmp_path: Path) -> None:
    """The signs see a copy: a view that checks identity.view itself, compares a deadline
    with the clock and filters consents by hand is caught for each of the three rules."""
    copy = ast.parse(
        "def view(request, person, case, now):\n"
        "    if has_capability(request.user, 'identity.view', case.unit):\n"
        "        late = case.situation.due_at < now\n"
        "    return person.consents.filter(purpose='referral', withdrawn_on__isnull=True)\n")
    for decider in ("ctip.cases.policy.identity_access", "ctip.cases.deadlines.is_overdue",
                    "ctip.cases.actions.active_consents"):
        assert any(f(n) for n in _nodes(copy) for f in SIGNS[decider].finders), decider
