"""Rendered report fragments (the dashboard's body, the indicator table) kept in the cache
under the *data version*, so a page is computed once per change of what it counts, not once
per request.

The data version (``data_version``) is read from the database in one query, never kept as a
counter: the newest row the roll-up triggers appended (``ActivityMonth``, ``SpeakerMonth``:
every write of an activity or of a speaker's link, whatever made it, a form, the import's
``bulk_create``, a queryset ``update()`` or SQL, appends one) and the newest audit event of a
write (every action appends one in its own transaction: a case, a service, a club, a campaign's
targets, a unit renamed, a report approved or returned). Audit events that change nothing
counted (views of a record, exports, sign-ins, refusals) are skipped, so reading a case does not
throw the dashboards away. The version is read before the data, so a fragment computed while a
write commits is kept under the older version and never served after it. It is read on the
database the page reads its figures from (the replica of decision 0047 on a report page), so
it never names rows the figures do not hold yet.

The key also holds what the fragment depends on besides the data: its name, the unit, the
request's period and indicator parameters (the links inside carry them), whether the viewer
sees exact counts (``privacy.exact_on_screen``: protected and exact fragments never mix), the
language and today's date (the default period and "running" campaigns follow the date).
Disclosure control is deterministic (cell-key perturbation), so a cached protected fragment is
the one an uncached request would render. ``FRAGMENT_TIMEOUT`` bounds what a write that neither
the triggers nor the audit trail see (an administrator's SQL on a case) can leave stale.
Decision 0051.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections, router
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

from ctip.audit.models import AuditEvent
from ctip.reports.models import ActivityMonth, SpeakerMonth

#: Seconds a fragment is kept at most (a write outside the triggers and the audit trail).
FRAGMENT_TIMEOUT = 600

#: Audit events that change nothing a report counts.
READS = (Q(action__startswith="auth.") | Q(action__endswith="viewed")
         | Q(action__contains="export") | Q(action__startswith="report.public_release")
         | Q(action__startswith="report.ctdc") | ~Q(outcome="ok"))


def data_version() -> str:
    """The newest roll-up row and the newest audit event of a write, in one query: changes
    whenever anything a report counts is written."""
    # where this page reads its figures (a replica on the report pages, decision 0047): a
    # version read on the primary could name rows the replica has not replayed yet
    alias = router.db_for_read(ActivityMonth) or DEFAULT_DB_ALIAS
    newest = [ActivityMonth.objects.order_by("-pk").values("pk")[:1],
              SpeakerMonth.objects.order_by("-pk").values("pk")[:1],
              AuditEvent.objects.exclude(READS).order_by("-pk").values("pk")[:1]]
    parts = [qs.query.get_compiler(using=alias).as_sql() for qs in newest]
    sql = "SELECT " + ", ".join(f"({part})" for part, _params in parts)
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, [p for _sql, params in parts for p in params])
        row = cursor.fetchone()
    return ".".join(str(v or 0) for v in row)


def fragment(name: str, parts: Iterable[object], render: Callable[[], str]) -> SafeString:
    """The HTML ``render`` makes, from the cache when it was made for the same ``parts``
    under the current data version, language and date."""
    key_parts = [name, data_version(), translation.get_language() or "",
                 timezone.localdate().isoformat(), *(str(p) for p in parts)]
    key = "reports:fragment:" + hashlib.sha256("|".join(key_parts).encode()).hexdigest()
    html = cache.get(key)
    if html is None:
        html = str(render())
        cache.set(key, html, FRAGMENT_TIMEOUT)
    return mark_safe(html)  # noqa: S308  (rendered by our own templates, escaped there)
