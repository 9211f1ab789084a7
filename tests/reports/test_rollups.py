"""The roll-ups the database keeps (``reports.rollups``): every kind of write keeps them equal
to a fresh computation, ``ctip reports rebuild`` gives the same numbers, and the indicators read
from them equal the indicators read from the records."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import Sum

from ctip.cases import actions as cases
from ctip.cases.models import Situation, SituationEvent
from ctip.figures import rollups as figures_rollups
from ctip.outreach.actions import create_speaker, delete_activity, update_activity
from ctip.outreach.activity_import import apply_import
from ctip.outreach.models import Activity, Speaker
from ctip.reports import indicators as ind
from ctip.reports import rollups
from ctip.reports.models import ActivityMonth, SpeakerMonth
from ctip.reports.periods import Period
from ctip.units.actions import create_unit, move_subtree, update_unit
from tests.conftest import IN_2026, at, log_activity
from tests.outreach.test_activity_import import row, xlsx_file
from tests.reports.facts import record_facts

YEAR = Period.year(2026)
CLEAN = {"reports_activitymonth": 0, "reports_speakermonth": 0, "cases_situation": 0,
         "cases_supportcase": 0, "cases_service": 0, "reports_writemark": 0}


def kept() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The roll-ups as readers see them: the rows of each key summed (the triggers append
    deltas), keys summing to nothing left out."""
    key = [f if f != "format_id" else "format" for f in rollups.ACTIVITY_KEY]
    months = sorted(
        tuple(r.values()) for r in ActivityMonth.objects.order_by().values(*key).annotate(
            **{f"s_{c}": Sum(c) for c in rollups.ACTIVITY_SUMS})
        if any(list(r.values())[len(key):]))
    speakers = sorted(
        (r["speaker"], r["month"], r["s"]) for r in
        SpeakerMonth.objects.order_by().values("speaker", "month").annotate(s=Sum("n"))
        if r["s"])
    delays = sorted(Situation.objects.values_list("pk", "escalated_after_us"))
    return months, speakers, delays


def from_records(monkeypatch: Any) -> None:
    """Make the indicators read the records instead of the roll-ups."""
    monkeypatch.setattr(ind, "rollup_level", lambda *args, **kwargs: None)
    monkeypatch.setattr(rollups, "whole_months", lambda period: False)


@pytest.mark.parametrize("path", ["/1/", "/1/22/", "/1/22/333/", "/1/22/333/4444/",
                                  "/1/22/333/4444/5/6/"])
def test_the_sql_cut_of_a_path_is_the_python_one(db: Any, path: str) -> None:
    d = rollups._Dialect(connection.vendor)
    for level in (0, *figures_rollups.LEVELS, 3):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {d.truncate('t.p', level)} FROM (SELECT %s AS p) t", [path])  # noqa: S608
            assert cursor.fetchone()[0] == rollups.truncate(path, level)
    assert rollups.truncate("/1/22/333/4444/", 1) == "/1/22/"


def test_triggers_are_installed_by_the_migrations(db: Any) -> None:
    assert not rollups.missing(connection)


def test_every_kind_of_write_keeps_the_rollups_equal_to_a_rebuild(
        tree: Any, users: Any, formats: Any, monkeypatch: Any) -> None:
    facts = record_facts(tree, users, formats)
    officer = users["commune_officer"]
    speaker = create_speaker(actor=None, unit=tree.commune_a, full_name="Trần Thị Hoa")
    other = create_speaker(actor=None, unit=tree.branch_a1, full_name="Lê Thị Mai")
    # created through the action, with speakers; a planned one counts nowhere
    talk = log_activity(tree.branch_a1, formats["meeting"], actor=officer,
                        date=dt.date(2026, 5, 20), speakers=[speaker, other], title="Nói chuyện")
    log_activity(tree.commune_a, formats["meeting"], date=dt.date(2026, 9, 1),
                 status=Activity.Status.PLANNED, speakers=[speaker], title="Dự kiến")
    # edited: another month, another format and other numbers, one speaker fewer
    update_activity(actor=officer, activity=talk, date=dt.date(2026, 6, 2),
                    format=formats["law-day"], participants_women=50, participants_men=7,
                    participants_total=57,
                    speakers=[speaker])
    # done → planned → done again, by a queryset update as a script would
    Activity.objects.filter(pk=talk.pk).update(status=Activity.Status.PLANNED)
    Activity.objects.filter(pk=talk.pk).update(status=Activity.Status.DONE)
    # deleted through the action
    gone = log_activity(tree.commune_b, formats["meeting"], actor=users["province_officer"],
                        date=dt.date(2026, 4, 4), speakers=[other], title="Sẽ xoá")
    delete_activity(actor=users["province_officer"], activity=gone)
    # the Excel import (bulk inserts)
    result = apply_import(officer, xlsx_file([
        row(), row(date=dt.date(2026, 8, 3), unit="Chi hội ấp Mỹ Lộc", title="Nhập từ tệp"),
    ]))
    assert result.imported == 2
    # a unit's flags change: its past activities move between the area columns
    update_unit(actor=None, unit=tree.commune_a, is_remote=True)
    update_unit(actor=None, unit=tree.branch_a1, is_border=False, is_far_flung=True)
    update_unit(actor=None, unit=tree.commune_b, is_ethnic_minority=True)
    update_unit(actor=None, unit=tree.branch_a1, is_ethnic_minority=True)
    update_unit(actor=None, unit=tree.commune_b, is_ethnic_minority=False)
    # a unit moves: its past activities go with it (decision 0100), their sums too
    new_commune = create_unit(actor=None, parent=tree.province, name="Xã Mới",
                              unit_type=tree.commune_a.unit_type)
    moved = move_subtree(actor=None, unit=tree.branch_a2, new_parent=new_commune)
    log_activity(moved, formats["meeting"], date=dt.date(2026, 10, 10),
                 title="Sau khi chuyển")
    # situations: escalated late, backdated, an escalation event removed
    with at(IN_2026):  # counted in 2026 whatever the date of the run
        late = cases.create_situation(actor=None, unit=tree.commune_b, category="missing",
                                      urgency="normal", source="officer",
                                      description="Mất liên lạc")
        stale = Situation.objects.get(pk=late.pk)
        cases.escalate(actor=None, situation=late)
    stale.outcome = "Đã nắm tình hình"
    stale.save()    # a copy read before the escalation must not undo it
    Situation.objects.filter(pk=facts.waiting.pk).update(
        created_at=facts.waiting.created_at - dt.timedelta(days=3))
    SituationEvent.objects.filter(situation=facts.escalated, kind="escalated").update(
        at=facts.escalated.created_at + dt.timedelta(hours=30))
    assert Situation.objects.get(pk=late.pk).escalated_after_us is not None
    # an activity moved to another unit by SQL, as a data fix would
    fixed = log_activity(tree.commune_a, formats["zalo"], date=dt.date(2026, 11, 2),
                         women=None, men=None, online_views=40, title="Sửa đơn vị")
    Activity.objects.filter(pk=fixed.pk).update(unit=tree.other_commune,
                                                unit_path=tree.other_commune.path)

    assert rollups.differences() == CLEAN
    incremental = kept()

    def questions() -> list[Any]:
        """The questions the roll-ups answer, at both levels."""
        return [ind.compute_with_children(tree.province, YEAR),      # level 2, by commune
                ind.compute_with_children(tree.central, YEAR),       # level 1, by province
                ind.compute(tree.commune_a, Period.half(2026, 2)),   # level 2, one commune
                ind.monthly(tree.province, YEAR), ind.monthly(tree.central, YEAR)]

    with_rollups = questions()
    assert ActivityMonth.objects.filter(delta=False).count() == 0
    removed = rollups.compact()
    assert removed["reports_activitymonth"] > 0
    assert not ActivityMonth.objects.filter(delta=True).exists()
    assert kept() == incremental and questions() == with_rollups
    rollups.rebuild()
    assert kept() == incremental
    assert questions() == with_rollups
    from_records(monkeypatch)
    assert questions() == with_rollups
    # and the numbers are the ones the writes above imply
    values = with_rollups[0][0]
    assert values["sessions"]["total"] == 4 + 1 + 2 + 1
    assert values["active_speakers"] == 1
    assert values["sessions_border_remote"]["border"] == 0
    assert values["sessions_border_remote"]["minority"] == Activity.objects.filter(
        status=Activity.Status.DONE, date__year=2026,
        unit_path__contains=f"/{tree.branch_a1.pk}/").count() > 0
    assert values["situations_escalated_on_time"]["escalated"] == 2


def test_rebuild_command_repairs_and_check_reports(tree: Any, users: Any, formats: Any
                                                   ) -> None:
    speaker = create_speaker(actor=None, unit=tree.commune_a, full_name="Trần Thị Hoa")
    log_activity(tree.commune_a, formats["meeting"], speakers=[speaker])
    ActivityMonth.objects.filter(level=2).update(n=7)
    SpeakerMonth.objects.all().delete()
    with pytest.raises(CommandError, match="differ"):
        call_command("reports", "rebuild", "--check", stdout=StringIO())
    out = StringIO()
    call_command("reports", "rebuild", stdout=out)
    assert "reports_activitymonth" in out.getvalue()
    assert rollups.differences() == CLEAN
    assert ind.compute(tree.commune_a, YEAR, ["sessions", "active_speakers"]) == {
        "sessions": {"total": 1, "meeting": 1}, "active_speakers": 1}
    out = StringIO()
    call_command("reports", "rebuild", "--check", stdout=out)
    assert "reports_activitymonth: 0 differ" in out.getvalue()
    assert "agree with the records" in out.getvalue()


def test_missing_triggers_are_put_back_after_migrate(tree: Any, formats: Any) -> None:
    log_activity(tree.commune_a, formats["meeting"])
    d = rollups._Dialect(connection.vendor)
    name = "ctip_activity_ins"
    with connection.cursor() as cursor:
        for sql in rollups._drop_sql(d, name, rollups._triggers(d)[name]):
            cursor.execute(sql)
    log_activity(tree.commune_b, formats["meeting"])   # not counted: no trigger
    assert rollups.differences()["reports_activitymonth"] > 0
    assert rollups.ensure_installed() is True
    assert rollups.differences() == CLEAN
    assert rollups.ensure_installed() is False
    log_activity(tree.commune_b, formats["meeting"], title="Lần nữa")
    assert rollups.differences() == CLEAN


def test_periods_not_made_of_whole_months_and_branches_read_the_records(
        tree: Any, formats: Any) -> None:
    log_activity(tree.branch_a1, formats["meeting"], date=dt.date(2026, 7, 15))
    log_activity(tree.branch_a1, formats["meeting"], date=dt.date(2026, 7, 25), title="Hai")
    assert ActivityMonth.objects.filter(level=2).count() == 2     # one delta per activity
    rollups.compact()
    assert ActivityMonth.objects.filter(level=2).count() == 1
    ActivityMonth.objects.all().update(n=99)   # what the roll-ups say is not used below
    half_july = Period.custom(dt.date(2026, 7, 1), dt.date(2026, 7, 20))
    assert ind.compute(tree.province, half_july, ["sessions"])["sessions"]["total"] == 1
    july = Period.month(2026, 7)
    assert ind.compute(tree.branch_a1, july, ["sessions"])["sessions"]["total"] == 2
    assert ind.compute(tree.commune_a, july, ["sessions"])["sessions"]["total"] == 99
    assert rollups.whole_months(july) and not rollups.whole_months(half_july)
    assert figures_rollups.level_for(tree.province, by_child=True) == 2
    assert figures_rollups.level_for(tree.commune_a, by_child=True) is None


def test_speaker_months_follow_links_added_and_removed(tree: Any, users: Any,
                                                       formats: Any) -> None:
    speaker = create_speaker(actor=None, unit=tree.commune_a, full_name="Trần Thị Hoa")
    talk = log_activity(tree.commune_a, formats["meeting"], actor=users["commune_officer"])
    assert not SpeakerMonth.objects.exclude(n=0).exists()
    talk.speakers.add(speaker)
    assert list(SpeakerMonth.objects.values_list("speaker", "month", "n")) == [
        (speaker.pk, dt.date(2026, 7, 1), 1)]
    assert ind.compute(tree.province, YEAR, ["active_speakers"])["active_speakers"] == 1
    talk.speakers.remove(speaker)
    assert ind.compute(tree.province, YEAR, ["active_speakers"])["active_speakers"] == 0
    Speaker.objects.filter(pk=speaker.pk).update(active=False)
    assert rollups.differences() == CLEAN
    # written in the other order by SQL (the foreign keys are checked at commit): an activity
    # deleted before its links, and a link moved to another speaker
    other = create_speaker(actor=None, unit=tree.commune_b, full_name="Lê Thị Mai")
    talk.speakers.add(speaker)
    Through = Activity.speakers.through
    Through.objects.filter(activity=talk).update(speaker=other)
    assert rollups.differences() == CLEAN
    assert ind.compute(tree.commune_b, YEAR, ["active_speakers"])["active_speakers"] == 1
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM outreach_activity WHERE id = %s", [talk.pk])
        assert rollups.differences() == CLEAN
        Through.objects.filter(activity_id=talk.pk).delete()
        assert rollups.differences() == CLEAN
    assert ind.compute(tree.province, YEAR, ["active_speakers"])["active_speakers"] == 0


@pytest.mark.parametrize(("late_by", "on_time"), [(dt.timedelta(0), 1),
                                                   (dt.timedelta(microseconds=1), 0),
                                                   (dt.timedelta(microseconds=-1), 1)])
def test_escalation_on_the_deadline_is_on_time_and_a_microsecond_later_is_late(
        tree: Any, late_by: dt.timedelta, on_time: int) -> None:
    from ctip.cases.deadlines import due_after
    from ctip.cases.models import DeadlineRule

    DeadlineRule.objects.update_or_create(category="missing", urgency="normal",
                                          defaults={"hours": 5})
    with at(IN_2026):  # counted in 2026 whatever the date of the run
        situation = cases.create_situation(actor=None, unit=tree.commune_b, category="missing",
                                           urgency="normal", source="officer",
                                           description="Mất liên lạc")
        cases.escalate(actor=None, situation=situation)
    situation.refresh_from_db()
    deadline = due_after("missing", "normal", start=situation.created_at)
    SituationEvent.objects.filter(situation=situation, kind="escalated").update(
        at=deadline + late_by)
    value = ind.compute(tree.province, YEAR, ["situations_escalated_on_time"])
    assert value["situations_escalated_on_time"]["escalated"] == 1
    assert value["situations_escalated_on_time"]["on_time"] == on_time
    situation.refresh_from_db()
    assert situation.escalated_after_us == 5 * 3_600_000_000 + late_by // dt.timedelta(
        microseconds=1)


@pytest.mark.parametrize("created_us", [0, 1, 499_999, 999_499, 999_500, 999_999])
@pytest.mark.parametrize("escalated_us", [0, 1, 500, 999_499, 999_500, 999_999])
def test_the_escalation_delay_is_exact_to_the_microsecond_at_every_fraction(
        tree: Any, created_us: int, escalated_us: int) -> None:
    """The delay the roll-up keeps is the exact difference of the two moments, whatever their
    fractions of a second, by the trigger when the escalation is recorded and by a rebuild.
    SQLite's date functions round a fraction to milliseconds: read whole, ``.999999`` made a
    delay one second longer, and an escalation a microsecond before its deadline late."""
    created = IN_2026.replace(microsecond=created_us)
    with at(created):
        situation = cases.create_situation(actor=None, unit=tree.commune_b, category="missing",
                                           urgency="normal", source="officer",
                                           description="Mất liên lạc")
    escalated = created.replace(microsecond=0) + dt.timedelta(hours=2, microseconds=escalated_us)
    with at(escalated):
        cases.escalate(actor=None, situation=situation)
    exact = (escalated - created) // dt.timedelta(microseconds=1)
    situation.refresh_from_db()
    assert situation.created_at == created
    assert situation.escalated_after_us == exact
    rollups.rebuild()
    situation.refresh_from_db()
    assert situation.escalated_after_us == exact


TABLE_REBUILD = """
import copy

import django
from django.db import OperationalError

django.setup()
from django.core.management import call_command
from django.core.management.sql import emit_post_migrate_signal, emit_pre_migrate_signal
from django.db import connection
from django.db.migrations import Migration

from ctip.outreach.models import Activity
from ctip.reports import rollups

call_command("migrate", verbosity=0)
assert not rollups.missing(connection)


def alter():  # what a later migration changing a column does on SQLite: rebuild the table
    with connection.schema_editor() as editor:
        old = Activity._meta.get_field("title")
        new = copy.copy(old)
        new.max_length += 1
        editor.alter_field(Activity, old, new)


try:
    alter()
except OperationalError as exc:
    print("refused with the triggers in place:", exc)
plan = [(Migration("0099_later", "outreach"), False)]
emit_pre_migrate_signal(0, False, "default", plan=plan)
alter()
emit_post_migrate_signal(0, False, "default", plan=plan)
assert not rollups.missing(connection)
assert not any(rollups.differences().values())
print("rebuilt and back")

# flush empties the tables one by one with the triggers on; nothing may stay behind
from ctip.org.models import Unit, UnitType
from ctip.outreach.models import Format
from ctip.reports.models import ActivityMonth

# (not through the actions: their audit events are append-only, which flush cannot empty)
root = Unit.objects.create(name="Trung ương", unit_type=UnitType.objects.get(code="central"),
                           path="/1/", depth=0)
Activity.objects.create(unit=root, unit_path=root.path, format=Format.objects.first(),
                        date="2026-07-15", title="Sinh hoạt", participants_total=5)
assert ActivityMonth.objects.exists()
call_command("flush", interactive=False, verbosity=0)
assert not ActivityMonth.objects.exists() and not Activity.objects.exists()
print("flushed clean")
"""


def run_script(script: str, data_dir: Any, database_url: str | None = None,
               hash_seed: int | None = None) -> str:
    """Run ``script`` in a fresh Python with ctip's settings, on its own database (SQLite in
    ``data_dir`` unless ``database_url``); its output, after checking it succeeded."""
    import os
    import subprocess
    import sys

    from tests.core.test_cli import TEST_FIELD_KEY

    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {"CTIP_DATA_DIR": str(data_dir), "SECRET_KEY": "x" * 60,
            "CTIP_FIELD_KEYS": TEST_FIELD_KEY, "DJANGO_SETTINGS_MODULE": "ctip.settings"}
    if database_url:
        env["DATABASE_URL"] = database_url
    if hash_seed is not None:
        env["PYTHONHASHSEED"] = str(hash_seed)
    run = subprocess.run([sys.executable, "-c", script], env=env,  # noqa: S603
                         capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout


def test_a_migration_that_rebuilds_a_table_runs_with_the_triggers_off(
        tmp_path: Any, install_migrated: Any) -> None:
    """SQLite refuses to rebuild a table a trigger names; ``migrate`` takes them off first.
    And ``flush`` (which deletes table by table with the triggers on) leaves nothing behind.
    The script starts from a copy of the run's migrated database (its ``migrate`` finds
    nothing to do): it needs the triggers the migrations installed, not a minute of migrating
    them again."""
    install_migrated(tmp_path)
    # flush empties the tables in an order that follows Python's string hashes; with this seed
    # the roll-up table is emptied before the activities (found by trying seeds)
    out = run_script(TABLE_REBUILD, tmp_path, hash_seed=2)
    assert "refused with the triggers in place" in out
    assert "rebuilt and back" in out
    assert "flushed clean" in out


def served_from_the_services(period: Period) -> int:
    """The victims' cases active in the period with a service delivered by its end, counted
    from the services themselves: what ``victims_supported_pct`` says."""
    from ctip.cases.models import Service, SupportCase

    active = SupportCase.objects.filter(kind__in=ind.VICTIM_KINDS,
                                        opened_on__lte=period.end).exclude(
        closed_on__lt=period.start)
    return sum(1 for case in active if Service.objects.filter(
        case=case, status="delivered", date__lte=period.end).exists())


def test_every_write_of_a_service_keeps_the_day_a_case_was_first_served(
        tree: Any, users: Any) -> None:
    from ctip.cases.models import Service, SupportCase
    from tests.cases.case_helpers import open_case

    def first(case: Any) -> Any:
        return SupportCase.objects.get(pk=case.pk).first_served_on

    def check() -> None:
        assert rollups.differences() == CLEAN
        for period in (Period.year(2026), Period.month(2026, 3), Period.month(2026, 5),
                       Period.half(2026, 2)):
            value = ind.compute(tree.central, period, ["victims_supported_pct"])
            assert value["victims_supported_pct"]["supported"] == served_from_the_services(
                period)

    case = open_case(tree.commune_a, users["case_worker"], opened_on=dt.date(2026, 1, 10))
    other = open_case(tree.commune_b, None, kind="being_identified", full_name="Lê Thị Lan",
                      opened_on=dt.date(2026, 2, 1))
    assert first(case) is None
    # planned: not served; delivered through the action: served from its day
    planned = cases.add_service(actor=None, case=case, type="medical", provider="Trạm y tế",
                                date=dt.date(2026, 4, 2), status="planned")
    assert first(case) is None
    cases.set_service_status(actor=None, service=planned, status="delivered")
    assert first(case) == dt.date(2026, 4, 2)
    earlier = cases.add_service(actor=None, case=case, type="legal_aid", provider="Hội",
                                date=dt.date(2026, 3, 5), status="delivered")
    assert first(case) == dt.date(2026, 3, 5)
    check()
    # a copy of the case read before the services, saved: the day stays
    stale = SupportCase.objects.get(pk=case.pk)
    SupportCase.objects.filter(pk=case.pk).update(first_served_on=None)
    assert first(case) == dt.date(2026, 3, 5)
    stale.first_served_on = None
    stale.save()
    assert first(case) == dt.date(2026, 3, 5)
    # redated and cancelled by queryset updates, as a data fix would
    Service.objects.filter(pk=earlier.pk).update(date=dt.date(2026, 5, 20))
    assert first(case) == dt.date(2026, 4, 2)
    Service.objects.filter(pk=planned.pk).update(status="cancelled")
    assert first(case) == dt.date(2026, 5, 20)
    check()
    # moved to the other case, then deleted; bulk inserts
    Service.objects.filter(pk=earlier.pk).update(case=other)
    assert (first(case), first(other)) == (None, dt.date(2026, 5, 20))
    Service.objects.filter(pk=earlier.pk).delete()
    assert first(other) is None
    Service.objects.bulk_create([
        Service(case=other, type="travel", provider="Hội", date=dt.date(2026, 7, 1),
                status="delivered"),
        Service(case=case, type="travel", provider="Hội", date=dt.date(2026, 2, 1),
                status="planned")])
    assert (first(case), first(other)) == (None, dt.date(2026, 7, 1))
    check()
    value = ind.compute(tree.central, Period.year(2026), ["victims_supported_pct"])
    assert value["victims_supported_pct"] == {"total": 50.0, "victims": 2, "supported": 1}
    # written by SQL, the day is put back at once; without the triggers, by the rebuild
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_supportcase SET first_served_on = '2026-01-01'")
    check()
    rollups.uninstall(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute("UPDATE cases_supportcase SET first_served_on = NULL")
        assert rollups.differences()["cases_supportcase"] == 1
    finally:
        rollups.install_and_rebuild()
    check()


def services_through_the_cases(unit: Any, period: Period) -> dict[str, tuple[int, int, int]]:
    """The services delivered in the period under ``unit``, per child (a unit's name) and in
    all: count, loan amount and key sum, found through each service's case and its path now
    (the join the services' kept path replaced)."""
    from ctip.cases.models import Service

    rows = Service.objects.filter(case__unit_path__subtree=unit.path, status="delivered",
                                  date__gte=period.start, date__lte=period.end)
    parts = {"all": rows, **{child.name: rows.filter(case__unit_path__subtree=child.path)
                             for child in unit.children.all()}}
    if rows.filter(case__unit_path=unit.path).exists():
        parts["own"] = rows.filter(case__unit_path=unit.path)
    out: dict[str, tuple[int, int, int]] = {}
    for name, mine in parts.items():
        loans = mine.filter(type__in=ind.LOAN_TYPES)
        out[name] = (mine.count(), int(loans.aggregate(a=Sum("amount"))["a"] or 0),
                     int(mine.aggregate(k=Sum("record_key"))["k"] or 0))
    return out


def services_in_the_table(unit: Any, period: Period) -> dict[str, tuple[int, int, int]]:
    """The same, as the indicator table says it (the services source and its cell keys)."""
    def cell(values: dict[str, Any], keys: dict[str, Any]) -> tuple[int, int, int]:
        return (values["services"]["total"], values["loan_amount"],
                keys["services"]["total"])

    total, total_keys, children = ind.compute_keyed(unit, period, ["services", "loan_amount"])
    out = {"all": cell(total, total_keys)}
    for child, values, keys in children:
        out["own" if child.pk == unit.pk else child.name] = cell(values, keys)
    return out


def test_a_service_keeps_the_path_of_its_case_through_every_write(
        tree: Any, users: Any) -> None:
    """The services are counted under the unit their case is at now: when a service is
    added, changed, moved to another case, inserted in bulk or written by SQL, and when its
    case moves to another unit by a save, a queryset update or SQL."""
    from ctip.cases.models import Service, SupportCase
    from tests.cases.case_helpers import open_case

    def path(service: Any) -> Any:
        return Service.objects.get(pk=service.pk).case_path

    def check() -> None:
        assert rollups.differences() == CLEAN
        for unit in (tree.central, tree.province, tree.commune_a):
            for period in (Period.year(2026), Period.month(2026, 3), Period.half(2026, 1)):
                assert services_in_the_table(unit, period) == services_through_the_cases(
                    unit, period)

    case = open_case(tree.commune_a, users["case_worker"], opened_on=dt.date(2026, 1, 10))
    other = open_case(tree.commune_b, None, full_name="Lê Thị Lan",
                      opened_on=dt.date(2026, 2, 1))
    loan = cases.add_service(actor=None, case=case, type="loan_support", provider="NHCSXH",
                             date=dt.date(2026, 3, 2), amount=20_000_000, status="delivered")
    planned = cases.add_service(actor=None, case=case, type="medical", provider="Trạm y tế",
                                date=dt.date(2026, 4, 2))
    cases.set_service_status(actor=None, service=planned, status="delivered")
    elsewhere = cases.add_service(actor=None, case=other, type="legal_aid", provider="Hội",
                                  date=dt.date(2026, 3, 20), status="delivered")
    assert (path(loan), path(planned), path(elsewhere)) == (
        tree.commune_a.path, tree.commune_a.path, tree.commune_b.path)
    check()
    before = services_in_the_table(tree.province, Period.year(2026))
    assert before["Xã Đức Hòa"][:2] == (2, 20_000_000) and before["Phường Tân An"][0] == 1

    # the case moves to commune B by a queryset update: its services are counted there
    stale = Service.objects.get(pk=loan.pk)
    SupportCase.objects.filter(pk=case.pk).update(unit=tree.commune_b,
                                                  unit_path=tree.commune_b.path)
    assert (path(loan), path(planned)) == (tree.commune_b.path, tree.commune_b.path)
    moved = services_in_the_table(tree.province, Period.year(2026))
    assert moved["Xã Đức Hòa"][0] == 0 and moved["Phường Tân An"][:2] == (3, 20_000_000)
    check()
    # a copy of a service read before the move, saved: it keeps the case's new path
    stale.provider = "Ngân hàng Chính sách xã hội"
    stale.save()
    assert path(loan) == tree.commune_b.path
    # back to a branch of commune A by a save of the case, then to the other province by SQL
    case.refresh_from_db()
    case.unit, case.unit_path = tree.branch_a1, tree.branch_a1.path
    case.save()
    assert (path(loan), path(planned)) == (tree.branch_a1.path, tree.branch_a1.path)
    check()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_supportcase SET unit_id = %s, unit_path = %s WHERE id = %s",
                       [tree.other_commune.pk, tree.other_commune.path, case.pk])
    assert path(planned) == tree.other_commune.path
    check()
    # a service moved to the other case, inserted in bulk, or given a wrong path by SQL
    Service.objects.filter(pk=loan.pk).update(case=other)
    assert path(loan) == tree.commune_b.path
    made = Service.objects.bulk_create([
        Service(case=case, type="travel", provider="Hội", date=dt.date(2026, 3, 9),
                status="delivered"),
        Service(case=other, type="entrusted_loan", provider="Hội", date=dt.date(2026, 6, 1),
                amount=5_000_000, status="delivered")])
    assert [path(s) for s in made] == [tree.other_commune.path, tree.commune_b.path]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_service SET case_path = %s", [tree.commune_a.path])
    assert [path(s) for s in (loan, planned, *made)] == [
        tree.commune_b.path, tree.other_commune.path, tree.other_commune.path,
        tree.commune_b.path]
    check()
    # without the triggers a wrong path is counted, and the rebuild puts it right
    rollups.uninstall(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute("UPDATE cases_service SET case_path = %s WHERE id = %s",
                           [tree.commune_a.path, planned.pk])
        assert rollups.differences()["cases_service"] == 1
    finally:
        rollups.install_and_rebuild()
    assert path(planned) == tree.other_commune.path
    check()


def test_a_service_write_takes_its_case_before_the_service(tree: Any, users: Any) -> None:
    """A case moved to another unit locks its services after the case (the trigger that keeps
    their path), and the triggers of a service lock its case after the service: the actions
    that write a service take the case's row first, so a move and a service's write wait for
    each other instead of deadlocking on PostgreSQL (decision 0070)."""
    from django.test.utils import CaptureQueriesContext

    from tests.cases.case_helpers import open_case

    case = open_case(tree.commune_a, users["case_worker"], opened_on=dt.date(2026, 1, 10))

    def lock_then_write(sql: list[str], write: str) -> None:
        locks = [i for i, s in enumerate(sql) if s.lstrip().startswith("SELECT")
                 and '"cases_supportcase"' in s and "FOR UPDATE" in s]
        writes = [i for i, s in enumerate(sql) if s.lstrip().startswith(write)
                  and '"cases_service"' in s.split("(")[0] + s[:40]]
        assert writes, sql
        if connection.features.has_select_for_update:
            assert locks and locks[0] < writes[0], sql
        else:  # SQLite: the writer holds the whole database; no row lock is written
            assert not locks

    with transaction.atomic(), CaptureQueriesContext(connection) as added:
        service = cases.add_service(actor=None, case=case, type="medical",
                                    provider="Trạm y tế", date=dt.date(2026, 4, 2))
    lock_then_write([q["sql"] for q in added.captured_queries], "INSERT")
    with transaction.atomic(), CaptureQueriesContext(connection) as changed:
        cases.set_service_status(actor=None, service=service, status="delivered")
    lock_then_write([q["sql"] for q in changed.captured_queries], "UPDATE")
