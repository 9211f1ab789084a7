"""Fault-injection points for the worker-kill tests (``tests/core/test_task_leases.py``).

``pause("digest.after_first")`` does nothing unless the environment variable
``CTIP_FAULT_PAUSE`` names that point: then it writes the point's name to the file named by
``CTIP_FAULT_MARKER`` (so the test knows the task got there) and sleeps, so that the test can
kill the worker at exactly that place with SIGKILL. Never set on a server.
"""

from __future__ import annotations

import os
import time
from pathlib import Path


def pause(point: str) -> None:
    if os.environ.get("CTIP_FAULT_PAUSE") != point:
        return
    marker = os.environ.get("CTIP_FAULT_MARKER")
    if marker:
        Path(marker).write_text(point)
    time.sleep(float(os.environ.get("CTIP_FAULT_SECONDS", "600")))
