"""The review of break-glass views of identities by the level above."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ctip.accounts.access import requires
from ctip.accounts.policy import NotInScope
from ctip.cases.models import BreakGlass
from ctip.cases.review import can_review, flags_visible_to, review_break_glass
from ctip.cases.selectors import PERSON_IDENTITY
from ctip.cases.views.base import PAGE_SIZE, case_page
from ctip.core.errors import ActionError
from ctip.core.typing import AuthedRequest

# --- Break glass ----------------------------------------------------------------------------

@require_http_methods(["GET"])
@requires("breakglass.review")
def breakglass_list(request: AuthedRequest) -> HttpResponse:
    show_all = request.GET.get("state") == "all"
    flags = flags_visible_to(request.user).order_by("reviewed_at", "-at")
    if not show_all:
        flags = flags.filter(reviewed_at__isnull=True)
    page = Paginator(flags, PAGE_SIZE).get_page(request.GET.get("page"))
    for flag in page.object_list:
        flag.can_review = (flag.reviewed_at is None  # type: ignore[attr-defined]
                           and can_review(request.user, flag))
    return case_page(request, "cases/breakglass_list.html", {"page": page, "show_all": show_all})


@require_http_methods(["POST"])
@requires("breakglass.review")
def breakglass_review(request: AuthedRequest, pk: int) -> HttpResponse:
    flag = (BreakGlass.objects.select_related("person", "user").defer(*PERSON_IDENTITY)
            .filter(pk=pk).first())
    if flag is None or not can_review(request.user, flag):
        raise NotInScope("breakglass.review")
    try:
        review_break_glass(actor=request.user, flag=flag)
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Marked as reviewed."))
    return redirect("cases:breakglass_list")
