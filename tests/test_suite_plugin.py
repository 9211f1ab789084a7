"""The per-file processor plugin of ``benchmarks/suite`` under xdist: each worker sends its
tables, the controller merges them and prints what the run cost the machine (decision record
0080). Its hooks are called here as xdist calls them."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

PLUGIN = Path(__file__).resolve().parent.parent / "benchmarks" / "suite" / "cpu_per_file.py"


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("cpu_per_file_under_test", PLUGIN)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def worker_output(module: ModuleType, files: dict[str, float]) -> dict[str, Any]:
    """What one worker sends after running ``files`` (processor seconds each)."""
    for path, seconds in files.items():
        module._cpu[path] += seconds
        module._wall[path] += seconds * 2
    config = SimpleNamespace(workeroutput={})
    module.pytest_sessionfinish(SimpleNamespace(config=config))
    return config.workeroutput  # type: ignore[no-any-return]


def test_the_controller_merges_its_workers_and_prints_the_floor() -> None:
    first = worker_output(load(), {"tests/a.py": 30.0, "tests/b.py": 10.0})
    second = worker_output(load(), {"tests/a.py": 5.0, "tests/c.py": 20.0})
    first["cpu_per_file_totals"] = {"processor": 100.0, "wall": 60.0}
    second["cpu_per_file_totals"] = {"processor": 50.0, "wall": 58.0}
    controller = load()
    for output in (first, second):
        controller.pytest_testnodedown(SimpleNamespace(workeroutput=output), None)
    assert controller._cpu == {"tests/a.py": 35.0, "tests/b.py": 10.0, "tests/c.py": 20.0}
    assert controller._wall["tests/a.py"] == 70.0
    lines: list[str] = []
    reporter = SimpleNamespace(config=SimpleNamespace(), write_line=lines.append)
    controller.pytest_terminal_summary(reporter)
    files = [line.split()[0] for line in lines if line.startswith("tests/")]
    assert files == ["tests/a.py", "tests/c.py", "tests/b.py"]  # most processor first
    assert any(line.startswith("all 3 files: 65.0 s") for line in lines)
    run = next(line for line in lines if line.startswith("the run: 2 workers"))
    assert "used 150 s of processor (100 s in 60 s, 50 s in 58 s)" in run
    floor = next(line for line in lines if "at least" in line)
    assert f"at least {150 / (os.cpu_count() or 1):.0f} s of wall time" in floor


def test_the_controller_prints_each_workers_schedule_in_order() -> None:
    controller = load()
    start = controller._started_at
    outputs = [worker_output(load(), {"tests/a.py": 30.0, "tests/b.py": 10.0}),
               worker_output(load(), {"tests/c.py": 20.0})]
    outputs[0]["cpu_per_file_schedule"] = {"worker": "gw0", "spans": {
        "tests/b.py": [start + 40, start + 60], "tests/a.py": [start + 5, start + 40]}}
    outputs[1]["cpu_per_file_schedule"] = {"worker": "gw1", "spans": {
        "tests/c.py": [start + 5, start + 45], "tests/short.py": [start + 45, start + 50]}}
    for output in outputs:
        output["cpu_per_file_totals"] = {"processor": 50.0, "wall": 60.0}
        controller.pytest_testnodedown(SimpleNamespace(workeroutput=output), None)
    lines: list[str] = []
    controller.pytest_terminal_summary(SimpleNamespace(config=SimpleNamespace(),
                                                       write_line=lines.append))
    at = lines.index("gw0: 2 files, the last ended at 60 s")
    assert lines[at + 1].split() == ["5", "40", "wall", "35", "processor", "30", "tests/a.py"]
    assert lines[at + 2].split() == ["40", "60", "wall", "20", "processor", "10", "tests/b.py"]
    assert lines[at + 3] == "gw1: 2 files, the last ended at 50 s"
    assert lines[at + 4].split()[-1] == "tests/c.py"  # tests/short.py: under 15 s, not shown
    assert lines[at + 5:] == []
    assert any(line.startswith("the machine's cores") for line in lines)


def test_the_sent_totals_are_the_workers_processor_with_its_children() -> None:
    output = worker_output(load(), {"tests/a.py": 1.0})
    totals = output["cpu_per_file_totals"]
    assert 0 < totals["processor"] and 0 < totals["wall"]


def test_a_worker_prints_nothing_itself() -> None:
    module = load()
    module._cpu["tests/a.py"] = 1.0
    lines: list[str] = []
    module.pytest_terminal_summary(SimpleNamespace(config=SimpleNamespace(workeroutput={}),
                                                   write_line=lines.append))
    assert lines == []
