"""Consistency checks of the tree (``ctip units check``)."""

from __future__ import annotations

from typing import Any

from django.db.models import F, OuterRef, Q, Subquery

from ctip.org.models import PATH_SEPARATOR, Unit
from ctip.org.paths import MOVING, records_handled_at, unit_field_of
from ctip.org.signals import paths_repaired


def check_tree() -> list[str]:
    """Return a description of every inconsistency in paths, depths and closed units."""
    problems: list[str] = []
    rows = {
        pk: (parent_id, path, depth, closed_on, name)
        for pk, parent_id, path, depth, closed_on, name in Unit.objects.values_list(
            "pk", "parent_id", "path", "depth", "closed_on", "name"
        ).iterator(chunk_size=5000)
    }
    for pk, (parent_id, path, depth, closed_on, name) in rows.items():
        label = f"#{pk} {name}"
        if parent_id is None:
            expected_path, expected_depth = f"{PATH_SEPARATOR}{pk}{PATH_SEPARATOR}", 0
        else:
            parent = rows.get(parent_id)
            if parent is None:
                problems.append(f"{label}: parent #{parent_id} does not exist")
                continue
            expected_path = f"{parent[1]}{pk}{PATH_SEPARATOR}"
            expected_depth = parent[2] + 1
            if closed_on is None and parent[3] is not None:
                problems.append(
                    f"{label}: open, but its parent #{parent_id} {parent[4]} is closed"
                )
        if path != expected_path:
            problems.append(f"{label}: path {path!r} should be {expected_path!r}")
        if depth != expected_depth:
            problems.append(f"{label}: depth {depth} should be {expected_depth}")
    return problems + stale_records()


def _stale(model: Any, name: str, unit: str) -> Any:
    return model._base_manager.exclude(**{name: F(f"{unit}__path")})


def _copied(model: Any, name: str) -> list[tuple[str, Any]]:
    """(relation, the rows whose ``name`` is not that related record's ``unit_path``), for a
    path copied from the first set one of ``copies``."""
    field = model._meta.get_field(name)
    out, unset = [], Q()
    for relation in getattr(field, "copies", ()):
        rows = (model._base_manager.filter(unset, **{f"{relation}__isnull": False})
                .exclude(**{name: F(f"{relation}__unit_path")}))
        out.append((relation, rows))
        unset &= Q(**{f"{relation}__isnull": True})
    return out


def repair_stale_records() -> dict[str, int]:
    """Write each stale record's unit's path into it (``stale_records``), in one statement per
    table; how many per table."""
    repaired = {}
    for model, name in records_handled_at(lambda m: m is not Unit, MOVING):
        unit = unit_field_of(model, name)
        if unit is not None:
            count = _stale(model, name, unit).update(**{name: Subquery(
                Unit.objects.filter(pk=OuterRef(f"{unit}_id")).values("path")[:1])})
            if count:  # what is summed from them is made again (``signals.paths_repaired``)
                paths_repaired.send(sender=model, count=count)
                repaired[f"{model._meta.label}.{name}"] = count
            continue
        for relation, rows in _copied(model, name):
            source = model._meta.get_field(relation).related_model
            count = rows.update(**{name: Subquery(source._base_manager.filter(
                pk=OuterRef(f"{relation}_id")).values("unit_path")[:1])})
            if count:
                key = f"{model._meta.label}.{name}"
                repaired[key] = repaired.get(key, 0) + count
    return repaired


def stale_records() -> list[str]:
    """The records handled at a unit now whose stored path is not their unit's (a move made
    before decision 0099, or a path written by hand): who may open them would be wrong."""
    problems = []
    for model, name in records_handled_at(lambda m: m is not Unit, MOVING):
        unit = unit_field_of(model, name)
        if unit is not None:
            stale = _stale(model, name, unit).count()
            if stale:
                problems.append(f"{model._meta.label}: {stale} record(s) whose {name} is not "
                                f"their {unit}'s path (ctip units check --repair)")
            continue
        for relation, rows in _copied(model, name):
            stale = rows.count()
            if stale:
                problems.append(f"{model._meta.label}: {stale} record(s) whose {name} is not "
                                f"their {relation}'s (ctip units check --repair)")
    return problems
