"""What importing each package kept inside a function costs (decision 0068).

Each package is imported in a fresh interpreter that has already imported Django and set ctip
up, so what they share with Django is not counted; the figure is the median (p50) and the best
(min) of ``--runs`` interpreters. Prints the load average: on a busy machine the figures grow.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

# The packages ctip imports only inside the functions that need them, and the reason; and two
# it imports at the top of its modules, which every process has loaded by then anyway.
LAZY = [
    ("weasyprint", "a PDF made"),
    ("vietnam_provinces", "the province lists"),
    ("vietnamadminunits.parser", "an address before 2025"),
    ("openpyxl", "(top of module: loaded at start by core.exports)"),
    ("psycopg", "(top of module: loaded at start by django.contrib.postgres)"),
]

PROBE = """
import os, time
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ctip.settings")
os.environ.setdefault("CTIP_TESTING", "1")
os.environ.setdefault("SECRET_KEY", "x")
import django
django.setup()
start = time.perf_counter()
import {module}
print(time.perf_counter() - start)
"""


def measure(module: str, runs: int) -> list[float]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(["src", os.environ.get("PYTHONPATH", "")]))
    return [float(subprocess.run([sys.executable, "-c", PROBE.format(module=module)], env=env,
                                 check=True, capture_output=True, text=True).stdout.split()[-1])
            for _ in range(runs)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'package':<28}{'p50 ms':>9}{'min ms':>9}  needed for")
    for module, why in LAZY:
        times = measure(module, args.runs)
        print(f"{module:<28}{statistics.median(times) * 1000:>9.0f}{min(times) * 1000:>9.0f}"
              f"  {why}")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
