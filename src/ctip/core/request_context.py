"""Who is acting and from where, for the duration of one request or command.

Actions take the actor explicitly; the IP address and request id are ambient, so that audit
events written deep in an action still carry them.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    ip_address: str | None = None
    user_agent: str = ""
    via: str = "web"


_SYSTEM = RequestContext(via="system")
_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "ctip_request_context", default=None
)


def current() -> RequestContext:
    return _current.get() or _SYSTEM


@contextmanager
def bind(context: RequestContext) -> Iterator[None]:
    token = _current.set(context)
    try:
        yield
    finally:
        _current.reset(token)
