"""Refuse to run without working field keys (``ctip check``, ``migrate``, ``serve``)."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, register

from ctip.cases import crypto


@register("ctip", deploy=False)
def field_keys(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    try:
        crypto.check_keys_against_canary()
    except crypto.KeyError_ as exc:
        return [Error(str(exc), id="ctip.E001")]
    return []
