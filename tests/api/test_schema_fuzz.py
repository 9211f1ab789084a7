"""Schemathesis against the live OpenAPI schema (issue #14.3): every operation, signed in with
a token of a commune officer, with generated valid and invalid input. 0 server errors, and
every answer the schema documents matches it (body and content type)."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from ctip.api.tokens import create_token
from tests.conftest import log_activity


@pytest.fixture
def api_schema(db: Any, tree: Any, users: Any, formats: Any) -> Any:
    """The schema, read through the WSGI application. A request through plain WSGI ends by
    closing "old" database connections, which inside the test's transaction would close the
    test's own connection on PostgreSQL: as Django's test client does, the requests leave the
    connection alone while the test runs."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    log_activity(tree.commune_a, formats["meeting"])
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(users: Any, settings: Any) -> dict[str, str]:
    settings.CTIP_API_RATE = 1_000_000
    secret = create_token(actor=None, user=users["commune_officer"], name="schemathesis").secret
    return {"Authorization": f"Bearer {secret}"}


CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def test_the_api_keeps_its_schema(api_schema: Any, bearer: dict[str, str]) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 12
    for operation in operations:

        @given(case=operation.as_strategy())
        @examples(max_examples=15, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case: Any) -> None:
            case.call_and_validate(headers=bearer, checks=CHECKS)

        run()
