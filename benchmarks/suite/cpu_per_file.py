"""A pytest plugin: the processor time of each test file (the test process and the processes
it waited for), printed at the end of the run, most first; then the fixtures that cost most.

    PYTHONPATH=src:benchmarks/suite .venv/bin/python -m pytest -p cpu_per_file -p no:xdist \
        tests/x.py

Under xdist each worker keeps its own table, which the controller does not print: run the files
one by one to compare them (benchmarks/README.md, "suite").

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


def _child_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _seconds() -> float:
    return time.process_time() + _child_seconds()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: Any) -> Iterator[Any]:
    path = item.nodeid.partition("::")[0]
    cpu, children, wall = time.process_time(), _child_seconds(), time.perf_counter()
    try:
        return (yield)
    finally:
        _cpu[path] += time.process_time() - cpu
        _children[path] += _child_seconds() - children
        _wall[path] += time.perf_counter() - wall


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


def pytest_terminal_summary(terminalreporter: Any) -> None:
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
