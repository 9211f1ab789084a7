"""Every error as ``application/problem+json`` (RFC 9457) with a Vietnamese message.

``type`` is a stable URI naming the kind of problem, ``title`` and ``detail`` are for the person,
``errors`` (for invalid input) names each field with its message. Nothing here answers 500 for a
client's mistake; an unexpected exception is logged and answered with a plain problem.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError, ValidationError

from ctip.accounts.policy import NotInScope
from ctip.audit.actions import record_refusal
from ctip.core.errors import BUSY_RETRY_SECONDS, ActionError, busy

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"
TYPE_BASE = "https://ctip.invalid/problems/"


class Problem(Exception):
    """Raised by routes for an answer other than success (409 with the current record...)."""

    def __init__(self, status: int, kind: str, title: str, detail: str = "", *,
                 headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(title)
        self.status, self.kind, self.title, self.detail = status, kind, title, detail
        self.headers = headers or {}
        self.extra = extra


def problem(status: int, kind: str, title: str, detail: str = "", *,
            headers: dict[str, str] | None = None, **extra: Any) -> HttpResponse:
    body = {"type": TYPE_BASE + kind, "title": title, "status": status,
            "detail": detail or title, **extra}
    response = HttpResponse(json.dumps(body, ensure_ascii=False, default=str),
                            status=status, content_type=PROBLEM)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


# pydantic's error types, in words a person reads (the field is named beside them).
MESSAGES = {
    "missing": lambda e: _("This field is required."),
    "extra_forbidden": lambda e: _("Unknown field."),
    "int_parsing": lambda e: _("Must be a whole number."),
    "int_type": lambda e: _("Must be a whole number."),
    "int_from_float": lambda e: _("Must be a whole number."),
    "bool_parsing": lambda e: _("Must be true or false."),
    "bool_type": lambda e: _("Must be true or false."),
    "string_type": lambda e: _("Must be text."),
    "list_type": lambda e: _("Must be a list."),
    "uuid_parsing": lambda e: _("Must be a UUID."),
    "uuid_type": lambda e: _("Must be a UUID."),
    "date_parsing": lambda e: _("Must be a date (YYYY-MM-DD)."),
    "date_from_datetime_parsing": lambda e: _("Must be a date (YYYY-MM-DD)."),
    "date_type": lambda e: _("Must be a date (YYYY-MM-DD)."),
    "greater_than_equal": lambda e: _("Must be at least %(n)s.") % {"n": e["ctx"]["ge"]},
    "less_than_equal": lambda e: _("Must be at most %(n)s.") % {"n": e["ctx"]["le"]},
    "string_too_long": lambda e: _("At most %(n)s characters.")
    % {"n": e["ctx"]["max_length"]},
    "too_long": lambda e: _("At most %(n)s items.") % {"n": e["ctx"]["max_length"]},
    "enum": lambda e: _("Must be one of: %(values)s.") % {"values": e["ctx"]["expected"]},
    "literal_error": lambda e: _("Must be one of: %(values)s.")
    % {"values": e["ctx"]["expected"]},
    "json_invalid": lambda e: _("The request body is not valid JSON."),
    "model_attributes_type": lambda e: _("The request body must be a JSON object."),
    "dict_type": lambda e: _("The request body must be a JSON object."),
}


def _message(error: dict[str, Any]) -> str:
    maker = MESSAGES.get(error.get("type", ""))
    try:
        return maker(error) if maker else _("Invalid value.")
    except (KeyError, TypeError):
        return _("Invalid value.")


def _field(loc: Any) -> str:
    parts = [str(p) for p in (loc or ()) if p not in {"body", "query", "path", "header",
                                                      "payload", "data", "filters"}]
    return ".".join(parts)


def validation_errors(errors: Any) -> dict[str, Any]:
    """``detail`` and ``errors`` (each field with its message) of invalid input."""
    listed = [{"field": _field(e.get("loc")), "message": _message(e)} for e in errors]
    detail = "; ".join(f"{e['field']}: {e['message']}" if e["field"] else e["message"]
                       for e in listed)
    return {"detail": detail, "errors": listed}


def refusal_errors(exc: ActionError) -> list[dict[str, str]]:
    """Every rule an action refused, each with its field ("" for the request as a whole)."""
    return [{"field": field or "", "message": str(message)} for field, message in exc.errors]


def validation_problem(errors: list[dict[str, Any]]) -> HttpResponse:
    found = validation_errors(errors)
    return problem(422, "invalid", _("The request has invalid values."), found["detail"],
                   errors=found["errors"])


def _refuse(request: HttpRequest, reason: str) -> HttpResponse:
    user = getattr(request, "auth", None) or request.user
    home = getattr(user, "home_unit", None)
    record_refusal(actor=user, action="access.refused", target_label=request.path[:255],
                   unit_path=home.path if home is not None else "",
                   changes={"reason": reason, "method": request.method, "via": "api"})
    return problem(404, "not-found", _("Not found."),
                   _("There is nothing at this address for you."))


def install(api: Any) -> None:
    """Register the handlers on the NinjaAPI ``api``."""

    @api.exception_handler(ValidationError)
    def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return validation_problem(list(exc.errors))

    @api.exception_handler(ActionError)
    def _refused(request: HttpRequest, exc: ActionError) -> HttpResponse:
        return problem(422, "refused", str(exc.message), str(exc.message),
                       errors=refusal_errors(exc))

    @api.exception_handler(NotInScope)
    def _out_of_scope(request: HttpRequest, exc: NotInScope) -> HttpResponse:
        return _refuse(request, f"out of scope ({exc})")

    @api.exception_handler(Http404)
    def _missing(request: HttpRequest, exc: Http404) -> HttpResponse:
        return problem(404, "not-found", _("Not found."),
                       _("There is nothing at this address for you."))

    @api.exception_handler(Problem)
    def _problem(request: HttpRequest, exc: Problem) -> HttpResponse:
        return problem(exc.status, exc.kind, exc.title, exc.detail, headers=exc.headers,
                       **exc.extra)

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return problem(401, "unauthenticated", _("Sign in or send an access token."),
                       headers={"WWW-Authenticate": 'Bearer realm="ctip"'})

    @api.exception_handler(HttpError)
    def _http(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 403:  # ninja's CSRF refusal for a session
            return problem(403, "csrf", _("The CSRF check failed: send the X-CSRFToken "
                                          "header with the csrftoken cookie's value."))
        return problem(exc.status_code, "http", _("The request cannot be served."),
                       str(exc.message) if exc.status_code < 500 else "")

    @api.exception_handler(Exception)
    def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        log.exception("API error on %s %s", request.method, request.path)
        if busy(exc):  # only its turn refused: the same request may pass in a minute
            return problem(503, "busy", _("The system is busy"),
                           _("The database is taken by a long piece of work; send the request "
                             "again in a minute."),
                           headers={"Retry-After": str(BUSY_RETRY_SECONDS)})
        return problem(500, "server", _("Something went wrong on the server; what was sent "
                                        "may or may not have been saved. Sending it again is "
                                        "safe: an entry already saved is not saved twice."))
