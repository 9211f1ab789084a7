"""A serving process freezes what it loaded, so that the garbage collector's full collections,
which run inside whichever request allocates at that moment, walk only what requests left
behind, not the whole loaded code (decision 0074). In a real process: ``ctip.wsgi`` imported
as gunicorn imports it, then a page requested again and again."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.core.test_processes import _env

PROBE = """
import gc, json
import ctip.wsgi
from django.test import Client
client = Client(HTTP_HOST="localhost")
statuses = [client.get(url).status_code for url in ["/robots.txt"] * 40]
gc.collect()
print(json.dumps({"frozen": gc.get_freeze_count(), "walked": len(gc.get_objects()),
                  "statuses": sorted(set(statuses))}))
"""


def test_a_full_collection_in_a_served_process_walks_only_what_requests_left(tmp_path: Path):
    env = _env(tmp_path, ALLOWED_HOSTS="localhost", CTIP_LOG_LEVEL="ERROR")
    done = subprocess.run([sys.executable, "-c", PROBE], env=env,  # noqa: S603
                          capture_output=True, text=True, check=True, timeout=300)
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["statuses"] == [200]
    # the loaded code (well over 100,000 objects) is out of the collector's reach...
    assert found["frozen"] > 100_000
    # ...and a full collection walks a small fraction of it: what the requests made
    assert found["walked"] < found["frozen"] / 10
