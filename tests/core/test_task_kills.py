"""Work that finishes or says it failed (issue 13.4, decision 0028), with real processes: for
each kind of background task, ``ctip worker`` is started, killed with SIGKILL in the middle of
the task (at a fault-injection point, ``ctip.core.faults``), and a second worker started. The
task's lease expires, it runs again, and it ends exactly once: one PDF, one digest and one mail
per person, one reminder and its mail per owed report, one import, one mail, one checkpoint,
one backup. With a single attempt allowed, the task is marked failed instead, and the export's
page says so.

SQLite in a temporary data directory (the database queue, not test mode); the test reads the
outcome straight from the database file."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.core.test_processes import _env

ROOT = Path(__file__).resolve().parents[2]
LEASE = "2"  # seconds: renewed every 0.5 s
WAIT = 240.0  # seconds: a loaded machine starts Django slowly


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, install_migrated: Any) -> Path:
    data = tmp_path_factory.mktemp("ctip-kill-template")
    install_migrated(data)  # a copy of the run's migrated database: nothing left to migrate
    run = subprocess.run([sys.executable, "-m", "ctip.cli", "migrate"],  # noqa: S603
                         env=_env(data), capture_output=True, text=True, timeout=900,
                         check=False)
    assert run.returncode == 0, run.stderr
    return data


class World:
    def __init__(self, data: Path) -> None:
        self.data = data
        self.mails = data / "mails"
        self.mails.mkdir()
        self.marker = data / "paused"
        self.workers: list[subprocess.Popen[bytes]] = []

    def env(self, **extra: str) -> dict[str, str]:
        env = _env(self.data, CTIP_TASK_LEASE_SECONDS=LEASE, CTIP_EMAIL_FILE_PATH=str(self.mails),
                   CTIP_BACKUP_DIR=str(self.data / "backups"), **extra)
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env["PYTHONPATH"]])
        return env

    def setup(self, kind: str) -> dict[str, Any]:
        run = subprocess.run([sys.executable, "-m", "tests.core.task_kill_setup", kind],  # noqa: S603
                             env=self.env(), capture_output=True, text=True, timeout=600,
                             check=False, cwd=ROOT)
        assert run.returncode == 0, run.stderr[-3000:]
        return dict(json.loads(run.stdout.strip().splitlines()[-1]))

    def worker(self, **extra: str) -> subprocess.Popen[bytes]:
        log = (self.data / f"worker{len(self.workers)}.log").open("wb")
        process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "ctip.cli", "worker", "--no-scheduler", "--interval", "0.2"],
            env=self.env(**extra), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.workers.append(process)
        return process

    def kill_at(self, point: str, **extra: str) -> None:
        """Start a worker that stops at ``point``, and kill it there with SIGKILL."""
        process = self.worker(CTIP_FAULT_PAUSE=point, CTIP_FAULT_MARKER=str(self.marker),
                              **extra)
        self.until(lambda: self.marker.exists(), f"the worker reaching {point}", process)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def until(self, condition: Any, what: str,
              process: subprocess.Popen[bytes] | None = None) -> None:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if condition():
                return
            if process is not None and process.poll() is not None:
                break
            time.sleep(0.3)
        logs = "\n".join(p.read_text()[-2000:] for p in self.data.glob("worker*.log"))
        pytest.fail(f"timed out waiting for {what}\n{logs}")

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.data / "ctip.sqlite3", timeout=30) as db:
            return db.execute(sql, params).fetchall()

    def tasks(self, path_end: str) -> list[str]:
        return [r[0] for r in self.rows(
            "SELECT status FROM django_tasks_database_dbtaskresult WHERE task_path LIKE ?",
            f"%{path_end}")]

    def finished(self, path_end: str) -> bool:
        statuses = self.tasks(path_end)
        return bool(statuses) and all(s in {"SUCCESSFUL", "FAILED"} for s in statuses)

    def mail_ids(self) -> list[str]:
        return [line.split(":", 1)[1].strip() for f in self.mails.iterdir()
                for line in f.read_text().splitlines() if line.startswith("Message-ID:")]

    def stop(self) -> None:
        for process in self.workers:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)


@pytest.fixture
def world(template: Path, tmp_path: Path) -> Iterator[World]:
    data = tmp_path / "data"
    shutil.copytree(template, data)
    world = World(data)
    yield world
    world.stop()


def _run_again(world: World, path_end: str) -> None:
    world.worker()
    world.until(lambda: world.finished(path_end), f"{path_end} to finish")
    assert world.tasks(path_end) == ["SUCCESSFUL"]


def test_pdf_export_killed_after_writing_its_file(world: World) -> None:
    export = world.setup("export")["export"]
    world.kill_at("export.after_file")
    assert world.rows("SELECT status FROM reports_export WHERE id=?", export) == [("running",)]
    _run_again(world, "build_report_pdf")
    assert world.rows("SELECT status, progress FROM reports_export WHERE id=?",
                      export) == [("done", 100)]
    pdfs = list((world.data / "media" / "exports").rglob("*.pdf"))
    assert len(pdfs) == 1 and pdfs[0].name.endswith(f"-{export}.pdf")


def test_pdf_export_given_up_after_its_last_attempt_says_failed(world: World) -> None:
    export = world.setup("export")["export"]
    world.kill_at("export.after_file", CTIP_TASK_ATTEMPTS="1")
    world.worker(CTIP_TASK_ATTEMPTS="1")
    world.until(lambda: world.finished("build_report_pdf"), "the export to be given up")
    assert world.tasks("build_report_pdf") == ["FAILED"]
    assert world.rows("SELECT status, error FROM reports_export WHERE id=?", export) == [
        ("failed", "Tiến trình chạy nền đã dừng khi đang tạo tệp PDF.")]
    assert not list((world.data / "media" / "exports").rglob("*.pdf"))


def test_daily_digest_killed_half_way(world: World) -> None:
    recipients = world.setup("digest")["recipients"]
    world.kill_at("digest.after_first")
    assert len(world.rows("SELECT id FROM cases_notification")) == 1
    _run_again(world, "send_daily_digest")
    world.until(lambda: world.finished("deliver_mail"), "the digests' mails")
    per_user = world.rows("SELECT u.username, COUNT(*) FROM cases_notification n JOIN "
                          "accounts_user u ON u.id = n.user_id WHERE n.kind='digest' "
                          "GROUP BY u.username ORDER BY u.username")
    assert per_user == [(name, 1) for name in recipients]
    ids = world.mail_ids()
    assert len(ids) == len(recipients) == len(set(ids))


def test_mail_delivery_killed_before_sending(world: World) -> None:
    world.setup("mail")
    world.kill_at("mail.before_send")
    assert world.mail_ids() == []
    _run_again(world, "deliver_mail")
    assert len(world.mail_ids()) == 1
    assert len(world.rows("SELECT key FROM core_sentmail")) == 1


def test_report_reminders_killed_half_way(world: World) -> None:
    owed = world.setup("reminders")["owed"]
    world.kill_at("reminders.after_first")
    assert len(world.rows("SELECT id FROM reports_reportreminder")) == 1
    _run_again(world, "send_report_reminders")
    world.until(lambda: world.finished("deliver_mail"), "the reminders' mails")
    # each owed report reminded once, its mail sent once: none repeated, none lost
    reminders = world.rows("SELECT unit_id, report_type_id, period_start, recipients "
                           "FROM reports_reportreminder")
    assert len(reminders) == len(set(r[:3] for r in reminders)) == owed
    ids = world.mail_ids()
    assert len(ids) == len(set(ids)) == len([r for r in reminders if r[3]]) >= 2


def test_spreadsheet_import_killed_before_its_commit(world: World) -> None:
    setup = world.setup("import_job")
    world.kill_at("import.before_commit")
    # the rows were written in the transaction the kill cut: none kept, the job not done
    assert world.rows("SELECT COUNT(*) FROM outreach_activity") == [(0,)]
    assert world.rows("SELECT status FROM core_importjob") != [("done",)]
    _run_again(world, "run_import")
    assert world.rows("SELECT COUNT(*) FROM outreach_activity") == [(setup["rows"],)]
    assert world.rows("SELECT status, progress FROM core_importjob") == [("done", 100)]
    assert world.rows("SELECT COUNT(*) FROM audit_auditevent "
                      "WHERE action = 'activity.imported'") == [(1,)]


def test_spreadsheet_check_killed_half_way_is_checked_again(world: World) -> None:
    setup = world.setup("preview_job")
    world.kill_at("import.preview")
    assert world.rows("SELECT status FROM core_importjob") == [("previewing",)]
    _run_again(world, "run_preview")
    assert world.rows("SELECT status, progress FROM core_importjob") == [("previewed", 100)]
    assert (world.data / "media" / "imports" / f"{setup['key']}.plan").exists()
    assert world.rows("SELECT COUNT(*) FROM outreach_activity") == [(0,)]  # a check writes none


def test_spreadsheet_check_given_up_says_so(world: World) -> None:
    world.setup("preview_job")
    world.kill_at("import.preview", CTIP_TASK_ATTEMPTS="1")
    world.worker(CTIP_TASK_ATTEMPTS="1")
    world.until(lambda: world.finished("run_preview"), "the check to be given up")
    [(status, message)] = world.rows("SELECT status, message FROM core_importjob")
    assert status == "failed" and message


def test_audit_checkpoint_killed_after_writing(world: World) -> None:
    world.setup("checkpoint")
    world.kill_at("checkpoint.after_write")
    _run_again(world, "write_daily_checkpoint")
    lines = (world.data / "audit_checkpoints").read_text().splitlines()
    assert len([line for line in lines if line.strip()]) == 1
    assert len(world.rows("SELECT id FROM audit_auditevent WHERE action='audit.checkpoint'")) == 1


def test_scheduled_backup_killed_after_writing(world: World) -> None:
    world.setup("backup")
    world.kill_at("backup.after_write")
    _run_again(world, "scheduled_backup")
    backups = sorted(p.name for p in (world.data / "backups").iterdir())
    assert len(backups) == 1 and backups[0].startswith("ctip-"), backups
