"""CPU time per request, in one process, for the answers issue #20 compares: a static file, a
trivial view (``robots.txt``) anonymous and signed in, a signed-in page (the staff home), and
the bulletin's article from the cache and not yet in it.

Every request runs the whole middleware stack through Django's test client (no network, no
gunicorn), so the figure is the application's own CPU: ``time.process_time`` around ``--repeat``
requests, after a warm-up, alternating the targets round by round so that a change in the
machine's load touches them all alike. The ratios to the trivial view are what to read; the
load generator and the server's sockets are measured by ``run.py``.

Usage (from the repository root; the data directory is ``run.py``'s, built when missing)::

    .venv/bin/python benchmarks/portal/cpu.py --data-dir /tmp/ctip-portal
    .venv/bin/python benchmarks/portal/cpu.py --data-dir /tmp/ctip-portal --source ../other

See ``benchmarks/README.md`` (portal).
"""

from __future__ import annotations

import argparse
import io
import itertools
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import _common  # noqa: E402  (benchmarks/ on the path first)

REPO = Path(__file__).resolve().parents[2]
SIGNED_IN_AIM = 3.0  # a signed-in page: at most 3x a static answer (issue #20)
STATIC = "robots.txt, anonymous"  # the static answer the others are compared with
PROFILE = "own account /accounts/profile/, signed in"  # a light signed-in page
HOME = "staff home /app/, signed in"  # every officer's landing page


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="CPU time per request, in-process.")
    parser.add_argument("--data-dir", type=Path, required=True,
                        help="run.py's data directory (built there when missing)")
    parser.add_argument("--repeat", type=int, default=200, help="requests per target per round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds (median reported)")
    parser.add_argument("--user", default="xem", help="the demo user signed in")
    parser.add_argument("--source", type=Path, default=REPO,
                        help="the checkout whose src/ is measured (default: this one)")
    parser.add_argument("--profile", metavar="TARGET",
                        help="instead of timing, profile --repeat requests of the target whose "
                        "name starts with TARGET (cProfile, the 30 costliest by own time)")
    parser.add_argument("--loop", metavar="TARGET",
                        help="instead of timing, make --repeat requests of the target whose "
                        "name starts with TARGET and nothing else (for a sampling profiler "
                        "outside the process: py-spy record -- .venv/bin/python …)")
    return parser.parse_args(argv)


def wsgi_caller(cookie: str = "") -> Callable[[str], tuple[int, bytes]]:
    """A request through Django's WSGI handler as gunicorn makes it (its signals too: the
    database connection checked at the start and end of each request), with this cookie."""
    from django.core.handlers.wsgi import WSGIHandler

    handler = WSGIHandler()

    def call(address: str) -> tuple[int, bytes]:
        path, _, query = address.partition("?")
        environ = {
            "REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query,
            "SCRIPT_NAME": "", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1", "HTTP_ACCEPT": "text/html",
            "HTTP_ACCEPT_ENCODING": "gzip", "HTTP_USER_AGENT": "ctip-benchmark",
            "HTTP_COOKIE": cookie, "wsgi.input": io.BytesIO(), "wsgi.errors": sys.stderr,
            "wsgi.url_scheme": "http", "wsgi.version": (1, 0), "wsgi.multithread": False,
            "wsgi.multiprocess": True, "wsgi.run_once": False,
        }
        status: list[str] = []
        result = handler(environ, lambda s, headers, exc_info=None: status.append(s))
        try:
            body = b"".join(result)
        finally:
            result.close()  # request_finished, as a WSGI server does
        return int(status[0][:3]), body

    return call


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    portal = _common.load_script("portal")
    args.data_dir.mkdir(parents=True, exist_ok=True)
    env, article, _section = portal.prepare(args.data_dir, args.source.resolve())
    os.environ.update(env, DJANGO_SETTINGS_MODULE="ctip.settings")
    sys.path.insert(0, str(args.source.resolve() / "src"))
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client
    from django.test.utils import override_settings
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from ctip.accounts.middleware import otp_required
    from ctip.accounts.models import User
    from ctip.core.management.commands.serve import collect_static

    collect_static()  # the compressed manifest, as `ctip serve` (a no-op when up to date)
    with override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]):
        signer = Client()  # only to sign in: a session as the sign-in page makes it
        user = User.objects.get(username=args.user)
        signer.force_login(user)
        if otp_required(user):  # her second step done, as after the authenticator's code
            device = (TOTPDevice.objects.filter(user=user, confirmed=True).first()
                      or TOTPDevice.objects.create(user=user, name="benchmark", confirmed=True))
            session = signer.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
        # and the CSRF cookie her browser holds after the first page with a form: without it
        # every page would make a new secret and set the cookie again, which no browser sees
        assert signer.get("/accounts/profile/").status_code == 200
    session = "; ".join(f"{name}={signer.cookies[name].value}"
                        for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME))
    anonymous, signed_in = wsgi_caller(), wsgi_caller(session)
    numbers = itertools.count(time.time_ns())  # never a page kept by an earlier run
    targets: dict[str, tuple[Callable[[str], tuple[int, bytes]], Callable[[], str]]] = {
        "static file (WhiteNoise)": (anonymous, lambda: "/static/portal/reader.js"),
        STATIC: (anonymous, lambda: "/robots.txt"),
        "robots.txt, signed in": (signed_in, lambda: "/robots.txt"),
        PROFILE: (signed_in, lambda: "/accounts/profile/"),
        HOME: (signed_in, lambda: "/app/"),
        "article, cached": (anonymous, lambda: article),
        "article, not yet cached": (anonymous, lambda: f"{article}?page={next(numbers)}"),
    }
    for call, path in targets.values():  # warm-up, and every answer must be a 200
        for _ in range(20):
            status, _body = call(path())
            assert status == 200, (path(), status)
    if args.profile:
        profile(args, targets)
        return
    if args.loop:
        call, path = targets[target_named(args.loop, targets)]
        for _ in range(args.repeat):
            call(path())
        return
    samples: dict[str, list[float]] = {name: [] for name in targets}
    load_before = _common.load_average()
    for _ in range(args.rounds):
        for name, (call, path) in targets.items():
            started = time.process_time()
            for _ in range(args.repeat):
                call(path())
            samples[name].append((time.process_time() - started) / args.repeat * 1000)
    load_after = _common.load_average()
    print(f"Code from {args.source.resolve()}; Django's WSGI handler, {args.rounds} rounds of "
          f"{args.repeat} requests per target; load average {load_before} before, "
          f"{load_after} after.")
    print()
    print("| answer | CPU ms per request (median of rounds) | ÷ robots.txt anonymous "
          "(median of the rounds' ratios) | lowest and highest round's ratio |")
    print("|---|---:|---:|---:|")
    for name, values in samples.items():
        ratios = round_ratios(samples, name)
        print(f"| {name} | {statistics.median(values):.2f} | {statistics.median(ratios):.2f} "
              f"| {min(ratios):.2f}–{max(ratios):.2f} |")
    for name in ("robots.txt, signed in", PROFILE, HOME):
        ratio = statistics.median(round_ratios(samples, name))
        verdict = "met" if ratio <= SIGNED_IN_AIM else "NOT met"
        print(f"\n{name}: {ratio:.2f}x {STATIC} (aim: at most {SIGNED_IN_AIM:.0f}x): {verdict}.")


def round_ratios(samples: dict[str, list[float]], name: str) -> list[float]:
    """Each round's time of ``name`` divided by the same round's static answer. The targets of
    a round run one after the other, so a change of the shared machine's speed between rounds
    touches both sides of a round's ratio alike; the median of these ratios moves less than the
    ratio of the medians (rounds measured minutes apart on a loaded host)."""
    return [value / base for value, base in zip(samples[name], samples[STATIC], strict=True)]


def target_named(start: str, targets: dict[str, Any]) -> str:
    name = next((n for n in targets if n.startswith(start)), None)
    if name is None:
        raise SystemExit(f"no target starts with {start!r}: {', '.join(targets)}")
    return name


def profile(args: argparse.Namespace,
            targets: dict[str, tuple[Callable[[str], Any], Callable[[], str]]]) -> None:
    import cProfile
    import pstats

    name = target_named(args.profile, targets)
    call, path = targets[name]
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(args.repeat):
        call(path())
    profiler.disable()
    print(f"{name}: {args.repeat} requests")
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(30)
    stats.sort_stats("cumulative").print_stats(60)


if __name__ == "__main__":
    main()
