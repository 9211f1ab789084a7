"""The shared import pipeline (``imports.pipeline``): kinds declared once, choices among the
candidates of an old address remembered for the file, imports as background jobs that write
exactly once or not at all."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from django.urls import reverse

from ctip.audit.models import AuditEvent
from ctip.core.models import ImportJob
from ctip.imports import pipeline as imports
from ctip.org.models import Unit
from ctip.outreach.activity_import import apply_import, plan_import
from ctip.outreach.models import Activity
from tests.core.test_legacy_import import ACTIVITY_HEADER, MEETING, _xlsx
from tests.core.test_legacy_import import old_communes as old_communes  # noqa: F401  (fixture)

DIVIDED = "xa Duc Hoa Thuong, huyen Duc Hoa, tinh Long An"  # became Đức Lập and Mỹ Hạnh
DIVIDED_ACCENTED = "Xã Đức Hòa Thượng, Huyện Đức Hòa, Tỉnh Long An"


def _divided_file() -> Any:
    return _xlsx([ACTIVITY_HEADER,
                  ["17/07/2025", DIVIDED, MEETING, "Buổi 1", 2, 1, 3],
                  ["18/07/2025", "X. My Loc, H. Can Giuoc, Long An", MEETING, "Buổi 2", 2, 1, 3],
                  ["19/07/2025", DIVIDED_ACCENTED, MEETING, "Buổi 3", 2, 1, 3]])


def test_both_importers_are_kinds_of_the_one_pipeline() -> None:
    kinds = imports.load_kinds()
    assert {"activities", "branches"} <= set(kinds)
    for kind in kinds.values():
        assert kind.spec.required and kind.page
        assert all(name in kind.headers for name in kind.aliases)


def test_candidates_are_offered_once_for_every_row_with_the_same_address(
        tree: Any, users: Any, formats: Any, old_communes: Any) -> None:
    plan = plan_import(users["province_officer"], _divided_file())
    [ambiguity] = plan.ambiguities.values()
    assert ambiguity.rows == [2, 4]  # with and without accents: one value, one choice
    offered = {int(pk) for pk, _label in ambiguity.candidates}
    assert offered == {old_communes["27964"].pk, old_communes["27976"].pk}
    assert plan.error_rows == [2, 4]  # never guessed
    assert "27976" in " ".join(label for _pk, label in ambiguity.candidates)


def test_the_choice_holds_for_the_rest_of_the_file_and_is_audited(
        tree: Any, users: Any, formats: Any, old_communes: Any) -> None:
    chosen = old_communes["27976"]
    choices = imports.Choices({DIVIDED: str(chosen.pk)})
    plan = plan_import(users["province_officer"], _divided_file(), choices)
    assert plan.ok, plan.errors
    assert [r.unit for r in plan.rows] == [chosen, old_communes["28177"], chosen]
    result = apply_import(users["province_officer"], _divided_file(), choices)
    assert result.imported == 3
    assert Activity.objects.filter(unit=chosen).count() == 2
    [event] = AuditEvent.objects.filter(action="activity.imported")
    assert event.changes["choices"] == {DIVIDED: str(chosen.pk)}


def test_a_choice_outside_the_candidates_is_refused(
        tree: Any, users: Any, formats: Any, old_communes: Any) -> None:
    elsewhere = old_communes["28177"]  # a real unit, but not what the old commune became
    plan = plan_import(users["province_officer"], _divided_file(),
                       imports.Choices({DIVIDED: str(elsewhere.pk)}))
    assert plan.error_rows == [2, 4]
    assert not Activity.objects.exists()


def test_preview_choose_then_import_in_the_background(
        tree: Any, users: Any, formats: Any, old_communes: Any, client_for: Any) -> None:
    client = client_for(users["province_officer"])
    url = reverse("outreach:activity_import")
    page = client.post(url, {"file": _divided_file()})
    body = page.content.decode()
    assert page.context["check_token"] and not page.context["token"]
    assert 'name="choice-0"' in body and "Mỹ Hạnh" in body and "Đức Lập" in body
    chosen = old_communes["27964"]
    again = client.post(url, {"token": page.context["check_token"], "recheck": "1",
                              "value-0": DIVIDED, "choice-0": str(chosen.pk)})
    assert again.context["plan"].ok and again.context["token"]
    assert Activity.objects.count() == 0  # the preview writes nothing
    token = again.context["token"]
    done = client.post(url, {"token": token, "apply": "1", "value-0": DIVIDED,
                             "choice-0": str(chosen.pk)})
    assert done.status_code == 302
    assert Activity.objects.filter(unit=chosen).count() == 2
    [job] = ImportJob.objects.all()
    assert job.status == ImportJob.Status.DONE and job.progress == 100
    assert "3" in job.result["lines"][0]
    # the job's page: the owner's only
    page = client.get(reverse("core:import_job", args=[job.pk]))
    assert page.status_code == 200 and job.result["lines"][0] in page.content.decode()
    other = client_for(users["commune_officer"]).get(reverse("core:import_job", args=[job.pk]))
    assert other.status_code == 404
    # the same token again imports nothing more
    client.post(url, {"token": token, "apply": "1"})
    assert Activity.objects.count() == 3 and ImportJob.objects.count() == 1


def _queued_job(users: Any, upload: Any, monkeypatch: Any,
                choices: dict[str, str] | None = None) -> ImportJob:
    """A job as the page queues it, its task not run yet (the worker's part is ``run_job``)."""
    from ctip.imports import tasks

    monkeypatch.setattr(tasks, "run_import", SimpleNamespace(enqueue=lambda *_a: None))
    token = imports.stash(users["province_officer"], upload.name, upload.read())
    job = imports.start_job(imports.kind("activities"), users["province_officer"], token,
                            imports.Choices(choices))
    assert job is not None and job.status == ImportJob.Status.QUEUED
    return job


def test_a_job_run_twice_writes_once(tree: Any, users: Any, formats: Any,
                                     old_communes: Any, monkeypatch: Any) -> None:
    job = _queued_job(users, _divided_file(), monkeypatch,
                      {DIVIDED: str(old_communes["27964"].pk)})
    assert imports.run_job(job.pk) == ImportJob.Status.DONE
    assert imports.run_job(job.pk) == ImportJob.Status.DONE  # a killed worker's second run
    assert Activity.objects.count() == 3
    assert AuditEvent.objects.filter(action="activity.imported").count() == 1
    assert not list(imports.pending_dir().glob(f"{job.stash_key}.upload"))


def test_a_job_that_fails_writes_nothing_and_says_why(
        tree: Any, users: Any, formats: Any, old_communes: Any, monkeypatch: Any) -> None:
    job = _queued_job(users, _divided_file(), monkeypatch,
                      {DIVIDED: str(old_communes["27964"].pk)})
    # between the preview and the import, the chosen commune is closed
    Unit.objects.filter(pk=old_communes["27964"].pk).update(closed_on=dt.date(2025, 7, 1))
    assert imports.run_job(job.pk) == ImportJob.Status.FAILED
    job.refresh_from_db()
    assert job.finished and job.message and job.result["error_count"] >= 1
    assert not Activity.objects.exists()


def test_a_job_given_up_by_the_worker_is_failed_on_its_page(
        tree: Any, users: Any, formats: Any, old_communes: Any, monkeypatch: Any) -> None:
    from ctip.core.leases import _GIVE_UP

    job = _queued_job(users, _divided_file(), monkeypatch)
    _GIVE_UP["ctip.imports.tasks.run_import"]([job.pk], {})
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and job.message
    assert not Activity.objects.exists()


@pytest.mark.parametrize("bad", ["missing", "edited"])
def test_a_job_whose_file_is_gone_or_changed_fails(tree: Any, users: Any, formats: Any,
                                                   old_communes: Any, bad: str,
                                                   monkeypatch: Any) -> None:
    job = _queued_job(users, _divided_file(), monkeypatch)
    path = imports.pending_dir() / f"{job.stash_key}.upload"
    if bad == "missing":
        path.unlink()
    else:
        path.write_bytes(path.read_bytes() + b"x")
    assert imports.run_job(job.pk) == ImportJob.Status.FAILED
    job.refresh_from_db()
    assert job.message and not Activity.objects.exists()


def test_a_running_job_shows_its_progress_and_asks_for_it_again(
        tree: Any, users: Any, formats: Any, old_communes: Any, monkeypatch: Any,
        client_for: Any) -> None:
    job = _queued_job(users, _divided_file(), monkeypatch)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING, progress=30)
    client = client_for(users["province_officer"])
    url = reverse("core:import_job", args=[job.pk])
    body = client.get(url).content.decode()
    assert '<progress max="100" value="30">' in body
    # htmx asks again for the progress alone; without JavaScript, a link does. No page
    # reloads itself (axe's meta-refresh rule, WCAG 2.2.1).
    assert f'hx-get="{url}?poll=1&amp;seen=running-30" hx-trigger="every 3s"' in body
    assert "<noscript>" in body
    # nothing changed since: 204, nothing swapped; once it moves on, its new state
    assert client.get(f"{url}?poll=1&seen=running-30", HTTP_HX_REQUEST="true").status_code == 204
    ImportJob.objects.filter(pk=job.pk).update(progress=31)
    assert 'http-equiv="refresh"' not in body
    fragment = client.get(f"{url}?poll=1&seen=running-30",
                          HTTP_HX_REQUEST="true").content.decode()
    assert "seen=running-31" in fragment
    assert fragment.lstrip().startswith('<div id="import-job-state"') and "<html" not in fragment
    imports.run_job(job.pk)  # a job marked running by a killed worker is run again
    body = client.get(url).content.decode()
    assert "hx-trigger" not in body.split('id="import-job"')[1]
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED  # the divided commune was never chosen
    assert job.message in body and "Xã Mỹ Hạnh (27976)" in body  # the rows' errors
