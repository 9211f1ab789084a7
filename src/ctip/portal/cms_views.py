"""The CMS screens ctip adds to Wagtail's admin (mounted by ``wagtail_hooks``): the recycle
bin, with restore (publishers of the place a page came from) and empty (administrators)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from wagtail.admin import messages

from ctip.accounts.policy import has_capability
from ctip.core.errors import ActionError
from ctip.portal import recycle
from ctip.portal.models import RecycledPage


def _may_see(user: Any) -> bool:
    return bool(user.is_superuser or has_capability(user, "bulletin.publish"))


@require_GET
def recycle_bin(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not _may_see(user):
        raise PermissionDenied
    items = [item for item in RecycledPage.objects.select_related("page", "parent",
                                                                     "deleted_by")
             if recycle.may_restore(user, item) or recycle.may_empty(user)]
    return TemplateResponse(request, "portal/cms/recycle_bin.html", {
        "items": [(item, recycle.may_restore(user, item)) for item in items],
        "may_empty": recycle.may_empty(user),
    })


@require_POST
def restore(request: HttpRequest, item_id: int) -> HttpResponse:
    item = get_object_or_404(RecycledPage.objects.select_related("page", "parent"),
                             pk=item_id)
    if not _may_see(request.user) or not recycle.may_restore(request.user, item):
        raise PermissionDenied
    try:
        page = recycle.restore(item, request.user)
    except ActionError as error:
        messages.error(request, error.message)
        return redirect("portal_recycle_bin")
    messages.success(request, _("“%(title)s” is back where it was.")
                     % {"title": page.get_admin_display_title()})
    return redirect("wagtailadmin_explore", page.get_parent().pk)


@require_POST
def empty(request: HttpRequest) -> HttpResponse:
    if not recycle.may_empty(request.user):
        raise PermissionDenied
    ids = [int(v) for v in request.POST.getlist("item") if v.isdigit()][:1000]
    items = RecycledPage.objects.filter(pk__in=ids) if ids else None
    count = recycle.empty(request.user, items)
    messages.success(request, _("%(count)s pages were deleted for good.") % {"count": count})
    return redirect("portal_recycle_bin")
