"""Hostile input gets an answer, never a server error: every form and every page.

The forms and pages are not listed by hand. Starting from every URL of the configuration that
takes no argument, the test walks the application as a system administrator (the role that
reaches the most pages) and a case worker, following links to one page of each URL name, and
collects every ``<form method="post">`` with its fields. Each form is then posted with hostile
values (NUL, numbers past 2^63, negatives, Unicode oddities, 100,000 characters, HTML, impossible
dates, several values where one is expected), every field at once and one field at a time; each
page is asked for with hostile query strings built from its filter fields. Any 500 (an
exception in the view) fails the test, with the form, field and value that caused it.

The values come from a seeded generator (``CTIP_FUZZ_SEED`` chooses another run) and the number
of requests is bounded so that the test runs in well under a minute on either database.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.utils import timezone

from tests.conftest import log_activity, login_client

SEED = int(os.environ.get("CTIP_FUZZ_SEED", "20261204"))
HOSTILE = [
    "\x00", "a\x00b", str(2**63), str(2**64 + 7), f"-{2**63 + 1}", "9" * 5000, "-1", "0",
    "1e309", "NaN", "١٢٣", "\u202eevil\u202c", "𝕏\u0301\u0301", "x" * 100_000,
    "<script>alert(1)</script>", "2026-02-30", "31/02/2026", "99999-12-31", "' OR 1=1 --",
    "../../etc/passwd", " ", "",
]
LISTS = [["1", "2"], [str(2**63), "\x00"], ["", "x" * 1000]]
QUERY_NAMES = ["q", "page", "unit", "start", "end", "year", "month", "period", "sort", "status",
               "format", "campaign", "kind", "per_page", "k", "next"]
SKIP_PATH = re.compile(r"^/(cms|documents|static|media|_util)/|\.(pdf|xlsx|csv|xml|txt)$|"
                       r"/export|/download|/attachments/|/plan/|/materials/\d+/")
SKIP_NAMES = {"accounts:logout"}
DESTRUCTIVE = re.compile(r"delete|remove|revoke|anonymi|deactivate|close|archive|merge|split")
MAX_PAGES = 160
# Bounds of a run (raise them for a deeper run: CTIP_FUZZ_ROUNDS=3 triples them).
SCALE = int(os.environ.get("CTIP_FUZZ_ROUNDS", "1"))
SINGLE_FIELD_ROUNDS = 4 * SCALE
QUERY_ROUNDS = 2 * SCALE
MAX_FORMS = 70


class _Page(HTMLParser):
    """The links and forms of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.forms: list[dict[str, Any]] = []
        self._form: dict[str, Any] | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href", "").startswith("/"):
            self.links.append(a["href"])
        elif tag == "form":
            self._form = {"method": a.get("method", "get").lower(),
                          "action": a.get("action", ""), "fields": {}, "files": set()}
            self.forms.append(self._form)
        elif self._form is not None and tag in {"input", "select", "textarea", "button"}:
            name = a.get("name")
            if not name:
                return
            kind = a.get("type", "text").lower()
            if kind == "file":
                self._form["files"].add(name)
            elif kind in {"checkbox", "radio"}:
                if "checked" in a or name not in self._form["fields"]:
                    self._form["fields"][name] = a.get("value", "on")
            elif tag == "select":
                self._select = name
                self._form["fields"].setdefault(name, "")
            elif tag != "button" or name not in self._form["fields"]:
                self._form["fields"][name] = a.get("value", "")
        elif tag == "option" and self._form is not None and self._select:
            fields = self._form["fields"]
            if not fields.get(self._select) or "selected" in a:
                fields[self._select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def _start_urls() -> list[str]:
    """Every URL of the configuration without arguments."""
    found: list[str] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for entry in patterns:
            route = str(entry.pattern)
            if isinstance(entry, URLResolver):
                if "<" in route or "(?P" in route:
                    continue
                walk(entry.url_patterns, prefix + route.lstrip("^"))
            elif isinstance(entry, URLPattern) and "<" not in route and "(?P" not in route:
                path = "/" + prefix + route.lstrip("^").rstrip("$")
                if not SKIP_PATH.search(path) and entry.name not in {"logout"}:
                    found.append(path.replace("//", "/"))

    walk(get_resolver().url_patterns, "")
    return sorted(set(found))


def _name(path: str) -> str | None:
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return None
    return match.view_name


def _request(client: Client, method: str, url: str, data: Any,
             failures: list[str], what: str) -> Any:
    """One request in a savepoint (a failed query on PostgreSQL must not poison the next)."""
    try:
        with transaction.atomic():
            response = (client.post(url, data) if method == "post"
                        else client.get(url, data))
    except Exception as exc:  # the view raised: a 500 for the person
        failures.append(f"{method.upper()} {url} {what}: {type(exc).__name__}: {exc!s:.160}")
        return None
    if response.status_code >= 500:
        failures.append(f"{method.upper()} {url} {what}: status {response.status_code}")
    return response


def crawl(client: Client, failures: list[str]
          ) -> tuple[dict[str, tuple[str, list[str]]], list[dict[str, Any]]]:
    """One page per URL name (with the names of its filter fields), and the forms on them."""
    queue = _start_urls()
    pages: dict[str, tuple[str, list[str]]] = {}
    forms: dict[tuple[str, tuple[str, ...]], dict[str, Any]] = {}
    seen: set[str] = set()
    while queue and len(pages) < MAX_PAGES:
        url = queue.pop(0)
        path = urlsplit(url).path
        name = _name(path)
        if name is None or name in SKIP_NAMES or SKIP_PATH.search(path) or name in seen:
            continue
        seen.add(name)
        response = _request(client, "get", path, {}, failures, "(crawl)")
        if response is None or response.status_code != 200 or "html" not in response.get(
                "Content-Type", ""):
            continue
        parser = _Page()
        parser.feed(response.content.decode("utf-8", "replace"))
        pages[name] = (path, [f for form in parser.forms if form["method"] == "get"
                              for f in form["fields"]])
        queue.extend(link for link in parser.links if link not in seen)
        for form in parser.forms:
            if form["method"] != "post":
                continue
            action = urlsplit(form["action"] or path).path
            form["action"] = action
            form["page"] = path
            key = (_name(action) or action, tuple(sorted(form["fields"])))
            if key[0] in SKIP_NAMES:
                continue
            forms.setdefault(key, form)
    # forms that remove or revoke go last, so that the others still find what they edit
    ordered = sorted(forms.values(), key=lambda f: bool(DESTRUCTIVE.search(f["action"])))
    return pages, ordered[:MAX_FORMS]


def _posts(form: dict[str, Any], rng: random.Random) -> Iterator[tuple[str, dict[str, Any]]]:
    names = [n for n in form["fields"] if n != "csrfmiddlewaretoken"]
    base = dict(form["fields"])
    for round_ in range(3):  # every field hostile at once
        data = dict(base)
        for name in names:
            data[name] = (rng.choice(LISTS) if rng.random() < 0.15
                          else HOSTILE[(round_ * 7 + rng.randrange(len(HOSTILE))) % len(HOSTILE)])
        yield "all fields", data
    for name in rng.sample(names, min(len(names), SINGLE_FIELD_ROUNDS)):  # one field hostile
        value: Any = rng.choice(HOSTILE + LISTS)
        yield f"{name}={str(value)[:30]!r}", {**base, name: value}


def _queries(page_fields: list[str], rng: random.Random) -> Iterator[dict[str, Any]]:
    names = list(dict.fromkeys(page_fields + QUERY_NAMES))
    for _ in range(QUERY_ROUNDS):
        yield {name: (rng.choice(LISTS) if rng.random() < 0.1 else rng.choice(HOSTILE[:-8]))
               for name in rng.sample(names, min(len(names), 8))}


@pytest.fixture
def world(tree: Any, users: Any, formats: Any) -> dict[str, Any]:
    """A little of everything, so that detail pages and their forms exist."""
    from ctip.community import actions as community
    from ctip.community.models import ClubType
    from ctip.outreach import actions as outreach
    from tests.cases.case_helpers import open_case

    admin = users["system_admin"]
    today = timezone.localdate()
    activity = log_activity(tree.branch_a1, formats["meeting"], date=today)
    outreach.create_campaign(actor=admin, unit=tree.province, name="Chiến dịch",
                             starts_on=today, ends_on=today)
    outreach.create_topic(actor=admin, name="Luật")
    outreach.create_speaker(actor=admin, unit=tree.commune_a, full_name="Báo cáo viên")
    outreach.create_movement(actor=admin, name="Phong trào")
    community.create_club(actor=admin, unit=tree.commune_a, name="CLB",
                          club_type=ClubType.objects.first(), founded_on=dt.date(2024, 1, 1))
    from ctip.cases import actions as cases

    cases.create_situation(actor=admin, unit=tree.commune_a, category="suspected_trafficking",
                           description="Nghi vấn", source="hotline")
    open_case(tree.commune_a, users["case_worker"])
    return {"activity": activity}


@pytest.mark.parametrize("role", ["system_admin", "case_worker"])
def test_no_form_and_no_page_answers_500(world: Any, users: Any, role: str) -> None:
    rng = random.Random(f"{SEED}-{role}")
    client = login_client(users[role])
    failures: list[str] = []
    pages, forms = crawl(client, failures)
    assert len(pages) > 20, sorted(pages)  # the walk really reached the application
    assert len(forms) > 5
    sent = 0
    for form in forms:
        for what, data in _posts(form, rng):
            _request(client, "post", form["action"], data, failures, what)
            sent += 1
    for path, fields in pages.values():
        for query in _queries(fields, rng):
            _request(client, "get", path, query, failures, urlencode(query, doseq=True)[:80])
            sent += 1
    print(f"{role}: {len(pages)} pages, {len(forms)} forms, {sent} hostile requests")  # noqa: T201
    assert failures == [], f"{len(failures)} server errors:\n" + "\n".join(failures[:40])


def test_the_public_report_form_answers_nul_in_vietnamese(db: Any) -> None:
    from django.core.cache import cache

    cache.clear()  # the walk above may have used up the form's rate limit
    client = Client()
    response = client.post("/bao-tin/", {"description": "Có người lạ\x00 dụ dỗ",
                                         "category": "suspected_trafficking"})
    assert response.status_code in {200, 400}
    body = response.content.decode()
    assert "Null characters are not allowed" not in body
    assert "NUL" in body
