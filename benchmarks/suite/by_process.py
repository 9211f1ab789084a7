"""The processor a command's run cost the whole machine, by kind of process.

    python3 benchmarks/suite/by_process.py -- python3 bootstrap.py test -q

runs the command and reads every process's processor time from ``/proc`` twice a second
until it ends, then prints the seconds each kind used: the test workers, Chromium, the
Playwright driver, each ``ctip`` command its tests start, PostgreSQL's server, and the rest.
``cpu_per_file`` counts only the workers and the processes they wait for; Chromium's
renderers and a server killed with its process group are not among those (benchmarks/README.md,
"suite"). A process that starts and ends between two readings is not counted, nor what another
user's processes did.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter

TICK = os.sysconf("SC_CLK_TCK")


def kind(comm: str, argv: list[str]) -> str:
    """A process's kind, from its name and its command line."""
    line = " ".join(argv)
    if "python" not in comm:
        return comm
    if "xdist" in line or "pytest" in line or "bootstrap.py" in line:
        return "python: the test processes"
    if "gunicorn" in line:
        return "python: gunicorn"
    if "ctip.cli" in argv:
        at = argv.index("ctip.cli")
        return f"python: ctip {argv[at + 1] if at + 1 < len(argv) else ''}".rstrip()
    if "-m" in argv:
        return f"python -m {argv[argv.index('-m') + 1]}"
    return "python: other"


def read(seen: dict[tuple[str, str], int], used: Counter[str]) -> None:
    """Add what each process used since the last reading to ``used``, by kind."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read()
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                argv = [a.decode(errors="replace") for a in cmdline.read().split(b"\0") if a]
        except OSError:
            continue  # ended meanwhile
        end = fields.rfind(")")
        comm = fields[fields.find("(") + 1:end]
        rest = fields[end + 2:].split()
        ticks = int(rest[11]) + int(rest[12])  # utime, stime
        key = (pid, rest[19])  # the start time tells a reused pid apart
        used[kind(comm, argv)] += ticks - seen.get(key, 0)
        seen[key] = ticks


def main() -> None:
    command = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else sys.argv[1:]
    if not command:
        sys.exit(__doc__)
    seen: dict[tuple[str, str], int] = {}
    before: Counter[str] = Counter()
    read(seen, before)  # what ran before the command is not counted
    used: Counter[str] = Counter()
    started = time.monotonic()
    process = subprocess.Popen(command)  # noqa: S603 (the command asked for)
    while process.poll() is None:
        read(seen, used)
        time.sleep(0.5)
    read(seen, used)
    wall = time.monotonic() - started
    total = sum(used.values()) / TICK
    print(f"\n{wall:.0f} s of wall time, {total:.0f} s of processor "
          f"({total / wall / (os.cpu_count() or 1):.0%} of the machine's cores); by kind:")
    for name, ticks in used.most_common(25):
        print(f"{ticks / TICK:9.1f} s  {name}")
    sys.exit(process.returncode)


if __name__ == "__main__":
    main()
