"""The publishers' redirects apply to the bulletin's addresses, not to the staff application's
404s (decision 0083): a record outside an officer's units answers 404 without looking up the
bulletin's redirects."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.contrib.redirects.models import Redirect


def _lookups(queries: list[dict[str, Any]]) -> list[str]:
    return [q["sql"] for q in queries if "wagtailredirects_redirect" in q["sql"]]


def test_a_staff_404_skips_the_redirects(users: Any, client_for: Any) -> None:
    path = reverse("cases:case_detail", args=[987654])
    Redirect.objects.create(old_path=path, redirect_link="https://example.org/")
    client = client_for(users["case_worker"])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 404
    assert _lookups(queries.captured_queries) == []


def test_the_bulletins_addresses_still_follow_their_redirects(db: Any) -> None:
    Redirect.objects.create(old_path="/tin-cu/bai-da-chuyen", redirect_link="/bao-tin/",
                            is_permanent=True)
    Redirect.objects.create(old_path="/index.php", redirect_link="/", is_permanent=False)
    moved = Client().get("/tin-cu/bai-da-chuyen/")
    assert moved.status_code == 301 and moved["Location"] == "/bao-tin/"
    old = Client().get("/index.php?id=5")  # no pattern matches: looked up without the query
    assert old.status_code == 302 and old["Location"] == "/"
    with CaptureQueriesContext(connection) as queries:
        missing = Client().get("/tin-cu/khong-co/")
    assert missing.status_code == 404 and _lookups(queries.captured_queries)


def test_every_namespace_is_the_staff_applications_or_the_publics() -> None:
    """A new app's namespace must be placed on one side: left out of the staff set, its 404s
    would be looked up in the bulletin's redirects."""
    from django.urls import URLResolver, get_resolver

    from ctip.portal.redirects import STAFF_NAMESPACES

    public = {"portal", "offers", "offers_api"}
    found = {p.namespace for p in get_resolver().url_patterns
             if isinstance(p, URLResolver) and p.namespace}
    assert found == STAFF_NAMESPACES | public
