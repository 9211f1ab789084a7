"""A pytest plugin: the processor time of each test file (the test process and the processes
it waited for), printed at the end of the run, most first.

    PYTHONPATH=src:benchmarks/suite .venv/bin/python -m pytest -p cpu_per_file -p no:xdist \
        tests/x.py

Under xdist each worker keeps its own table, which the controller does not print: run the files
one by one to compare them (benchmarks/README.md, "suite").
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


def _child_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


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


def pytest_terminal_summary(terminalreporter: Any) -> None:
    write = terminalreporter.write_line
    write(f"processor seconds per file (load average {os.getloadavg()[0]:.2f}, "
          f"{os.getloadavg()[1]:.2f}, {os.getloadavg()[2]:.2f})")
    write(f"{'file':60} {'self':>8} {'children':>9} {'total':>8} {'wall':>8}")
    for path in sorted(_cpu, key=lambda p: -(_cpu[p] + _children[p])):
        write(f"{path:60} {_cpu[path]:8.1f} {_children[path]:9.1f} "
              f"{_cpu[path] + _children[path]:8.1f} {_wall[path]:8.1f}")
