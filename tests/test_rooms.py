"""Every app has the same rooms (decision 0054): ``models``, ``actions`` (writes),
``selectors`` (reads that take the viewer), ``policy`` (who may), ``views``, ``forms``,
``urls``, and ``tasks`` where there is background work.

A room is a module (``reports/actions.py``), a package (``cases/views/``) or modules named by
page (``outreach/campaign_views.py``). An app without a room says why in ``MISSING``; a room
that appears makes its entry stale, and the test fails until the entry goes. No view module
is longer than ``VIEW_LINES``, with no exception: a bigger one is split by page.
"""

from __future__ import annotations

from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "ctip"
ROOMS = ("models", "actions", "selectors", "policy", "views", "forms", "urls", "tasks")
VIEW_LINES = 400

NO_BACKGROUND_WORK = "no background work"
#: app → {room: why it has none}. Everything not listed is required.
MISSING: dict[str, dict[str, str]] = {
    "core": {
        "actions": "the project's mechanisms, not a domain: the writes are the apps'",
        "selectors": "as actions",
        "policy": "the permission policy is accounts'; core only marks public views",
        "forms": "no form of its own",
    },
    "org": {
        room: "the tree alone (models, paths, integrity) below accounts and audit; its "
              "writes, reads and pages are the units app's (decision 0053)"
        for room in ("actions", "selectors", "policy", "views", "forms", "urls", "tasks")
    },
    "units": {
        "policy": "who may change a unit is accounts.policy's capabilities, checked in "
                  "units.actions",
    },
    "ops": {
        "models": "backup, restore, checks and keys over the apps' data; stores nothing",
        "actions": "its commands are the operator's writes (backup, restore, keys)",
        "selectors": "no viewer: the operator's commands read everything",
        "policy": "run by the operator on the server, no one to tell apart",
        "views": "command line only",
        "forms": "command line only",
        "urls": "command line only",
    },
    "accounts": {"tasks": NO_BACKGROUND_WORK},
    "audit": {
        room: "the trail itself (events, chain, keys, checkpoints) below accounts, which "
              "writes it; its pages and readers are the trail app's (decision 0058)"
        for room in ("selectors", "policy", "views", "forms", "urls")
    },
    "trail": {
        "models": "the trail's events are audit's models, below accounts (decision 0058)",
        "actions": "reads only: events are written by audit.actions.record",
        "policy": "its one rule (the system's own events to auditors at the top of the tree) "
                  "is selectors.events_visible_to, over accounts.policy's scopes",
        "tasks": "the daily checkpoint is audit's task",
    },
    "catalogues": {
        room: "the catalogues' models only, shared by the clubs and outreach; their pages, "
              "forms and writes are those apps' (decision 0068)"
        for room in ("actions", "selectors", "policy", "views", "forms", "urls", "tasks")
    },
    "outreach": {"tasks": NO_BACKGROUND_WORK},
    "community": {"tasks": NO_BACKGROUND_WORK},
    "portal": {
        "actions": "pages are written through Wagtail's editor and workflow, audited by "
                   "portal.audit; the public report form writes through cases.actions",
        "policy": "who edits and publishes is Wagtail's, set up in portal.permissions",
    },
    "offers": {
        "actions": "the warning signs are a Wagtail snippet edited in Wagtail; a check "
                   "writes nothing",
        "selectors": "public, no viewer: the signs are read by library.py",
        "policy": "public pages, no one to tell apart",
        "tasks": NO_BACKGROUND_WORK,
    },
    "home": {
        "models": "composes the work of the apps below it; stores nothing",
        "actions": "writes nothing",
        "selectors": "its reads are the work list (worklist.py) over the apps' selectors",
        "policy": "each card asks its own app's policy",
        "forms": "no input",
        "tasks": NO_BACKGROUND_WORK,
    },
    "api": {
        "actions": "its routers call the apps' actions; tokens are written by tokens.py",
        "selectors": "its routers call the apps' selectors",
        "policy": "each operation declares its capability (auth=needs(...)) and the apps' "
                  "selectors scope it",
        "tasks": NO_BACKGROUND_WORK,
    },
    "demo": {room: "demo data for `ctip demo`, built through the apps' actions"
             for room in ROOMS},
    "synth": {room: "synthetic data for benchmarks, built in bulk" for room in ROOMS},
}

def apps() -> list[str]:
    """The Django apps (a package with an ``apps.py``), with demo and synth; the libraries
    between the layers (``figures``, ``imports``) and ``formats`` are not apps."""
    return sorted(p.name for p in SRC.iterdir()
                  if p.is_dir() and ((p / "apps.py").exists() or p.name in {"demo", "synth"}))


def has_room(app: str, room: str) -> bool:
    folder = SRC / app
    return ((folder / f"{room}.py").exists() or (folder / room / "__init__.py").exists()
            or any(folder.glob(f"*_{room}.py")))


def view_modules() -> list[Path]:
    found = []
    for app in apps():
        folder = SRC / app
        found += [*folder.glob("views.py"), *folder.glob("*_views.py"),
                  *folder.glob("views/*.py")]
    return sorted(found)


def test_every_app_is_in_the_table_or_has_every_room() -> None:
    assert set(MISSING) <= set(apps()), f"not apps: {sorted(set(MISSING) - set(apps()))}"


@pytest.mark.parametrize("app", apps())
def test_the_app_has_its_rooms(app: str) -> None:
    missing = MISSING.get(app, {})
    assert set(missing) <= set(ROOMS), f"{app}: unknown rooms {set(missing) - set(ROOMS)}"
    absent = [room for room in ROOMS if room not in missing and not has_room(app, room)]
    assert not absent, f"{app} has no {', '.join(absent)}: add it or say why in MISSING"
    stale = [room for room in missing if has_room(app, room)]
    assert not stale, f"{app} now has {', '.join(stale)}: remove it from MISSING"


def test_no_view_module_is_too_long() -> None:
    lengths = {str(p.relative_to(SRC)): len(p.read_text(encoding="utf-8").splitlines())
               for p in view_modules()}
    assert "cases/views/case_steps.py" in lengths  # the walk sees the view packages
    assert "reports/views/dashboards.py" in lengths
    too_long = {name: n for name, n in lengths.items() if n > VIEW_LINES}
    assert not too_long, f"split these view modules by page: {too_long}"


def test_the_rooms_are_found_not_assumed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An app missing a room, or with a room its exception denies, fails."""
    app = tmp_path / "newapp"
    app.mkdir()
    for name in ("__init__", "apps", "models", "views"):
        (app / f"{name}.py").write_text("", encoding="utf-8")
    monkeypatch.setitem(globals(), "SRC", tmp_path)
    assert apps() == ["newapp"]
    with pytest.raises(AssertionError, match="has no actions, selectors, policy, forms"):
        test_the_app_has_its_rooms("newapp")
    monkeypatch.setitem(MISSING, "newapp", {room: "why" for room in ROOMS if room != "views"})
    with pytest.raises(AssertionError, match="now has models"):
        test_the_app_has_its_rooms("newapp")
