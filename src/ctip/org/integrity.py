"""Consistency checks of the tree (``ctip units check``)."""

from __future__ import annotations

from ctip.org.models import PATH_SEPARATOR, Unit


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
    return problems
