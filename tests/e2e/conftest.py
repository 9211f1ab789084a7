"""Browser tests: Debian's Chromium, headless, driven by Playwright's sync API against
pytest-django's ``live_server``.

- Playwright never downloads a browser here; the system Chromium is launched by path: its
  headless shell (``/usr/bin/chromium-headless-shell``, Debian's package of that name, built
  from the same source and version as the browser), which renders the same pages with the same
  engine for about a fifth less processor than the whole browser run headless (decision record
  0085). Outside CI, a machine with only the browser (``/usr/bin/chromium``) runs the tests in
  it. Without either the tests are skipped, except in CI (``CI=true``), where they fail, as
  they do when the headless shell is missing.
- Nothing may leave the machine: the browser sends every request to another host than this
  machine to a proxy that is not there (``NOWHERE``), so it fails, and a request to another
  origin than the live server fails the test (``Browse.watch``). The requests are watched, not
  intercepted: Playwright's interception (``route``) turns the browser's cache off, and every
  page then fetched, parsed and compiled each script and style sheet again.
- The data are built by the shared ``tree``/``users`` fixtures inside a transactional database
  (the live server answers from another thread, so it must see committed rows). A
  transactional test ends with a flush of every table, which also removes the rows the data
  migrations seeded (unit types, catalogues); any transactional test may have run before, so
  each browser test first replays the migrations' ``seed`` functions (idempotent
  ``update_or_create``). Serialized rollback is not used: after a transactional test elsewhere
  that flushed without it, the content types come back with new ids and reloading the
  serialized copy fails on them.
- One Chromium per worker, driven from a thread of its own (``tests/e2e/remote.py``):
  Playwright's sync API keeps an asyncio event loop running in the thread that started it, and
  Django refuses ORM calls in such a thread (SynchronousOnlyOperation). Setting
  DJANGO_ALLOW_ASYNC_UNSAFE would only hide a worse problem: Django's connection handler then
  hands out a *different* connection object (asgiref's context-local storage), which loses
  pytest-django's state and, on PostgreSQL, opens connections that nobody closes; the variable
  would also leak into the subprocesses of other tests (the deploy check reports it as
  async.E001). So Playwright lives in its own thread for the worker's run, the tests call it
  through proxies, and the test thread keeps the ORM. Each test opens fresh browser contexts
  (``Browse.new_page``) and closes them at its end (decision record 0084: a driver and a
  browser started per test cost about a second of processor each).
- Every page runs under the real Content-Security-Policy and Permissions-Policy: a
  ``securitypolicyviolation`` event, or the browser's console naming either policy, fails the
  test (``Browse.violations``). Test helpers that inject scripts (axe-core) evaluate them through
  the DevTools protocol, which the policy does not govern, never as inline <script> tags.
- The audit trail is append-only in the database itself (triggers from
  ``audit/migrations/0002_append_only``), so the flush that ends a transactional test would
  fail. The triggers are lifted just before that flush and put back right after it, in the
  throw-away test database only.
"""

from __future__ import annotations

import importlib
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from pytest_django.plugin import blocking_manager_key

from tests.conftest import PASSWORD, needs, on_ci

HEADLESS_SHELL = Path("/usr/bin/chromium-headless-shell")
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
# Every request but to this machine's own addresses goes to a proxy on a port where nothing
# listens, and fails: nothing leaves the machine, whatever the page asks for.
NOWHERE = {"server": "http://127.0.0.1:9", "bypass": "localhost,127.0.0.1,[::1]"}
# A cheap phone: the narrowest width the shell supports.
PHONE = {"width": 360, "height": 740}
# How long an action may wait for the page: a CMS save indexes the page and its references
# before the next page loads, which took over 10 s on a 2-core machine running other suites.
TIMEOUT_MS = 30_000
# Reports every Content-Security-Policy violation of the page (and of its same-origin frames) on
# the console, where Browse collects it; runs before any script of the page.
CSP_LISTENER = """
document.addEventListener('securitypolicyviolation', (e) => {
  console.error('CSP-VIOLATION ' + JSON.stringify({
    directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile,
    line: e.lineNumber, sample: e.sample, page: document.location.pathname}));
}, true);
"""
POLICY_WORDS = ("CSP-VIOLATION", "Content Security Policy", "Content-Security-Policy",
                "Permissions-Policy", "Permissions Policy")

_GUARD_LIFTED = pytest.StashKey[str]()


def _audit_guard(on: bool) -> None:
    from django.db import connection

    migration = importlib.import_module("ctip.audit.migrations.0002_append_only")
    if connection.vendor == "postgresql":
        statements = migration.POSTGRES if on else migration.POSTGRES_REVERSE
    else:
        statements = migration.SQLITE if on else migration.SQLITE_REVERSE
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None]:
    """Put the audit triggers back once the test database has been flushed."""
    try:
        return (yield)
    finally:
        lifted_in = item.stash.get(_GUARD_LIFTED, None)
        if lifted_in is not None:
            from django.db import connection

            # After the last test the session teardown has already destroyed the test database
            # and pointed the connection back at the real one: leave that alone.
            if nextitem is not None and connection.settings_dict["NAME"] == lifted_in:
                with item.config.stash[blocking_manager_key].unblock():
                    _audit_guard(on=True)


def _reseed() -> None:
    """Run every project data migration's ``seed`` function again, in migration order."""
    from django.apps import apps
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.operations import RunPython

    graph = MigrationLoader(connection, ignore_no_migrations=True).graph
    done: set[tuple[str, str]] = set()
    for leaf in sorted(graph.leaf_nodes()):
        for key in graph.forwards_plan(leaf):
            if key in done:
                continue
            done.add(key)
            migration = graph.nodes[key]
            if not type(migration).__module__.startswith("ctip."):
                continue
            for operation in migration.operations:
                if isinstance(operation, RunPython) and operation.code.__name__ == "seed":
                    operation.code(apps, None)


@pytest.fixture
def _seeded(transactional_db: None) -> None:
    _reseed()


@dataclass
class E2E:
    """What the browser tests need, read from the database before the test opens a page."""

    url: str
    users: dict[str, Any]
    province_pk: int


@pytest.fixture
def e2e(request: pytest.FixtureRequest, transactional_db: None, _seeded: None,
        live_server: Any, tree: Any, users: dict[str, Any]) -> Iterator[E2E]:
    """The shared tree and users, committed so that the live server sees them."""
    _set_up_authenticators(users)
    yield E2E(url=live_server.url, users=users, province_pk=tree.province.pk)
    # Torn down after the test's browser contexts (``browse`` depends on this fixture), before
    # the flush.
    from django.db import connection

    _audit_guard(on=False)
    request.node.stash[_GUARD_LIFTED] = connection.settings_dict["NAME"]


def browser_path(ci: bool) -> Path | None:
    """The headless shell; outside CI the whole browser if the shell is missing; else None."""
    if HEADLESS_SHELL.exists():
        return HEADLESS_SHELL
    if not ci and CHROMIUM.exists():
        return CHROMIUM
    return None


@pytest.fixture(scope="session")
def chromium() -> Path:
    path = browser_path(on_ci())
    needs(path is not None, f"{HEADLESS_SHELL} is missing: install Debian's Chromium headless "
                            "shell (apt-get install chromium-headless-shell) to run the browser "
                            "tests")
    assert path is not None  # noqa: S101  (``needs`` fails or skips without it)
    return path


class Browse:
    """Opens pages in fresh browser contexts that may only talk to the live server."""

    def __init__(self, browser: Any, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url.rstrip("/")
        self.origin = "{0.scheme}://{0.netloc}".format(urlsplit(self.base_url))
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.violations: list[str] = []
        self._contexts: list[Any] = []

    def new_page(self, *, javascript: bool = True, viewport: dict[str, int] | None = None,
                 locale: str = "vi-VN") -> Any:
        context = self.browser.new_context(
            base_url=self.base_url, viewport=viewport or PHONE, locale=locale,
            timezone_id="Asia/Ho_Chi_Minh", java_script_enabled=javascript,
            service_workers="block",
        )
        context.set_default_timeout(TIMEOUT_MS)
        self.watch(context)
        context.add_init_script(CSP_LISTENER)
        self._contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("console", self._console)
        return page

    def _console(self, message: Any) -> None:
        text = message.text
        if any(word in text for word in POLICY_WORDS):
            self.violations.append(f"{message.type}: {text}")

    def watch(self, context: Any) -> None:
        """Note every request of ``context`` to another place than the live server (the
        browser sends it to a proxy that is not there, ``NOWHERE``, so it fails), for the test
        to fail on."""
        context.on("request", self._elsewhere)

    def _elsewhere(self, request: Any) -> None:
        url = request.url
        if not url.startswith((self.origin + "/", "data:", "blob:")):
            self.blocked.append(url)

    def sign_in(self, page: Any, user: Any, next_url: str | None = None) -> None:
        """Sign in through the real login form, as a person would."""
        from django.urls import reverse

        next_url = next_url or reverse("core:home")
        page.goto(f"{reverse('accounts:login')}?{urlencode({'next': next_url})}")
        page.fill("#id_username", user.username)
        page.fill("#id_password", PASSWORD)
        with page.expect_navigation():
            page.locator("main form button[type=submit]").click()
        code = _shown_code(user.username)  # the roles that see identities: a second step
        if code and urlsplit(page.url).path == reverse("accounts:otp_verify"):
            page.fill("input[name=token]", code)
            with page.expect_navigation():
                page.locator("main form button[type=submit]").click()
        assert urlsplit(page.url).path == next_url, f"sign-in ended on {page.url}"

    def close(self) -> None:
        for context in self._contexts:
            context.close()


# username → the TOTP parameters of the authenticator app set up for her, read from the
# database when the data are built, before the test opens a page
AUTHENTICATORS: dict[str, dict[str, Any]] = {}


def _set_up_authenticators(users: dict[str, Any]) -> None:
    """An authenticator app for each user whose role demands two-step sign-in."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from ctip.accounts.middleware import otp_required

    AUTHENTICATORS.clear()
    for user in users.values():
        if otp_required(user):
            device, _ = TOTPDevice.objects.get_or_create(user=user, name="e2e",
                                                         defaults={"confirmed": True})
            AUTHENTICATORS[user.username] = {"key": device.bin_key, "step": device.step,
                                             "t0": device.t0, "digits": device.digits,
                                             "drift": device.drift}


def _shown_code(username: str) -> str | None:
    """What her authenticator app shows now."""
    from django_otp.oath import totp

    app = AUTHENTICATORS.get(username)
    if app is None:
        return None
    value = totp(app["key"], step=app["step"], t0=app["t0"], digits=app["digits"],
                 drift=app["drift"])
    return f"{value:0{app['digits']}d}"


@pytest.fixture(scope="session")
def _browser(chromium: Path) -> Iterator[Any]:
    """One Chromium for the worker's run, driven from Playwright's own thread (``remote``);
    each test opens its own contexts in it."""
    from tests.e2e.remote import PlaywrightThread

    thread = PlaywrightThread()
    try:
        playwright = thread.start()
        browser = playwright.chromium.launch(executable_path=str(chromium), headless=True,
                                             args=CHROMIUM_ARGS, proxy=NOWHERE)
        yield browser
        browser.close()
    finally:
        thread.stop()


@pytest.fixture
def browse(_browser: Any, e2e: E2E) -> Iterator[Browse]:
    helper = Browse(_browser, e2e.url)
    try:
        yield helper
    finally:
        helper.close()
    assert not helper.blocked, f"pages tried to reach other hosts: {helper.blocked}"
    assert not helper.errors, f"JavaScript errors: {helper.errors}"
    assert not helper.violations, f"Content-Security-Policy violations: {helper.violations}"


@pytest.fixture(scope="session")
def axe_source() -> Path:
    assert AXE.exists(), f"{AXE} is missing (see tests/e2e/vendor/README.md)"
    return AXE


def click_page_action(page: Any, selector: str) -> None:
    """Click an action of the CMS page editor's action bar: the main button, or one in the menu
    beside it (opened first)."""
    button = page.locator(selector).first
    if not button.is_visible():
        page.locator("footer [data-w-dropdown-target='toggle']").first.click()
    button.click()
