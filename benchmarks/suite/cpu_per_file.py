"""A pytest plugin: the processor time of each test file (the test process and the processes
it waited for), printed at the end of the run, most first; then the fixtures that cost most.

    PYTHONPATH=src:benchmarks/suite .venv/bin/python -m pytest -p cpu_per_file -p no:xdist \
        tests/x.py

Under xdist (``-n 2 --dist loadfile``, as ``bootstrap.py test`` runs the suite) each worker
sends its tables to the controller, which prints them merged, then what the run cost the
machine: its wall time, the processor of the workers and of every process they waited for, and
that processor divided by the cores, the shortest the run could take on this machine if no core
ever waited (benchmarks/README.md, "suite").

The fixture table counts each fixture's own setup (pytest sets up what it depends on first, so
``users`` does not include ``tree``), summed over the run, with the number of setups.
"""

from __future__ import annotations

import os
import resource
import time
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest

_cpu: dict[str, float] = defaultdict(float)
_children: dict[str, float] = defaultdict(float)
_wall: dict[str, float] = defaultdict(float)
_setup: dict[str, float] = defaultdict(float)
_fixture: dict[str, float] = defaultdict(float)
_fixture_count: dict[str, int] = defaultdict(int)
_workers: list[dict[str, float]] = []  # the controller: each worker's own totals
# file -> [first start, last end] (seconds since the epoch, comparable between processes)
_span: dict[str, list[float]] = {}
_schedule: dict[str, dict[str, list[float]]] = {}  # the controller: worker -> its spans
_started = time.perf_counter()
_started_at = time.time()


def _machine_jiffies() -> tuple[int, int] | None:
    """(busy, all) clock ticks of every core since boot, from /proc/stat: everything the
    machine ran, a database server included."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(v) for v in stat.readline().split()[1:]]
    except OSError:
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle and waiting for I/O
    return sum(fields) - idle, sum(fields)


_jiffies_at_start = _machine_jiffies()


def _child_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _seconds() -> float:
    return time.process_time() + _child_seconds()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: Any) -> Iterator[Any]:
    path = item.nodeid.partition("::")[0]
    cpu, children, wall = time.process_time(), _child_seconds(), time.perf_counter()
    span = _span.setdefault(path, [time.time(), 0.0])
    try:
        return (yield)
    finally:
        _cpu[path] += time.process_time() - cpu
        _children[path] += _child_seconds() - children
        _wall[path] += time.perf_counter() - wall
        span[1] = time.time()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[Any]:
    start = _seconds()
    try:
        return (yield)
    finally:
        _setup[item.nodeid.partition("::")[0]] += _seconds() - start


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: Any, request: Any) -> Iterator[Any]:
    start = _seconds()
    try:
        return (yield)
    finally:
        _fixture[fixturedef.argname] += _seconds() - start
        _fixture_count[fixturedef.argname] += 1


TABLES: dict[str, dict[str, Any]] = {
    "cpu": _cpu, "children": _children, "wall": _wall, "setup": _setup, "fixture": _fixture,
    "fixture_count": _fixture_count}


def pytest_sessionfinish(session: pytest.Session) -> None:
    """A worker sends its tables and its totals to the controller (xdist's ``workeroutput``)."""
    output = getattr(session.config, "workeroutput", None)
    if output is None:
        return
    output["cpu_per_file"] = {name: dict(table) for name, table in TABLES.items()}
    output["cpu_per_file_totals"] = {"processor": _seconds(),
                                     "wall": time.perf_counter() - _started}
    worker = getattr(session.config, "workerinput", {}).get("workerid", "")
    output["cpu_per_file_schedule"] = {"worker": worker, "spans": _span}


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """The controller adds a finished worker's tables to its own."""
    output = getattr(node, "workeroutput", {})
    for name, table in output.get("cpu_per_file", {}).items():
        for key, value in table.items():
            TABLES[name][key] += value
    if "cpu_per_file_totals" in output:
        _workers.append(output["cpu_per_file_totals"])
    if "cpu_per_file_schedule" in output:
        schedule = output["cpu_per_file_schedule"]
        _schedule[schedule["worker"] or f"worker {len(_schedule) + 1}"] = schedule["spans"]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if hasattr(terminalreporter.config, "workeroutput"):
        return  # a worker: the controller prints
    write = terminalreporter.write_line
    load = os.getloadavg()
    write(f"processor seconds per file (load average {load[0]:.2f}, {load[1]:.2f}, "
          f"{load[2]:.2f}); setup: of the total, in fixtures")
    write(f"{'file':60} {'self':>8} {'children':>9} {'total':>8} {'setup':>8} {'wall':>8}")
    for path in sorted(_cpu, key=lambda p: -(_cpu[p] + _children[p])):
        write(f"{path:60} {_cpu[path]:8.1f} {_children[path]:9.1f} "
              f"{_cpu[path] + _children[path]:8.1f} {_setup[path]:8.1f} {_wall[path]:8.1f}")
    write(f"all {len(_cpu)} files: {sum(_cpu.values()) + sum(_children.values()):.1f} s, "
          f"of which setup {sum(_setup.values()):.1f} s")
    write("processor seconds per fixture (its own setup, not what it depends on), most first")
    write(f"{'fixture':40} {'setups':>7} {'total':>8} {'each':>8}")
    for name in sorted(_fixture, key=lambda n: -_fixture[n])[:25]:
        write(f"{name:40} {_fixture_count[name]:7d} {_fixture[name]:8.1f} "
              f"{_fixture[name] / _fixture_count[name]:8.3f}")
    if _workers:
        wall = time.perf_counter() - _started
        processor = sum(w["processor"] for w in _workers)
        cores = os.cpu_count() or 1
        each = ", ".join(f"{w['processor']:.0f} s in {w['wall']:.0f} s" for w in _workers)
        write(f"the run: {len(_workers)} workers, {wall:.0f} s of wall time; the workers and "
              f"every process they waited for used {processor:.0f} s of processor ({each})")
        write(f"on {cores} cores that is at least {processor / cores:.0f} s of wall time; the "
              f"cores were busy {processor / (cores * wall):.0%} of the run (a database server "
              f"the tests talk to is not counted)")
        now = _machine_jiffies()
        if now is not None and _jiffies_at_start is not None:
            busy, every = (now[0] - _jiffies_at_start[0]), (now[1] - _jiffies_at_start[1])
            write(f"the machine's cores, everything it ran included (/proc/stat), were busy "
                  f"{busy / max(every, 1):.0%} of the run")
        _write_schedule(write)


def _write_schedule(write: Any, shortest: float = 15.0) -> None:
    """When each worker ran its files of at least ``shortest`` seconds of wall time: seconds
    from the start of the run to the file's first test and to the end of its last, the file's
    wall time and processor (its tests, the processes they waited for)."""
    write(f"the schedule: each worker's files of {shortest:.0f} s of wall time or more, in the "
          f"order it ran them (seconds since the run started)")
    for worker in sorted(_schedule):
        spans = _schedule[worker]
        last = max((end for _start, end in spans.values()), default=_started_at)
        write(f"{worker}: {len(spans)} files, the last ended at {last - _started_at:.0f} s")
        for path, (start, end) in sorted(spans.items(), key=lambda item: item[1][0]):
            if end - start >= shortest:
                write(f"  {start - _started_at:6.0f} {end - _started_at:6.0f}  wall "
                      f"{end - start:5.0f}  processor {_cpu[path] + _children[path]:5.0f}  "
                      f"{path}")
