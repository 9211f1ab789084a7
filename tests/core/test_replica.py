"""Reports read from a streaming replica; writes, access and a user's own writes on the primary;
a replica that lags or goes away costs a notice, never an error.

The test settings keep a ``replica`` alias that mirrors the test database (a second connection
to it); these tests switch routing on (``CTIP_REPLICA_ALIAS``) and are transactional, so that
what one connection wrote the other reads. Which connection ran a page's queries is what
tells where its figures came from.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ctip.accounts.models import RoleAssignment
from ctip.core import dbrouter
from ctip.outreach.models import Activity
from tests.conftest import log_activity, login_client
from tests.core.test_idempotency import _lift_audit_guard  # noqa: F401 (a fixture)
from tests.e2e.conftest import _seeded  # noqa: F401 (a fixture)

REPLICA = "replica"
BEHIND = "Máy chủ báo cáo đang chậm hoặc không trả lời"
DELAYED = "có thể chậm tới"
replica_db = pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA])


@pytest.fixture
def routing(settings: Any, _seeded: None, _lift_audit_guard: None) -> Iterator[None]:  # noqa: F811
    settings.CTIP_REPLICA_ALIAS = REPLICA
    dbrouter.forget_health()
    yield
    dbrouter.forget_health()
    connections[REPLICA].close()


@pytest.fixture
def officer(routing: None, tree: Any, users: Any, formats: Any) -> Any:
    log_activity(tree.commune_a, formats["meeting"])
    return login_client(users["province_officer"])


def _indicators(tree: Any) -> str:
    return reverse("reports:unit_indicators", args=[tree.province.pk]) + "?period=year&year=2026"


@contextmanager
def _queries() -> Iterator[dict[str, CaptureQueriesContext]]:
    captured = {alias: CaptureQueriesContext(connections[alias])
                for alias in (DEFAULT_DB_ALIAS, REPLICA)}
    for context in captured.values():
        context.__enter__()
    try:
        yield captured
    finally:
        for context in captured.values():
            context.__exit__(None, None, None)


def _reads_of(captured: CaptureQueriesContext, table: str) -> int:
    """How many queries read rows of ``table`` (as the main table of a SELECT)."""
    return sum(1 for q in captured.captured_queries
               if q["sql"].lstrip().upper().startswith("SELECT")
               and f'FROM "{table}"' in q["sql"])


@contextmanager
def _replica_gone() -> Iterator[None]:
    """The replica alias pointed at nothing: a closed port (PostgreSQL), a file in a folder
    that does not exist (SQLite)."""
    replica = connections[REPLICA]
    saved = dict(replica.settings_dict)
    if replica.vendor == "postgresql":
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]  # free once the socket is closed
        replica.settings_dict.update(HOST="127.0.0.1", PORT=str(port))
    else:
        replica.settings_dict["NAME"] = "/nonexistent-ctip-replica/db.sqlite3"
    replica.close()  # after the change: an in-memory SQLite connection is never closed
    try:
        yield
    finally:
        replica.close()
        replica.settings_dict.clear()
        replica.settings_dict.update(saved)


# --- the router's decisions ----------------------------------------------------------------------

@replica_db
def test_report_reads_go_to_the_replica_and_access_to_the_primary(routing: None) -> None:
    router = dbrouter.ReplicaRouter()
    assert router.db_for_read(Activity) == DEFAULT_DB_ALIAS  # outside a report page
    token = dbrouter._reads.set(REPLICA)
    try:
        assert router.db_for_read(Activity) == REPLICA
        assert router.db_for_read(RoleAssignment) == DEFAULT_DB_ALIAS  # who may see what
        assert router.db_for_write(Activity) == DEFAULT_DB_ALIAS
        with transaction.atomic():
            assert router.db_for_read(Activity) == DEFAULT_DB_ALIAS  # read-then-write
    finally:
        dbrouter._reads.reset(token)
    assert router.allow_migrate(REPLICA, "outreach") is False
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "outreach") is None


@replica_db
def test_the_indicator_table_is_read_from_the_replica(officer: Any, tree: Any) -> None:
    with _queries() as captured:
        response = officer.get(_indicators(tree))
    assert response.status_code == 200
    assert "Xã Đức Hòa" in response.content.decode()
    assert _reads_of(captured[REPLICA], "org_unit") > 0
    assert _reads_of(captured[DEFAULT_DB_ALIAS], "org_unit") == 0
    # the session, the user and her roles came from the primary
    assert _reads_of(captured[DEFAULT_DB_ALIAS], "accounts_roleassignment") > 0
    assert _reads_of(captured[REPLICA], "accounts_roleassignment") == 0
    page = response.content.decode()
    assert BEHIND not in page and DELAYED not in page


@replica_db
def test_other_pages_and_writes_stay_on_the_primary(officer: Any, tree: Any,
                                                    formats: Any) -> None:
    with _queries() as captured:
        assert officer.get(reverse("outreach:activity_list")).status_code == 200
    assert captured[REPLICA].captured_queries == []


@replica_db
def test_after_a_write_the_writer_reads_the_primary_and_others_the_replica(
        officer: Any, tree: Any, users: Any) -> None:
    answer = officer.post(reverse("set_language"), {"language": "vi", "next": "/app/"})
    assert answer.status_code == 302
    with _queries() as captured:
        assert officer.get(_indicators(tree)).status_code == 200
    assert captured[REPLICA].captured_queries == []
    assert _reads_of(captured[DEFAULT_DB_ALIAS], "org_unit") > 0
    # another officer of the province, who wrote nothing, still reads the replica
    other = login_client(users["viewer"])
    with _queries() as captured:
        assert other.get(_indicators(tree)).status_code == 200
    assert _reads_of(captured[REPLICA], "org_unit") > 0


# --- a replica that lags or goes away ------------------------------------------------------------

@replica_db
def test_a_lagging_replica_is_left_alone_and_the_page_says_so(officer: Any, tree: Any,
                                                              monkeypatch: Any) -> None:
    monkeypatch.setattr(dbrouter, "replica_lag", lambda alias: 120.0)
    with _queries() as captured:
        response = officer.get(_indicators(tree))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Xã Đức Hòa" in page and BEHIND in page
    assert captured[REPLICA].captured_queries == []


@replica_db
def test_a_replica_a_few_seconds_behind_serves_and_says_so(officer: Any, tree: Any,
                                                           monkeypatch: Any) -> None:
    monkeypatch.setattr(dbrouter, "replica_lag", lambda alias: 7.4)
    with _queries() as captured:
        page = officer.get(_indicators(tree)).content.decode()
    assert "Số liệu trên trang này có thể chậm tới 7 giây" in page
    assert _reads_of(captured[REPLICA], "org_unit") > 0


@replica_db
def test_an_unreachable_replica_costs_a_notice_not_an_error(officer: Any, tree: Any) -> None:
    with _replica_gone():
        response = officer.get(_indicators(tree))
        assert response.status_code == 200
        assert "Xã Đức Hòa" in response.content.decode()
        assert BEHIND in response.content.decode()
        # an export from the same page: the whole file, from the primary
        export = officer.get(reverse("reports:unit_export_csv", args=[tree.province.pk])
                             + "?period=year&year=2026")
        assert export.status_code == 200
        assert "Xã Đức Hòa" in export.content.decode("utf-8-sig")


@replica_db
def test_a_replica_that_fails_under_a_page_is_replaced_by_the_primary(
        officer: Any, tree: Any, monkeypatch: Any) -> None:
    # measured healthy a moment ago, gone by the time the page reads
    monkeypatch.setattr(dbrouter, "replica_lag", lambda alias: 0.0)
    with _replica_gone():
        response = officer.get(_indicators(tree))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Xã Đức Hòa" in page and BEHIND in page
    # left alone until the next check
    assert dbrouter.health(REPLICA).lag is None


@replica_db
def test_the_lag_is_measured_on_the_real_replica(routing: None) -> None:
    # the test replica mirrors the primary (no standby): nothing to wait for
    assert dbrouter.replica_lag(REPLICA) == 0.0
    with _replica_gone():
        dbrouter.forget_health()
        assert dbrouter.health(REPLICA).lag is None


def _view_names(resolver: Any, namespace: str = "") -> set[str]:
    names: set[str] = set()
    for pattern in resolver.url_patterns:
        if hasattr(pattern, "url_patterns"):
            inner = (f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                     ) if pattern.namespace else namespace
            names |= _view_names(pattern, inner)
        elif pattern.name:
            names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)
    return names


def test_every_page_named_for_the_replica_exists() -> None:
    from django.urls import get_resolver

    assert dbrouter.REPLICA_ROUTES <= _view_names(get_resolver())
