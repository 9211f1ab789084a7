"""Two runs of one background job at once (a worker thought dead has its task given to another
while it still runs; an export taken back from a stalled worker) do its work once, and the one
that ends last never undoes the other: a finished import is not turned into "failed" or back
into "checked", a finished PDF is not removed (``core.jobstate``).

Each test runs the other run inside the first, at the point where the two overlap, so the
interleaving is the same on every run of the test."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings

from ctip.audit.models import AuditEvent
from ctip.core.models import ImportJob
from ctip.imports import pipeline as imports
from ctip.outreach.models import Activity
from ctip.reports import pdf
from ctip.reports.models import Export, Report
from ctip.reports.tasks import run_export
from tests.core.test_import_pipeline import DIVIDED, _divided_file, _queued_job
from tests.core.test_legacy_import import old_communes as old_communes  # noqa: F401  (fixture)
from tests.reports.test_export_retry import report as report  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def _imported_once(job: ImportJob) -> None:
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, job.message
    assert job.message == "" and job.result["rows"] == 3
    assert Activity.objects.count() == 3
    assert AuditEvent.objects.filter(action="activity.imported").count() == 1


def test_two_runs_of_an_import_at_once_import_it_once(tree: Any, users: Any, formats: Any,
                                                      old_communes: Any,
                                                      monkeypatch: Any) -> None:
    job = _queued_job(users, _divided_file(), monkeypatch,
                      {DIVIDED: str(old_communes["27964"].pk)})
    seen: list[str] = []

    def the_other_run(point: str) -> None:
        # both runs have read the file; the other one imports it while this one waits
        if point == "import.before_write" and not seen:
            seen.append(point)
            assert imports.run_job(job.pk) == ImportJob.Status.DONE

    applied: list[int] = []
    apply_parsed = imports.apply_parsed

    def counted(*args: Any, **kwargs: Any) -> Any:
        applied.append(1)
        return apply_parsed(*args, **kwargs)

    monkeypatch.setattr(imports, "pause", the_other_run)
    monkeypatch.setattr(imports, "apply_parsed", counted)
    assert imports.run_job(job.pk) == ImportJob.Status.DONE
    assert seen
    _imported_once(job)
    # the second waited for the first and found it done: it did not go through the rows again
    assert len(applied) == 1


def test_a_run_that_finds_the_file_gone_leaves_a_finished_import_done(
        tree: Any, users: Any, formats: Any, old_communes: Any, monkeypatch: Any) -> None:
    job = _queued_job(users, _divided_file(), monkeypatch,
                      {DIVIDED: str(old_communes["27964"].pk)})
    stashed = imports._stashed

    def late(key: str, digest: str) -> bytes | None:
        # this run has marked the job running; the other one finishes it and removes its file
        monkeypatch.setattr(imports, "_stashed", stashed)
        assert imports.run_job(job.pk) == ImportJob.Status.DONE
        return stashed(key, digest)

    monkeypatch.setattr(imports, "_stashed", late)
    assert imports.run_job(job.pk) == ImportJob.Status.DONE
    _imported_once(job)


def test_a_run_that_fails_after_the_other_finished_leaves_the_import_done(
        tree: Any, users: Any, formats: Any, old_communes: Any, monkeypatch: Any) -> None:
    job = _queued_job(users, _divided_file(), monkeypatch,
                      {DIVIDED: str(old_communes["27964"].pk)})
    kept = imports._kept

    def other_then_fail(job_: ImportJob) -> Any:
        monkeypatch.setattr(imports, "_kept", kept)
        assert imports.run_job(job.pk) == ImportJob.Status.DONE
        raise OSError("disk full")

    monkeypatch.setattr(imports, "_kept", other_then_fail)
    assert imports.run_job(job.pk) == ImportJob.Status.DONE
    _imported_once(job)


@pytest.mark.parametrize("ending", ["checked", "failed"])
def test_a_check_that_ends_after_the_import_leaves_the_import_alone(
        tree: Any, users: Any, formats: Any, old_communes: Any, monkeypatch: Any,
        ending: str) -> None:
    from ctip.imports import tasks

    monkeypatch.setattr(tasks, "run_preview", SimpleNamespace(enqueue=lambda *_a: None))
    monkeypatch.setattr(tasks, "run_import", SimpleNamespace(enqueue=lambda *_a: None))
    officer = users["province_officer"]
    upload = _divided_file()
    activities = imports.kind("activities")
    job = imports.start_preview(activities, officer, name=upload.name, data=upload.read(),
                                here=False)
    assert job is not None and job.status == ImportJob.Status.PREVIEWING
    token = job.result["token"]
    plan_parsed = imports.plan_parsed

    def meanwhile(*args: Any, **kwargs: Any) -> Any:
        # while this check runs, the other run of it finishes, she confirms, it is imported
        monkeypatch.setattr(imports, "plan_parsed", plan_parsed)
        assert imports.run_preview_job(job.pk) == ImportJob.Status.PREVIEWED
        started = imports.start_job(activities, officer, token,
                                    imports.Choices({DIVIDED: str(old_communes["27964"].pk)}))
        assert started is not None and started.pk == job.pk
        assert imports.run_job(job.pk) == ImportJob.Status.DONE
        if ending == "failed":
            raise OSError("disk full")
        return plan_parsed(*args, **kwargs)

    monkeypatch.setattr(imports, "plan_parsed", meanwhile)
    assert imports.run_preview_job(job.pk) == ImportJob.Status.DONE
    _imported_once(job)


def _pdfs(export: Export) -> list[str]:
    return sorted(p.name for p in
                  (Path(settings.MEDIA_ROOT) / "exports").rglob(f"*-{export.pk}*.pdf"))


def test_two_builds_of_a_pdf_at_once_keep_one_file(report: Report,  # noqa: F811
                                                   monkeypatch: Any) -> None:
    export = Export.objects.create(report=report)
    render = pdf.render_pdf

    first: dict[str, Any] = {}

    def meanwhile(*args: Any, **kwargs: Any) -> bytes:
        monkeypatch.setattr(pdf, "render_pdf", render)
        other = run_export(export.pk)
        assert other.status == Export.Status.DONE
        first.update(finished_at=other.finished_at, name=str(other.file.name))
        return render(*args, **kwargs)

    monkeypatch.setattr(pdf, "render_pdf", meanwhile)
    run_export(export.pk)
    export.refresh_from_db()
    assert export.status == Export.Status.DONE and export.file
    # the later run found it finished: the finished PDF was neither removed nor written again
    assert (export.finished_at, str(export.file.name)) == (first["finished_at"], first["name"])
    assert export.file.storage.exists(str(export.file.name))
    assert _pdfs(export) == [Path(str(export.file.name)).name]


def test_a_build_failing_after_the_other_finished_keeps_the_pdf(report: Report,  # noqa: F811
                                                                monkeypatch: Any) -> None:
    export = Export.objects.create(report=report)
    render = pdf.render_pdf

    def other_then_fail(*_args: Any, **_kwargs: Any) -> bytes:
        monkeypatch.setattr(pdf, "render_pdf", render)
        assert run_export(export.pk).status == Export.Status.DONE
        raise RuntimeError("out of memory")

    monkeypatch.setattr(pdf, "render_pdf", other_then_fail)
    run_export(export.pk)
    export.refresh_from_db()
    assert export.status == Export.Status.DONE and export.error == ""
    assert export.file.storage.exists(str(export.file.name))
    assert _pdfs(export) == [Path(str(export.file.name)).name]
