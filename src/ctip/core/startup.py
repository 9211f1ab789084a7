"""What a serving process does once ctip is loaded, before its first request (decision 0074).

Python's cyclic garbage collector walks every tracked object of the process in a full
(generation 2) collection. A loaded ctip holds some 230,000 of them (modules, classes, the URL
patterns, Django's and Wagtail's registries), which live as long as the process; the few
hundred cyclic objects each request leaves behind reach the oldest generation, and once they
outnumber a quarter of it a full collection walks them all: 150-190 ms of processor, inside
whichever request happened to allocate at that moment (one request in a couple of hundred,
300-600 ms on a loaded machine). ``settle`` loads what every request uses, collects once and
moves everything alive into the collector's permanent generation (``gc.freeze``), which no
collection walks: a full collection then walks only what requests created since. Nothing is
kept alive that would not be anyway; what is frozen is never freed, which is what the loaded
code is."""

from __future__ import annotations

import gc


def settle() -> None:
    """Load the URL patterns, collect, and freeze what is alive (see the module)."""
    # imported here: ``ctip.wsgi`` calls this after Django is set up
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018  (imports every view module, as a request would)
    gc.collect()
    gc.freeze()
