"""What the summary of a refused form counts: every message, not every field."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def error_count(form: Any) -> int:
    """How many messages ``form`` holds in all (a field may hold several)."""
    return sum(len(messages) for messages in form.errors.values())
