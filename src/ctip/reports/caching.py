"""Rendered report fragments (the dashboard's body, the indicator table) kept in the cache
under the *data version*, so a page is computed once per change of what it counts, not once
per request.

The data version (``data_version``) is read from the database in one query, never kept as a
counter: the newest row the roll-up triggers appended (``ActivityMonth``, ``SpeakerMonth``:
every write of an activity or of a speaker's link, whatever made it, a form, the import's
``bulk_create``, a queryset ``update()`` or SQL, appends one; folding the deltas keeps the
newest id of every unit's rows, ``rollups.compact``, so it moves no version) and the newest
audit event of a write (every action appends one in its own transaction: a case, a service, a
club, a campaign's targets, a unit renamed, a report approved or returned), and the newest row
written in a table the staff home's duties read (situations, reports, report types, campaigns,
units: a trigger marks it, whatever made the write, ``marks.CHANGES``, decision 0094). Audit
events that change nothing counted (views of a record, exports, sign-ins, refusals, the
scheduled jobs' bookkeeping; ``marks.is_read``) are skipped, so reading a case does not throw
the dashboards away: a trigger marks the events of writes apart (``WriteMark``, decision 0093).
A unit below the root has its own version, from the rows and events of its subtree (and of the
units above it), so a write in one commune does not throw away its siblings' pages
(``data_version``, decision 0059). The version is read before the data, so a fragment computed
while a write commits is kept under the older version and never served after it. It is read on
the database the page reads its figures from (the replica of decision 0047 on a report page), so
it never names rows the figures do not hold yet.

The key also holds what the fragment depends on besides the data: its name, the unit, the
request's period and indicator parameters (the links inside carry them), whether the viewer
sees exact counts (``privacy.exact_on_screen``: protected and exact fragments never mix), the
language and today's date (the default period and "running" campaigns follow the date).
Disclosure control is deterministic (cell-key perturbation), so a cached protected fragment is
the one an uncached request would render. ``FRAGMENT_TIMEOUT`` bounds what a write that neither
the triggers nor the audit trail see (an administrator's SQL on a case's services) can leave
stale.
Decisions 0051 and 0059.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Callable, Iterable
from typing import Any

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections, router
from django.db.models import BigIntegerField, ExpressionWrapper, Q, Subquery
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

from ctip.audit.models import AuditEvent
from ctip.core.templatetags.shell import generation
from ctip.figures.rollups import LEVELS
from ctip.org.models import Unit
from ctip.reports import indicators as ind
from ctip.reports import marks
from ctip.reports.models import ActivityMonth, ChangeMark, SpeakerMonth, WriteMark
from ctip.reports.periods import Period
from ctip.reports.rollups import truncate

#: Seconds a fragment is kept at most (a write outside the triggers and the audit trail).
FRAGMENT_TIMEOUT = 600

#: How many of the newest audit keys a unit's version looks through for a write of its own
#: before it falls back on the newest write anywhere (the trail is append-only: its keys only
#: grow, with a gap where a transaction that wrote one was rolled back).
AUDIT_WINDOW = 1000


def _ancestor_paths(path: str) -> list[str]:
    """``/1/2/3/`` → ``["/1/", "/1/2/"]``: the paths above a unit's."""
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[:n]) + "/" for n in range(1, len(parts))]


def _relevant_to(path: str) -> Q:
    """The audit events of writes that can change what the pages of the unit at ``path``
    count: in its subtree, at a unit above it (a campaign's targets set at the province), at
    no unit (the system's settings), and any change of the tree (a unit moved out takes its
    row with it)."""
    return (Q(unit_path__subtree=path) | Q(unit_path__in=["", *_ancestor_paths(path)])
            | Q(tree=True))


def _near(path: str) -> Q:
    """The change marks (decision 0094) of rows that can concern the unit at ``path``: in its
    subtree, or at a unit above it when they concern the units below (a campaign of the
    province, a unit renamed there; not a situation handled there), or of no unit (a report
    type). A unit moved is marked at its old path and its new one."""
    return Q(unit_path__subtree=path) | Q(down=True, unit_path__in=["", *_ancestor_paths(path)])


def data_version(unit: Unit | None = None) -> str:
    """What a fragment of ``unit``'s pages is computed from, in one query; changes whenever
    anything they count is written (without ``unit``, or for the root: anywhere).

    For a unit below the root, four parts, each of which only grows with the writes in the
    unit's subtree (decision 0059): the newest roll-up row of its activities (the row the
    triggers appended at the unit's province, or at its commune for a commune and below: an
    index look-up, since the rows' paths are cut to those levels); the newest roll-up row of
    its speakers; the newest audit event of a write ``_relevant_to`` the unit among the
    events of the newest ``AUDIT_WINDOW`` keys, or, when none of them is, the newest write anywhere
    (marked apart): the version then still changes with every write that could concern the
    unit, and a unit with recent writes of its own is not thrown away by its siblings'; and
    the same of the change marks of the duties' tables (``_near`` the unit, decision 0094)."""
    return data_version_at(None if unit is None or unit.depth == 0 else unit.path)


def data_version_at(path: str | None) -> str:
    """``data_version`` of the unit at ``path`` (``None``: the root, anywhere). Its query is
    made once per process, database and path (``_version_query``): Django building it was
    nine tenths of the version's cost (about 3 ms, against 0.2 ms for the database's answer)."""
    # where this page reads its figures (a replica on the report pages, decision 0047): a
    # version read on the primary could name rows the replica has not replayed yet
    alias = router.db_for_read(ActivityMonth) or DEFAULT_DB_ALIAS
    sql, params = _version_query(alias, path, generation(), AUDIT_WINDOW)
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if len(row) % 2:  # PostgreSQL: last, whether a transaction that marked a change runs
        *row, writing = row
    else:
        writing = False
    unsettled = f"{UNSETTLED}{secrets.token_hex(8)}" if writing else ""
    if len(row) == 4:
        return ".".join(str(v or 0) for v in row) + unsettled
    audit = f"{row[2]}" if row[2] else f"*{row[3] or 0}"
    changes = f"{row[4]}" if row[4] else f"*{row[5] or 0}"
    return f"{row[0] or 0}.{row[1] or 0}.{audit}.{changes}{unsettled}"


#: What ends a data version that is not settled (``settled``).
UNSETTLED = "!"


def settled(version: str) -> bool:
    """Whether what is made under ``version`` may be kept. Not while a transaction that has
    marked a change is still running on PostgreSQL (``marks.writing_sql``): change marks are
    numbered when written, not when committed, so a later one may be read first, and the
    version would not move when the earlier one commits. Such a version ends in ``UNSETTLED``
    and a token of its own, so nothing kept is found under it either."""
    return UNSETTLED not in version


@functools.lru_cache(maxsize=4096)
def _version_query(alias: str, path: str | None, _generation: int,
                   window: int) -> tuple[str, tuple[Any, ...]]:
    """The SQL and parameters of the version of the unit at ``path`` (a path is the unit's place
    in the tree: a unit moved has a new one, and a new query). Kept for the 4,096 paths last
    asked for, and made again when a setting changes (``_generation``)."""
    # the audit events of writes are marked apart by a trigger (``marks``, decision 0093): the
    # newest is the last key of the marks, and the walk down the window passes no read
    writes = WriteMark.objects.order_by("-pk").values("pk")[:1]
    # and the rows the duties read, marked by triggers on their tables (decision 0094)
    changes = ChangeMark.objects.order_by("-pk").values("pk")[:1]
    depth = None if path is None else path.strip("/").count("/")
    if path is None or depth == 0:
        newest = [ActivityMonth.objects.order_by("-pk").values("pk")[:1],
                  SpeakerMonth.objects.order_by("-pk").values("pk")[:1], writes, changes]
    else:
        level = min(depth or 0, LEVELS[-1])
        # the events of the newest ``window`` keys, from the newest key back (the key of an
        # append-only table: a range of the primary key's index, walked down, not a list)
        newest_key = Subquery(AuditEvent.objects.order_by("-pk").values("pk")[:1])
        recent = ExpressionWrapper(newest_key - window, output_field=BigIntegerField())
        newest = [ActivityMonth.objects.filter(level=level, path=truncate(path, level))
                  .order_by("-pk").values("pk")[:1],
                  SpeakerMonth.objects.filter(speaker__unit_path__subtree=path)
                  .order_by("-pk").values("pk")[:1],
                  WriteMark.objects.filter(_relevant_to(path), pk__gt=recent)
                  .order_by("-pk").values("pk")[:1],
                  writes,
                  ChangeMark.objects.filter(_near(path), pk__gt=ExpressionWrapper(
                      Subquery(changes) - window, output_field=BigIntegerField()))
                  .order_by("-pk").values("pk")[:1],
                  changes]
    parts = [qs.query.get_compiler(using=alias).as_sql() for qs in newest]
    if connections[alias].vendor == "postgresql":
        parts.append((marks.writing_sql(), ()))
    sql = "SELECT " + ", ".join(f"({part})" for part, _params in parts)
    return sql, tuple(p for _sql, params in parts for p in params)


def fragment(name: str, unit: Unit, parts: Iterable[object],
             render: Callable[[], str]) -> SafeString:
    """The HTML ``render`` makes of ``unit``'s page, from the cache when it was made for the
    same ``parts`` under the unit's current data version, language and date."""
    key_parts = [name, data_version(unit), translation.get_language() or "",
                 timezone.localdate().isoformat(), str(unit.pk), *(str(p) for p in parts)]
    if not settled(key_parts[1]):
        return mark_safe(str(render()))  # noqa: S308  (as below)
    key = "reports:fragment:" + hashlib.sha256("|".join(key_parts).encode()).hexdigest()
    html = cache.get(key)
    if html is None:
        html = str(render())
        cache.set(key, html, FRAGMENT_TIMEOUT)
    return mark_safe(html)  # noqa: S308  (rendered by our own templates, escaped there)


def figures(unit: Unit, period: Period, codes: list[str] | None = None) -> ind.Keyed:
    """``indicators.compute_keyed`` of ``unit`` for ``period``, from the cache when it was
    computed for the same indicators under the unit's current data version and date.

    The indicator table's page, its CSV and XLSX and the API's table all start from these
    figures (``exports.build_table``): an officer who looks at the table and then downloads
    it, or downloads both files, has them computed once, not three times, and a province's
    table is the slowest thing these pages compute. The figures are exact, as computed;
    disclosure control is applied to them afterwards, for each viewer, as before. Kept as
    long as a fragment (``FRAGMENT_TIMEOUT``), under the same version."""
    key_parts = ["figures", data_version(unit), timezone.localdate().isoformat(), str(unit.pk),
                 period.start.isoformat(), period.end.isoformat(),
                 "*" if codes is None else ",".join(codes)]
    if not settled(key_parts[1]):
        return ind.compute_keyed(unit, period, codes)
    key = "reports:figures:" + hashlib.sha256("|".join(key_parts).encode()).hexdigest()
    kept = cache.get(key)
    if kept is None:
        kept = ind.compute_keyed(unit, period, codes)
        cache.set(key, kept, FRAGMENT_TIMEOUT)
    return kept
