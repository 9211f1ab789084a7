"""The Wagtail admin's hooks for ctip (issue #16): a way back to the staff app."""

from __future__ import annotations

from typing import Any

from django.contrib import messages as django_messages
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import path, reverse_lazy
from django.utils.formats import date_format
from django.utils.html import escape, format_html
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin import messages
from wagtail.admin.action_menu import PublishMenuItem
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component
from wagtail.documents.rich_text import DocumentLinkHandler
from wagtail.models import Page

from ctip.accounts.policy import has_capability
from ctip.portal import cms_views
from ctip.portal.blocks import document_info
from ctip.portal.recycle import in_bin, may_delete, may_empty, move_to_bin
from ctip.portal.selectors import change_requests


@hooks.register("insert_global_admin_css")
def phone_stylesheet() -> str:
    """44 px targets and no cut-off content on a phone (decision record 0049)."""
    return format_html('<link rel="stylesheet" href="{}">', static("portal/cms-phone.css"))


@hooks.register("register_admin_menu_item")
def staff_app_menu_item() -> Any:
    return MenuItem(_("Back to the staff app"), reverse_lazy("core:home"), icon_name="home",
                    name="ctip-staff-app", order=10_000)


# --- the recycle bin (ctip.portal.recycle) ----------------------------------------------------

def _refuse_delete(request: Any, page: Any) -> Any:
    if in_bin(page):
        if may_empty(request.user):
            return None  # an administrator deleting for good
        messages.error(request, _("Only an administrator may delete a page in the recycle "
                                  "bin for good. A publisher may restore it."))
        return redirect("portal_recycle_bin")
    if not may_delete(request.user, page):
        messages.error(request, _("You may delete only the pages you wrote yourself. Ask a "
                                  "publisher of this section to delete “%(title)s”.")
                       % {"title": page.get_admin_display_title()})
        return redirect("wagtailadmin_explore", page.get_parent().pk)
    return None


@hooks.register("before_delete_page")
def delete_into_recycle_bin(request: Any, page: Any) -> Any:
    refused = _refuse_delete(request, page)
    if refused is not None or request.method != "POST" or in_bin(page):
        return refused
    item = move_to_bin(page, request.user)
    messages.success(request, _("“%(title)s” was moved to the recycle bin, with its history. "
                                "A publisher can restore it from there.")
                     % {"title": page.get_admin_display_title()})
    return redirect("wagtailadmin_explore", item.parent_id)


@hooks.register("before_bulk_action")
def bulk_delete_into_recycle_bin(request: Any, action_type: str, objects: Any,
                                 action: Any) -> Any:
    if action_type != "delete" or not objects or not isinstance(objects[0], Page):
        return None
    for page in objects:
        refused = _refuse_delete(request, page)
        if refused is not None:
            return refused
    if request.method != "POST" or all(in_bin(page) for page in objects):
        return None
    parent = objects[0].get_parent()
    for page in objects:
        move_to_bin(page, request.user)
    messages.success(request, _("%(count)s pages were moved to the recycle bin, with their "
                                "history.") % {"count": len(objects)})
    return redirect("wagtailadmin_explore", parent.pk)


@hooks.register("register_admin_urls")
def recycle_bin_urls() -> Any:
    return [
        path("thung-rac/", cms_views.recycle_bin, name="portal_recycle_bin"),
        path("thung-rac/<int:item_id>/khoi-phuc/", cms_views.restore,
             name="portal_recycle_restore"),
        path("thung-rac/xoa-han/", cms_views.empty, name="portal_recycle_empty"),
    ]


class _RecycleBinMenuItem(MenuItem):
    def is_shown(self, request: Any) -> bool:
        return bool(request.user.is_superuser
                    or has_capability(request.user, "bulletin.publish"))


@hooks.register("register_admin_menu_item")
def recycle_bin_menu_item() -> Any:
    return _RecycleBinMenuItem(_("Recycle bin"), reverse_lazy("portal_recycle_bin"),
                               icon_name="bin", name="ctip-recycle-bin", order=9_000)


# --- links to uploaded documents show their type and size ---------------------------------

@hooks.register("register_rich_text_features", order=100)  # after wagtail.documents' own
def document_links_with_type_and_size(features: Any) -> None:
    class DocumentInfoLinkHandler(DocumentLinkHandler):
        @classmethod
        def expand_db_attributes_many(cls, attrs_list: list[dict[str, Any]]) -> list[str]:
            return [f'<a href="{escape(doc.url)}" data-doc-info="{escape(document_info(doc))}">'
                    if doc else "<a>" for doc in cls.get_many(attrs_list)]

    features.register_link_type(DocumentInfoLinkHandler)


# --- the publisher's change request where the editor works ----------------------------------

@hooks.register("before_edit_page")
def show_change_request(request: Any, page: Any) -> None:
    if request.method != "GET":
        return
    for change in change_requests(Page.objects.filter(pk=page.pk)):
        messages.warning(request, _(
            "%(reviewer)s asked for changes on %(when)s: “%(comment)s”. Make them, then "
            "submit the article for approval again.") % {
                "reviewer": change.reviewer or "—",
                "when": date_format(localtime(change.when), "SHORT_DATETIME_FORMAT")
                if change.when else "—",
                "comment": change.comment or _("(no comment)")})


class ChangeRequestsPanel(Component):
    """The dashboard's first panel for an editor whose articles were sent back."""

    name = "ctip_change_requests"
    order = 10
    template_name = "portal/cms/change_requests_panel.html"

    def __init__(self, changes: list[Any]) -> None:
        self.changes = changes

    def get_context_data(self, parent_context: Any = None) -> dict[str, Any]:
        return {"changes": self.changes}


@hooks.register("construct_homepage_panels")
def change_requests_on_the_dashboard(request: Any, panels: list[Any]) -> None:
    changes = change_requests(Page.objects.filter(owner=request.user))
    if changes:
        panels.insert(0, ChangeRequestsPanel(changes))


# --- scheduling in two steps (issue #16 point 5) ----------------------------------------------
class ScheduleMenuItem(PublishMenuItem):
    """"Lên lịch xuất bản" in the publisher's action menu: opens the schedule dialog, whose
    main button schedules the publication at once (portal's
    ``wagtailadmin/panels/publishing/schedule_publishing_panel.html``): choose the action, then
    the time and confirm -- two steps instead of six."""

    label = _("Schedule publication")
    name = "ctip-schedule"
    icon_name = "calendar-alt"
    template_name = "portal/cms/schedule_menu_item.html"
    order = 35  # right after Wagtail's "Publish" (30)


@hooks.register("register_page_action_menu_item")
def schedule_menu_item() -> ScheduleMenuItem:
    return ScheduleMenuItem()


SCHEDULE_VALUE = "ctip-schedule"  # the schedule dialog's main button (action-publish)


def _schedule_without_a_time(request: Any) -> None:
    """The dialog's "Hẹn giờ xuất bản" pressed with no go-live time: publishing now is not what
    she asked for. Keep everything she wrote as a draft and say what is missing."""
    if request.method != "POST" or request.POST.get("action-publish") != SCHEDULE_VALUE:
        return
    if request.POST.get("go_live_at", "").strip():
        return
    post = request.POST.copy()
    del post["action-publish"]
    request.POST = post
    django_messages.error(request, _("No go-live time was chosen, so nothing was published: the "
                              "page was saved as a draft. Choose the time and schedule again."))


@hooks.register("before_edit_page")
def refuse_a_schedule_without_a_time(request: Any, page: Any) -> None:
    _schedule_without_a_time(request)


@hooks.register("before_create_page")
def refuse_a_new_schedule_without_a_time(request: Any, parent: Any, page_class: Any) -> None:
    _schedule_without_a_time(request)


# --- one main action per role (issue #16 point 5) ----------------------------------------------
# The first of these the menu holds becomes its main button: a publisher approves (and
# publishes) what waits for her, else publishes; an editor submits her article (again, after a
# change request). "Save draft" stays in the menu beside them.
MAIN_ACTIONS = ("approve", "action-publish", "action-submit", "action-restart-workflow")


@hooks.register("construct_page_action_menu")
def one_main_action_per_role(menu_items: list[Any], request: Any, context: Any) -> None:
    names = [item.name for item in menu_items]
    if "action-page-locked" in names:
        return
    for name in MAIN_ACTIONS:
        if name in names:
            menu_items.insert(0, menu_items.pop(names.index(name)))
            return
