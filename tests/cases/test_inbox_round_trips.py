"""The inbox reads nothing for what it already knows is empty (decision 0074): a section the
counts say holds nothing costs no query, nor does the follow-ups' count when their first page
holds them all. On PostgreSQL every query is a round trip to another process, which a busy
machine makes wait its turn."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ctip.cases import actions
from ctip.cases.models import Situation
from tests.cases.case_helpers import open_case
from tests.cases.test_situation_views import report, section


def test_the_inbox_reads_only_the_sections_and_follow_ups_that_hold_something(
        tree: Any, users: Any, client_for: Any) -> None:
    worker = users["case_worker"]
    case = open_case(tree.commune_a, worker)
    for n in range(2):
        actions.add_follow_up(actor=worker, case=case,
                              due_on=timezone.localdate() + dt.timedelta(days=n),
                              what=f"Việc số {n}")
    made = report(tree, users)
    client = client_for(worker)
    url = reverse("cases:unit_inbox", args=[tree.commune_a.pk])
    client.get(url)  # the session and the grants
    with CaptureQueriesContext(connection) as queries:
        html = client.get(url).content.decode()
    # what the page shows: the one situation in its section, the two follow-ups counted
    shown_in = [key for key in ("overdue", "due-soon", "new", "overdue-below", "waiting")
                if made.code in section(html, key)]
    assert len(shown_in) == 1
    follow_ups = html[html.index('id="inbox-follow-ups"'):]
    assert "(2)" in follow_ups and "Việc số 0" in follow_ups and "Việc số 1" in follow_ups
    # ...read with one query for the rows of the sections (the one that holds something) and
    # none to count the follow-ups
    sql = [q["sql"] for q in queries.captured_queries]
    assert len([s for s in sql if '"cases_situation"."code"' in s]) == 1, sql
    assert not [s for s in sql if "COUNT(" in s and '"cases_followup"' in s], sql


def test_the_sections_rows_are_read_together_in_one_query(
        tree: Any, users: Any, client_for: Any) -> None:
    """Five sections that all hold something: each shows its own situation, and their rows
    come in one query (one round trip to the database, not one a section)."""
    now = timezone.now()
    made = {key: report(tree, users) for key in ("overdue", "due-soon", "new", "waiting",
                                                  "overdue-below")}
    late = now - dt.timedelta(hours=2)
    Situation.objects.filter(pk=made["overdue"].pk).update(due_at=late)
    Situation.objects.filter(pk=made["due-soon"].pk).update(due_at=now + dt.timedelta(hours=3))
    Situation.objects.filter(pk=made["new"].pk).update(due_at=now + dt.timedelta(days=5))
    Situation.objects.filter(pk=made["waiting"].pk).update(state=Situation.State.REFERRED)
    Situation.objects.filter(pk=made["overdue-below"].pk).update(
        handling_unit=tree.branch_a1, due_at=late)
    client = client_for(users["commune_officer"])
    url = reverse("cases:unit_inbox", args=[tree.commune_a.pk])
    client.get(url)  # the session and the grants
    with CaptureQueriesContext(connection) as queries:
        html = client.get(url).content.decode()
    for key, situation in made.items():
        assert situation.code in section(html, key), key
        others = [s.code for k, s in made.items() if k != key]
        assert not [code for code in others if code in section(html, key)], key
    sql = [q["sql"] for q in queries.captured_queries]
    assert len([s for s in sql if '"cases_situation"."code"' in s]) == 1, sql
