"""``ctip check`` refuses debug and test mode outside development; stopping ``ctip demo`` or
``ctip serve`` with SIGTERM or Ctrl+C (SIGINT) stops every process it started (decision record
0024). Real subprocesses on a free port with a temporary data directory."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

TEST_FIELD_KEY = "Y3RpcC10ZXN0cy1vbmx5LWZpZWxkLWtleS0wMDAwMDA="
# seconds: the demo's grace (10 s) is for a task still running; a loaded test machine is slow
STOP_WITHIN = 15.0


def _env(data: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "CTIP_DEBUG", "CTIP_TESTING", "CTIP_ENV",
                        "DJANGO_SETTINGS_MODULE"}}
    env.update(CTIP_DATA_DIR=str(data), SECRET_KEY="k" * 60, CTIP_FIELD_KEYS=TEST_FIELD_KEY,
               CTIP_DEMO_PASSWORD="demo-password-for-tests", CTIP_WORKERS="1",
               PYTHONPATH=os.pathsep.join([str(Path(__file__).resolve().parents[2] / "src"),
                                           os.environ.get("PYTHONPATH", "")]))
    env.update(extra)
    return env


def _ctip(*args: str, env: dict[str, str], timeout: int = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ctip.cli", *args],  # noqa: S603
                          env=env, capture_output=True, text=True, check=False, timeout=timeout)


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory, install_migrated: Any) -> Path:
    data = tmp_path_factory.mktemp("ctip-data")
    install_migrated(data)  # a copy of the run's migrated database: nothing left to migrate
    run = _ctip("migrate", env=_env(data))
    assert run.returncode == 0, run.stderr
    return data


# --- what a process loads at start -----------------------------------------------------------

def test_a_process_starts_without_the_spreadsheet_reader_and_finds_every_import(
        tmp_path: Path) -> None:
    """Every ``ctip`` process (a worker, ``ctip check``, each server worker) sets Django up; the
    kinds of import are named then, and their modules, which read spreadsheets (openpyxl, which
    loads numpy), are imported only when an import is used (decision 0072). A server's process
    also loads every page: none of them loads openpyxl until a workbook is read or written
    (about 0.13 s of processor and 15 MB of memory per process)."""
    script = ("import json, sys, django; django.setup(); "
              "started = sorted(m for m in ('openpyxl', 'numpy') if m in sys.modules); "
              "from django.urls import get_resolver; get_resolver().url_patterns; "
              "serving = sorted(m for m in ('openpyxl', 'numpy') if m in sys.modules); "
              "from ctip.imports import pipeline; "
              "found = pipeline.kind('activities').name; every = sorted(pipeline.load_kinds()); "
              "from ctip.core import exports; exports.save(exports.workbook()); "
              "print(json.dumps([started, serving, found, every, 'openpyxl' in sys.modules]))")
    run = subprocess.run([sys.executable, "-c", script],  # noqa: S603
                         env=_env(tmp_path, DJANGO_SETTINGS_MODULE="ctip.settings"),
                         capture_output=True, text=True, check=False, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    started, serving, found, every, loaded = json.loads(run.stdout.strip().splitlines()[-1])
    assert started == []
    # nor once every page is loaded, as a server's process is before its first request
    # (``ctip.core.startup.settle``): only reading or writing a workbook loads them
    assert serving == []
    assert found == "activities"
    assert every == ["activities", "branches", "club_members", "commendations", "situations"]
    assert loaded  # and once a workbook is written, it is there


def test_the_worker_checks_its_keys_at_start_but_not_the_pages(migrated: Path) -> None:
    """``ctip worker`` runs ctip's own start checks (no field key: it refuses to start), not
    Django's whole suite: those load every page (the URL configuration) and the migration
    autodetector, which a worker does not need; ``ctip check`` and ``ctip serve`` run them
    (decision 0072)."""
    script = ("import os, sys, django; os.environ['DJANGO_SETTINGS_MODULE'] = 'ctip.settings'; "
              "django.setup(); from ctip.core import leases; "
              "leases.LeasedWorker.run = lambda self: (print('pages loaded:', 'ctip.urls' in "
              "sys.modules, flush=True), os._exit(0)); "
              "from ctip.cli import main; main(['ctip', 'worker', '--no-scheduler'])")
    run = subprocess.run([sys.executable, "-c", script],  # noqa: S603
                         env=_env(migrated), capture_output=True, text=True, check=False,
                         timeout=300)
    assert "pages loaded: False" in run.stdout, run.stdout + run.stderr[-3000:]
    keyless = {k: v for k, v in _env(migrated).items() if k != "CTIP_FIELD_KEYS"}
    refused = _ctip("worker", "--no-scheduler", env=keyless, timeout=300)
    assert refused.returncode != 0
    assert "ctip.E001" in refused.stderr and "No field encryption key" in refused.stderr


# --- ctip check -------------------------------------------------------------------------------

@pytest.mark.parametrize(("extra", "code", "said"), [
    ({"CTIP_DEBUG": "1"}, "ctip.E011", "Debug mode is on (CTIP_DEBUG=1) outside development"),
    ({"CTIP_TESTING": "1"}, "ctip.E012", "Test mode is on (CTIP_TESTING=1) outside development"),
    ({"CTIP_DEBUG": "1", "CTIP_ENV": "production"}, "ctip.E011", "Debug mode is on"),
    ({"CTIP_ENV": "dev"}, "ctip.E010", "CTIP_ENV='dev' is not one of"),
])
def test_ctip_check_fails_on_debug_or_test_mode_outside_development(
        migrated: Path, extra: dict[str, str], code: str, said: str) -> None:
    run = _ctip("check", env=_env(migrated, **extra))
    assert run.returncode != 0
    output = run.stdout + run.stderr
    assert code in output and said in output
    assert "CTIP_ENV=development" in output or code == "ctip.E010"
    assert "All checks passed." not in output


@pytest.mark.parametrize("extra", [{}, {"CTIP_ENV": "development", "CTIP_DEBUG": "1"},
                                   {"CTIP_ENV": "development", "CTIP_TESTING": "1"}])
def test_ctip_check_passes_on_a_server_or_in_declared_development(
        migrated: Path, extra: dict[str, str]) -> None:
    run = _ctip("check", env=_env(migrated, **extra))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "All checks passed." in run.stdout


# --- stopping demo and serve ------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_answer(port: int, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "ctip stopped before it answered"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/",  # noqa: S310
                                        timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    pytest.fail(f"nothing answered on port {port} within {timeout} s")


def _children(pid: int) -> dict[int, str]:
    """Every living descendant of ``pid`` (pid -> command line), from /proc."""
    parents: dict[int, int] = {}
    commands: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] == "Z":
            continue
        parents[int(entry.name)] = int(fields[1])
        commands[int(entry.name)] = cmdline
    found: dict[int, str] = {}
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in found:
                found[child] = commands[child]
                frontier.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _until_started(pid: int, expect: list[str], timeout: float) -> dict[int, str]:
    """The descendants of ``pid`` once each of ``expect`` is in one's command line (or the
    timeout has passed: the caller's assertion then says which is missing)."""
    deadline = time.monotonic() + timeout
    while True:
        started = _children(pid)
        if time.monotonic() > deadline or all(
                any(what in command for command in started.values()) for what in expect):
            return started
        time.sleep(0.2)


def _start_and_stop(args: list[str], env: dict[str, str], port: int, signum: int,
                    expect: list[str]) -> None:
    process = subprocess.Popen([sys.executable, "-m", "ctip.cli", *args],  # noqa: S603
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_answer(port, process, timeout=600)
        # One gunicorn worker (CTIP_WORKERS=1): the answer proves it booted. A worker still
        # importing Django has not yet set its signal handlers, and gunicorn waits out its
        # graceful timeout (30 s) for it before killing it. The task worker may start after
        # the server answers: wait until every expected process is there, not a fixed second.
        started = _until_started(process.pid, expect, timeout=120)
        started[process.pid] = "ctip (the process signalled)"
        for what in expect:
            assert any(what in command for command in started.values()), (what, started)
        process.send_signal(signum)
        deadline = time.monotonic() + STOP_WITHIN
        while time.monotonic() < deadline and any(_alive(pid) for pid in started):
            process.poll()
            time.sleep(0.2)
        left = {pid: command for pid, command in started.items() if _alive(pid)}
        name = signal.Signals(signum).name
        assert not left, f"still running {STOP_WITHIN} s after {name}: {left}"
        with pytest.raises((urllib.error.URLError, ConnectionError)):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=3)  # noqa: S310
    finally:
        for pid in [process.pid, *_children(process.pid)]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        process.wait(timeout=10)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_stopping_ctip_demo_stops_the_server_its_workers_and_the_task_worker(
        migrated: Path, signum: int) -> None:
    port = _free_port()
    # --no-data: the processes are what matters here, not the Tây Ninh data (tested elsewhere)
    _start_and_stop(["demo", "--no-data", "--port", str(port)], _env(migrated), port, signum,
                    expect=["ctip.cli worker", "gunicorn"])


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_stopping_ctip_serve_stops_every_gunicorn_worker(migrated: Path, signum: int) -> None:
    port = _free_port()
    _start_and_stop(["serve", "--port", str(port)], _env(migrated), port, signum,
                    expect=["gunicorn"])
