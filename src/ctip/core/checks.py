"""Deployment checks of ctip's own (run by ``ctip check``, i.e. ``check --deploy``).

Debug mode (``CTIP_DEBUG=1``) shows stack traces and settings to whoever triggers an error and
drops the Content-Security-Policy on error pages; test mode (``CTIP_TESTING=1``) uses a fixed,
public secret key and field key, a fast password hasher and a per-process cache. Either is for a
developer's machine only, which ctip knows by ``CTIP_ENV=development`` -- set explicitly, never
by default (decision record 0024).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

ENVIRONMENTS = ("production", "development")


@register("ctip", deploy=True)
def development_modes(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    env = settings.CTIP_ENV
    if env not in ENVIRONMENTS:
        return [Error(f"CTIP_ENV={env!r} is not one of {', '.join(ENVIRONMENTS)}.",
                      hint="Leave CTIP_ENV unset on a server (it means production).",
                      id="ctip.E010")]
    if env == "development":
        return []
    hint = ("Unset it on this server. Only a developer's machine may run so, and it says so "
            "with CTIP_ENV=development.")
    errors = []
    if settings.DEBUG:
        errors.append(Error("Debug mode is on (CTIP_DEBUG=1) outside development: error pages "
                            "would show code and settings to anyone.", hint=hint,
                            id="ctip.E011"))
    if settings.TESTING:
        errors.append(Error("Test mode is on (CTIP_TESTING=1) outside development: it uses "
                            "public test keys and a weak password hasher.", hint=hint,
                            id="ctip.E012"))
    return errors


@register("ctip", deploy=True)
def shared_cache(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """A replica means several servers (decision record 0047): they must share one cache."""
    if getattr(settings, "CTIP_REPLICA_ALIAS", "") and not getattr(settings, "CTIP_CACHE_URL", ""):
        return [Warning(
            "DATABASE_REPLICA_URL is set but CTIP_CACHE_URL is not: each server keeps its own "
            "cache, so a publish, a rate limit or a user's own writes are not seen by the others.",
            hint="Set CTIP_CACHE_URL=redis://HOST:6379/0 on every server and worker.",
            id="ctip.W047")]
    return []
