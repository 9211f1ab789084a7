"""Playwright in a thread of its own, one browser for a worker's whole run.

Playwright's sync API keeps an asyncio event loop running in the thread that started it, and
Django refuses the ORM in a thread with a running loop (``SynchronousOnlyOperation``). Started
in the test thread, the browser had to be launched after each test's data were built and
closed before its database was flushed: a Playwright driver and a Chromium started and stopped
per test, about a second of processor and one and a half of wall time each.

Here Playwright runs in one thread for the worker's run, and the tests drive it through
``Remote`` proxies: each call on a proxy (``page.goto(...)``, ``locator.click()``, ``with
page.expect_navigation():``) runs in that thread and its result comes back wrapped again when
it is a Playwright object. The test thread never holds a loop, so the ORM works before, during
and after a page is open. Callbacks (``page.on("console", ...)``, ``context.route(...)``) run
in Playwright's thread with its own objects, as Playwright calls them. Each test still gets
fresh browser contexts (``Browse.new_page``), closed at its end: no cookie, storage, cache or
service worker outlives a test."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from typing import Any


class PlaywrightThread:
    """One thread that owns Playwright and everything it returns."""

    def __init__(self) -> None:
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="playwright")
        self._playwright: Any = None

    def call(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return self._executor.submit(function, *unwrap(args), **unwrap(kwargs)).result()

    def start(self) -> Any:
        from playwright.sync_api import sync_playwright

        self._playwright = self.call(lambda: sync_playwright().start())
        return self.wrap(self._playwright)

    def stop(self) -> None:
        if self._playwright is not None:
            self.call(self._playwright.stop)
            self._playwright = None
        self._executor.shutdown(wait=True)

    def wrap(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.wrap(item) for item in value]
        if isinstance(value, tuple):
            return tuple(self.wrap(item) for item in value)
        if type(value).__module__.startswith("playwright."):
            return Remote(value, self)
        return value


def unwrap(value: Any) -> Any:
    """What Playwright's thread is given: proxies replaced by the objects they stand for."""
    if isinstance(value, Remote):
        return object.__getattribute__(value, "_target")
    if isinstance(value, dict):
        return {key: unwrap(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(unwrap(item) for item in value)
    return value


class Remote:
    """A Playwright object used from another thread."""

    __slots__ = ("_target", "_thread")

    def __init__(self, target: Any, thread: PlaywrightThread) -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_thread", thread)

    def __getattr__(self, name: str) -> Any:
        thread: PlaywrightThread = object.__getattribute__(self, "_thread")
        value = thread.call(getattr, object.__getattribute__(self, "_target"), name)
        if callable(value) and not isinstance(value, type):
            return lambda *args, **kwargs: thread.wrap(thread.call(value, *args, **kwargs))
        return thread.wrap(value)

    def __enter__(self) -> Any:
        thread: PlaywrightThread = object.__getattribute__(self, "_thread")
        target = object.__getattribute__(self, "_target")
        return thread.wrap(thread.call(type(target).__enter__, target))

    def __exit__(self, *exc: Any) -> Any:
        thread: PlaywrightThread = object.__getattribute__(self, "_thread")
        target = object.__getattribute__(self, "_target")
        return thread.call(type(target).__exit__, target, *exc)

    def __repr__(self) -> str:
        return f"Remote({object.__getattribute__(self, '_target')!r})"
