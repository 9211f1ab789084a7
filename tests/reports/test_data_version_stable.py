"""The data version moves with what the pages count and with nothing else (decision 0069):
folding the roll-ups' deltas (the worker's or the web process's compaction) and the system's
own bookkeeping (reminders sent, the audit chain's checkpoint) keep every unit's version, so
the kept indicator tables are not computed again although nothing was entered; every real
change still moves it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ctip.audit.actions import record
from ctip.core import scheduler
from ctip.outreach.actions import create_speaker
from ctip.outreach.models import Activity
from ctip.reports import caching, rollups
from ctip.reports import indicators as ind
from ctip.reports.models import ActivityMonth
from ctip.reports.periods import Period
from tests.conftest import log_activity

CLEAN = {"reports_activitymonth": 0, "reports_speakermonth": 0, "cases_situation": 0,
         "cases_supportcase": 0, "cases_service": 0, "reports_writemark": 0}
YEAR = Period.year(2026)


def _versions(tree: Any) -> dict[str, str]:
    return {u.name: caching.data_version(u)
            for u in (tree.central, tree.province, tree.commune_a, tree.commune_b,
                      tree.branch_a1)}


def _activities(tree: Any, formats: Any) -> list[Activity]:
    speaker = create_speaker(actor=None, unit=tree.commune_a, full_name="Trần Thị Hoa")
    made = [log_activity(tree.branch_a1, formats["meeting"], speakers=[speaker]),
            log_activity(tree.commune_b, formats["meeting"], title="Ở xã B")]
    rollups.compact()
    # the newest rows of commune A (and of the nation): a month and a format of their own
    made += [log_activity(tree.branch_a1, formats["zalo"], date=dt.date(2026, 9, 3),
                          title="Tháng chín", speakers=[speaker]),
             log_activity(tree.commune_a, formats["zalo"], date=dt.date(2026, 9, 4),
                          title="Tháng chín nữa", women=3, men=1)]
    return made


@pytest.mark.parametrize("fold", ["worker", "web"])
def test_folding_the_deltas_keeps_every_version(fold: str, tree: Any, users: Any,
                                                formats: Any) -> None:
    _activities(tree, formats)
    before, figures = _versions(tree), ind.compute(tree.province, YEAR)
    if fold == "worker":
        assert rollups.compact()["reports_activitymonth"] > 0
    else:
        assert scheduler.run_in_web() == ["reports.compact_rollups"]
    assert not ActivityMonth.objects.filter(delta=True).exists()
    assert _versions(tree) == before
    assert ind.compute(tree.province, YEAR) == figures and rollups.differences() == CLEAN


def test_a_key_folded_to_nothing_keeps_the_versions_and_the_totals(
        tree: Any, users: Any, formats: Any) -> None:
    """The month whose activities were all taken away (by SQL: no audit event) sums to
    nothing: folding it must not bring back the version of a time the figures differed."""
    made = _activities(tree, formats)
    rollups.compact()
    counted = _versions(tree)
    Activity.objects.filter(pk__in=[a.pk for a in made[2:]]).delete()
    removed = _versions(tree)
    # a real change moves the version of the units it concerns, not of the others
    for name in (tree.central.name, tree.province.name, tree.commune_a.name):
        assert removed[name] != counted[name], name
    assert removed[tree.commune_b.name] == counted[tree.commune_b.name]
    figures = ind.compute(tree.commune_a, YEAR)
    rollups.compact()
    assert _versions(tree) == removed
    assert ind.compute(tree.commune_a, YEAR) == figures and rollups.differences() == CLEAN
    # and the next change moves it again
    log_activity(tree.commune_a, formats["zalo"], date=dt.date(2026, 9, 5), title="Lại")
    assert caching.data_version(tree.commune_a) not in (removed[tree.commune_a.name],
                                                         counted[tree.commune_a.name])


def test_the_system_s_bookkeeping_keeps_every_version(tree: Any, users: Any,
                                                      formats: Any) -> None:
    _activities(tree, formats)
    before = _versions(tree)
    for action in ("report.reminders_sent", "situation.digest_sent", "audit.checkpoint",
                   "backup.created", "token.used"):
        record(actor=None, action=action, target_label=action)
    assert _versions(tree) == before
    # a write that changes what is counted still moves them
    record(actor=None, action="backup.restored", target_label="backup")
    assert all(v != before[k] for k, v in _versions(tree).items())
