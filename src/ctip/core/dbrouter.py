"""The reports' reads from a streaming replica; everything else, and every write, on the primary.

A national roll-out runs several application servers against one PostgreSQL primary and a
streaming replica (``DATABASE_REPLICA_URL``, decision record 0047). The replica serves only
the pages named in ``REPLICA_ROUTES`` -- the indicator tables, dashboards and exports, and the
API's report reads -- and only for GET and HEAD:

- ``ReplicaReadsMiddleware`` decides once per request, after the URL is resolved, and sets
  where this request's reads go; ``ReplicaRouter`` sends a read there, except the reads of
  the apps that decide who may see what (accounts, tokens, sessions, the audit chain, the task
  queue) and any read inside a transaction, which stay on the primary. Every write goes to the
  primary.
- **Your own writes.** A request that may have written (any method but GET/HEAD/OPTIONS)
  marks its user, or its API token, in the shared cache for ``CTIP_REPLICA_STICKY_SECONDS``;
  while marked, that user's report pages read from the primary, so a report just submitted is
  in the table the next page shows.
- **A replica that falls behind or goes away.** Its lag is measured at most every
  ``CTIP_REPLICA_CHECK_SECONDS`` per process: 0 when it has replayed everything the primary
  had written when asked, else the age of the last transaction it replayed
  (``pg_last_xact_replay_timestamp``). Lagging more than ``CTIP_REPLICA_MAX_LAG_SECONDS``, or
  not answering, it is left alone until the next check and the page reads the primary and says
  so. A replica that fails in the middle of a page (a connection lost, a query cancelled by
  recovery) is marked down and the page is built again on the primary, unless the request
  had already written; nothing errors.
- The page says where its figures come from (``figures_notice``, a context processor): read
  from the primary because the replica is behind or away, or a few seconds behind the latest
  entries when the replica's lag is a second or more.
"""

from __future__ import annotations

import contextvars
import hashlib
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

logger = logging.getLogger("ctip.replica")

#: The pages (``namespace:name``) whose GET and HEAD requests read from the replica.
REPLICA_ROUTES = frozenset({
    "reports:indicators", "reports:unit_indicators",
    "reports:dashboard", "reports:unit_dashboard",
    "reports:export_xlsx", "reports:unit_export_xlsx",
    "reports:export_csv", "reports:unit_export_csv",
    "reports:ctdc_csv", "reports:unit_ctdc_csv",
    "reports:public_release", "reports:unit_public_release",
    "reports:ctdc_contribution_csv", "reports:unit_ctdc_contribution_csv",
    "reports:htcds_export_json", "reports:unit_htcds_export_json",
    "outreach:activity_export",
    "api:indicators", "api:campaign_progress",
})

#: Apps whose rows decide access or must be exactly current: always read on the primary.
PRIMARY_APPS = frozenset({
    "accounts", "auth", "sessions", "api", "audit", "axes", "otp_totp", "otp_static",
    "django_tasks_db", "core", "contenttypes",
})

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
READ_METHODS = frozenset({"GET", "HEAD"})

# why a page read where it did
REPLICA = "replica"
OWN_WRITE = "own-write"
LAGGING = "lagging"
UNREACHABLE = "unreachable"

_reads: contextvars.ContextVar[str | None] = contextvars.ContextVar("ctip_reads", default=None)


@dataclass(frozen=True)
class Reads:
    """Where one request's reads went, and why."""

    alias: str
    reason: str
    lag: float | None = None


@dataclass(frozen=True)
class Health:
    lag: float | None  # seconds behind the primary; None: not answering
    checked: float  # time.monotonic() of the check


_health: dict[str, Health] = {}
_health_lock = threading.Lock()


def replica_alias() -> str:
    return str(getattr(settings, "CTIP_REPLICA_ALIAS", "") or "")


class ReplicaRouter:
    """Reads where the request's middleware said (the primary unless it said otherwise);
    writes and migrations on the primary."""

    def db_for_read(self, model: Any, **hints: Any) -> str:
        alias = _reads.get()
        if (alias is None or model._meta.app_label in PRIMARY_APPS
                or connections[DEFAULT_DB_ALIAS].in_atomic_block):
            return DEFAULT_DB_ALIAS
        return alias

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        # the replica holds the primary's rows: an object read there is the primary's object
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return False if db == replica_alias() and db != DEFAULT_DB_ALIAS else None


# --- the replica's health ---------------------------------------------------------------------

def replica_lag(alias: str) -> float:
    """How many seconds the replica ``alias`` is behind the primary; raises ``DatabaseError``
    when it does not answer. 0 when it has replayed all the primary had written when asked, or
    when it is not a standby at all (a test mirror); infinity when it never replayed anything."""
    replica = connections[alias]
    primary = connections[DEFAULT_DB_ALIAS]
    if replica.vendor != "postgresql" or primary.vendor != "postgresql":
        with replica.cursor() as cursor:
            cursor.execute("SELECT 1")
        return 0.0
    with primary.cursor() as cursor:
        cursor.execute(PRIMARY_LSN_SQL)
        primary_lsn = cursor.fetchone()[0]
    with replica.cursor() as cursor:
        cursor.execute(REPLICA_STATE_SQL, [primary_lsn])
        return lag_of(*cursor.fetchone())


#: On the primary: how far its write-ahead log goes.
PRIMARY_LSN_SQL = "SELECT pg_current_wal_lsn()::text"
#: On the replica, given the primary's position: standby?, replayed up to it?, age of the last
#: transaction it replayed (seconds).
REPLICA_STATE_SQL = (
    "SELECT pg_is_in_recovery(), "
    "pg_wal_lsn_diff(pg_last_wal_replay_lsn(), %s::pg_lsn) >= 0, "
    "EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8")


def lag_of(in_recovery: bool, caught_up: bool | None, age: float | None) -> float:
    """The lag from a row of ``REPLICA_STATE_SQL``."""
    if not in_recovery or caught_up:
        return 0.0
    return max(0.0, float(age)) if age is not None else math.inf


def health(alias: str) -> Health:
    """The replica's last measured lag, measured again when older than
    ``CTIP_REPLICA_CHECK_SECONDS`` (per process)."""
    now = time.monotonic()
    known = _health.get(alias)
    if known is not None and now - known.checked < settings.CTIP_REPLICA_CHECK_SECONDS:
        return known
    with _health_lock:
        known = _health.get(alias)
        if known is not None and now - known.checked < settings.CTIP_REPLICA_CHECK_SECONDS:
            return known
        try:
            lag: float | None = replica_lag(alias)
        except DatabaseError as exc:
            lag = None
            _close_quietly(alias)
            if known is None or known.lag is not None:
                logger.warning("replica %s does not answer, reading the primary: %s", alias, exc)
        else:
            limit = settings.CTIP_REPLICA_MAX_LAG_SECONDS
            if lag is not None and lag > limit and (known is None or known.lag is None
                                                    or known.lag <= limit):
                logger.warning("replica %s is %.1f s behind, reading the primary", alias, lag)
        fresh = Health(lag=lag, checked=time.monotonic())
        _health[alias] = fresh
        return fresh


def mark_down(alias: str) -> None:
    """The replica failed under a page: leave it alone until the next check."""
    with _health_lock:
        _health[alias] = Health(lag=None, checked=time.monotonic())
    _close_quietly(alias)


def forget_health() -> None:
    """Measure again at the next request (tests; an operator's check)."""
    with _health_lock:
        _health.clear()


def _close_quietly(alias: str) -> None:
    try:
        connections[alias].close()
    except DatabaseError:
        pass


# --- a user's own writes ----------------------------------------------------------------------

def _writer(request: HttpRequest) -> str | None:
    """Who wrote: the API token (as a digest) or the signed-in user; None for anyone else."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header:
        return "t" + hashlib.sha256(header.encode()).hexdigest()[:32]
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"u{user.pk}"
    return None


def _wrote_key(writer: str) -> str:
    return f"ctip:replica:wrote:{writer}"


def note_write(request: HttpRequest) -> None:
    """Remember that she wrote, after her write committed: a cache that fails here must not
    turn a saved write into an error page (she would send it again)."""
    writer = _writer(request)
    if writer is None:
        return
    try:
        cache.set(_wrote_key(writer), 1, settings.CTIP_REPLICA_STICKY_SECONDS)
    except Exception:  # her write is kept; her reads may lag the replica for a while
        logger.exception("could not note a write in the cache")


def wrote_recently(request: HttpRequest) -> bool:
    """Whether she wrote within the last seconds (her reads then go to the primary); when the
    cache cannot say, yes: the primary is always right."""
    writer = _writer(request)
    if writer is None:
        return False
    try:
        return cache.get(_wrote_key(writer)) is not None
    except Exception:
        logger.exception("could not read the writes noted in the cache")
        return True


# --- per request ------------------------------------------------------------------------------

def choose(request: HttpRequest) -> Reads | None:
    """Where this request's reads go; None when it is not a page the replica serves."""
    alias = replica_alias()
    match = getattr(request, "resolver_match", None)
    if (not alias or request.method not in READ_METHODS or match is None
            or match.view_name not in REPLICA_ROUTES):
        return None
    if wrote_recently(request):
        return Reads(DEFAULT_DB_ALIAS, OWN_WRITE)
    state = health(alias)
    if state.lag is None:
        return Reads(DEFAULT_DB_ALIAS, UNREACHABLE)
    if state.lag > settings.CTIP_REPLICA_MAX_LAG_SECONDS:
        return Reads(DEFAULT_DB_ALIAS, LAGGING, state.lag)
    return Reads(alias, REPLICA, state.lag)


class ReplicaReadsMiddleware:
    """Sets where each request's reads go (``choose``), marks the writers, and builds a page
    again on the primary when the replica fails under it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _reads.set(None)
        try:
            response = self.get_response(request)
        finally:
            _reads.reset(token)
            watch = getattr(request, "_ctip_write_watch", None)
            if watch is not None:
                wrappers = connections[DEFAULT_DB_ALIAS].execute_wrappers
                if watch in wrappers:
                    wrappers.remove(watch)
        if request.method not in SAFE_METHODS and replica_alias():
            note_write(request)
        return response

    def process_view(self, request: HttpRequest, view_func: Any, args: Any,
                     kwargs: Any) -> None:
        reads = choose(request)
        if reads is None:
            return None
        request.ctip_reads = reads  # type: ignore[attr-defined]
        if reads.alias != DEFAULT_DB_ALIAS:
            connections[reads.alias].errors_occurred = False
            wrote: list[bool] = []

            def watch(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
                if not wrote and sql.lstrip()[:6].upper() in {"INSERT", "UPDATE", "DELETE"}:
                    wrote.append(True)
                return execute(sql, params, many, context)

            watch.wrote = wrote  # type: ignore[attr-defined]
            connections[DEFAULT_DB_ALIAS].execute_wrappers.append(watch)
            request._ctip_write_watch = watch  # type: ignore[attr-defined]
            _reads.set(reads.alias)
        return None

    def process_exception(self, request: HttpRequest, exception: Exception
                          ) -> HttpResponse | None:
        reads: Reads | None = getattr(request, "ctip_reads", None)
        if (reads is None or reads.alias == DEFAULT_DB_ALIAS
                or not isinstance(exception, DatabaseError)
                or not connections[reads.alias].errors_occurred):
            return None
        watch = getattr(request, "_ctip_write_watch", None)
        if watch is not None and watch.wrote:
            return None  # never write twice: the error page, as without a replica
        logger.warning("replica %s failed under %s, reading the primary: %s",
                       reads.alias, request.path, exception)
        mark_down(reads.alias)
        request.ctip_reads = Reads(DEFAULT_DB_ALIAS, UNREACHABLE)  # type: ignore[attr-defined]
        _reads.set(None)
        match = request.resolver_match
        assert match is not None  # noqa: S101 (choose() needed it)
        response: HttpResponse = match.func(request, *match.args, **match.kwargs)
        render = getattr(response, "render", None)
        if callable(render):
            response = render()
        return response


def figures_notice(request: HttpRequest) -> dict[str, Any]:
    """What the page says about where its figures come from (the base layout shows it)."""
    reads: Reads | None = getattr(request, "ctip_reads", None)
    if reads is None:
        return {}
    if reads.reason in (LAGGING, UNREACHABLE):
        return {"figures_notice": _(
            "The report server is behind or not answering: these figures were read from the "
            "main database and are up to date, but the page may load more slowly.")}
    if reads.reason == REPLICA and reads.lag is not None and reads.lag >= 1:
        seconds = int(reads.lag)
        return {"figures_notice": ngettext(
            "These figures may be up to %(seconds)d second behind the latest entries.",
            "These figures may be up to %(seconds)d seconds behind the latest entries.",
            seconds) % {"seconds": seconds}}
    return {}
