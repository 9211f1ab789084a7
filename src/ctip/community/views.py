"""Pages of the club and model registry and of the cross-border exchange log. Thin: a form for
input, one action, a page or a redirect. Scope comes from the selectors (404 outside it)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ctip.accounts.access import requires
from ctip.community import actions, policy, selectors
from ctip.community.forms import (
    ClubFilterForm,
    ClubForm,
    ExchangeFilterForm,
    ExchangeForm,
    MemberForm,
    OriginSearchForm,
    StatusForm,
)
from ctip.community.models import Club, ClubMember, Exchange
from ctip.core.errors import ActionError, add_to_form
from ctip.core.htmx import render_page
from ctip.core.idempotency import announce, submit_form_once
from ctip.core.typing import AuthedRequest

PAGE_SIZE = 50



# --- Registry -------------------------------------------------------------------------------

@require_GET
@requires("activity.view")
def club_list(request: AuthedRequest) -> HttpResponse:
    form = ClubFilterForm(request.GET or None, viewer=request.user)
    f = form.to_filter()
    visible = selectors.clubs_visible_to(request.user)
    clubs = (selectors.filter_clubs(visible, f)
             .select_related("unit", "club_type").order_by("name_folded", "pk"))
    page = Paginator(clubs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "filter": f,
        "page": page,
        "counts": selectors.status_counts(selectors.filter_clubs(visible, f,
                                                                 with_status=False)),
        "statuses": Club.Status,
        "can_create": policy.can_record(request.user),
    }
    return render_page(request, "community/club_list.html", context, partial="results")


def _club_form_page(request: HttpRequest, form: ClubForm, club: Club | None,
                    status: int = 200) -> HttpResponse:
    title = (_("Edit %(name)s") % {"name": club.name}) if club else _("New club or model")
    return TemplateResponse(request, "community/club_form.html",
                            {"form": form, "club": club, "title": title}, status=status)


def _club_values(form: ClubForm) -> dict[str, Any]:
    data = dict(form.cleaned_data)
    data["member_count"] = data.get("member_count") or 0
    return data


@require_http_methods(["GET", "POST"])
@requires("activity.manage")
def club_create(request: AuthedRequest) -> HttpResponse:
    initial = {}
    if request.GET.get("unit", "").isdigit():
        initial["unit"] = int(request.GET["unit"])
    if request.GET.get("replicated_from", "").isdigit():
        initial["replicated_from"] = int(request.GET["replicated_from"])
        initial["is_prevention_model"] = True
    form = ClubForm(request.POST or None, viewer=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            done = submit_form_once(form, actor=request.user, scope="community.club",
                                    create=lambda: actions.create_club(
                                        actor=request.user, **_club_values(form)))
        except ActionError as exc:
            add_to_form(form, exc)
        else:
            announce(request, done, _("The club has been registered."))
            return redirect("community:club_detail", pk=done.obj.pk)
    return _club_form_page(request, form, None)


@require_http_methods(["GET", "POST"])
@requires("activity.manage")
def club_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    club = selectors.get_club_for(request.user, pk, "activity.manage")
    listed = club.members.count()
    initial = {f: getattr(club, f) for f in actions.CLUB_FIELDS} | {
        "target_groups": list(club.target_groups.all()),
        "movements": list(club.movements.all()),
    }
    form = ClubForm(request.POST or None, viewer=request.user, club=club,
                    members_listed=listed, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_club(actor=request.user, club=club, **_club_values(form))
        except ActionError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("The club has been saved."))
            return redirect("community:club_detail", pk=club.pk)
    return _club_form_page(request, form, club)


@require_GET
@requires("activity.manage")
def origin_options(request: AuthedRequest) -> HttpResponse:
    """The prevention models matching a search, as the options of the origin select."""
    form = OriginSearchForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    selected = data.get("replicated_from")
    models = selectors.search_origins(request.user, data.get("q") or "",
                                      exclude_pk=data.get("exclude"), keep_pk=selected)
    return TemplateResponse(request, "community/club_form.html#origin_options",
                            {"origins": models, "selected": selected})


def _activity_list_url(club: Club) -> str | None:
    """The outreach list of this club's meetings, once outreach has that page."""
    try:
        base = reverse("outreach:activity_list")
    except NoReverseMatch:
        return None
    return f"{base}?{urlencode({'club': club.pk})}"


@require_GET
@requires("activity.view")
def club_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    club = selectors.get_club_for(request.user, pk)
    visible = selectors.clubs_visible_to(request.user)
    meetings, meeting_count = selectors.meetings_of(request.user, club)
    return TemplateResponse(request, "community/club_detail.html", {
        "club": club,
        "commune": selectors.commune_of(club.unit),
        "origin_visible": club.replicated_from is not None
        and policy.can_see(request.user, club.replicated_from),
        "into_visible": club.integrated_into is not None
        and policy.can_see(request.user, club.integrated_into),
        "target_groups": club.target_groups.all(),
        "movements": club.movements.all(),
        "meetings": meetings,
        "meeting_count": meeting_count,
        "activities_url": _activity_list_url(club),
        "commendations": club.commendations.all(),
        "replicas": visible.filter(replicated_from=club).select_related("unit")
        .order_by("founded_on", "pk"),
        "integrated": visible.filter(integrated_into=club).select_related("unit", "club_type"),
        "can_manage": policy.can_manage(request.user, club),
        "can_replicate": policy.can_record(request.user),
    })


@require_http_methods(["GET", "POST"])
@requires("activity.manage")
def club_status(request: AuthedRequest, pk: int) -> HttpResponse:
    club = selectors.get_club_for(request.user, pk, "activity.manage")
    form = StatusForm(request.POST or None, initial={
        "status": club.status, "changed_on": club.status_changed_on,
        "reason": club.status_reason}, given={"club": club})
    if request.method == "POST" and form.is_valid():
        try:
            actions.change_club_status(actor=request.user, club=club, **form.cleaned_data)
        except ActionError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("The status has been saved."))
            return redirect("community:club_detail", pk=club.pk)
    return TemplateResponse(request, "community/club_status.html", {"club": club, "form": form})


def _members_page(request: HttpRequest, club: Club, form: MemberForm | None) -> HttpResponse:
    can_manage = policy.can_manage(request.user, club)
    return render_page(request, "community/club_members.html", {
        "club": club,
        "members": club.members.all(),
        "form": (form or MemberForm()) if can_manage else None,
        "can_manage": can_manage,
    }, partial="member_list")


@require_GET
@requires("activity.view")
def club_members(request: AuthedRequest, pk: int) -> HttpResponse:
    return _members_page(request, selectors.get_club_for(request.user, pk), None)


@require_POST
@requires("activity.manage")
def member_add(request: AuthedRequest, pk: int) -> HttpResponse:
    club = selectors.get_club_for(request.user, pk, "activity.manage")
    form = MemberForm(request.POST, given={"club": club})
    if form.is_valid():
        try:
            done = submit_form_once(form, actor=request.user, scope="community.member",
                                    create=lambda: actions.add_member(
                                        actor=request.user, club=club, **form.cleaned_data))
        except ActionError as exc:
            add_to_form(form, exc)
        else:
            announce(request, done, _("%(name)s has been added.")
                     % {"name": done.obj.full_name})
            return redirect("community:club_members", pk=club.pk)
    return _members_page(request, club, form)


@require_POST
@requires("activity.manage")
def member_remove(request: AuthedRequest, pk: int, member_pk: int) -> HttpResponse:
    club = selectors.get_club_for(request.user, pk, "activity.manage")
    member = get_object_or_404(ClubMember, pk=member_pk, club=club)
    name = member.full_name
    try:
        actions.remove_member(actor=request.user, member=member)
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(name)s has been removed from the list.") % {"name": name})
    return redirect("community:club_members", pk=club.pk)


@require_GET
@requires("activity.view")
def club_spread(request: AuthedRequest, pk: int) -> HttpResponse:
    club = selectors.get_club_for(request.user, pk)
    return TemplateResponse(request, "community/club_spread.html", {
        "club": club, "spread": selectors.spread_of(request.user, club)})


# --- Exchanges ------------------------------------------------------------------------------

@require_GET
@requires("activity.view")
def exchange_list(request: AuthedRequest) -> HttpResponse:
    form = ExchangeFilterForm(request.GET or None, viewer=request.user)
    exchanges = selectors.filter_exchanges(selectors.exchanges_visible_to(request.user),
                                           form.to_filter())
    page = Paginator(exchanges.select_related("unit").order_by("-date", "-pk"),
                     PAGE_SIZE).get_page(request.GET.get("page"))
    return render_page(request, "community/exchange_list.html", {
        "form": form,
        "page": page,
        "totals": selectors.exchange_totals(exchanges),
        "can_create": selectors.border_units(request.user).exists(),
    }, partial="results")


def _exchange_form_page(request: HttpRequest, form: ExchangeForm,
                        exchange: Exchange | None) -> HttpResponse:
    title = _("Edit the exchange") if exchange else _("New cross-border exchange")
    return TemplateResponse(request, "community/exchange_form.html", {
        "form": form, "exchange": exchange, "title": title,
        "no_border_unit": not form.fields["unit"].queryset.exists(),  # type: ignore[attr-defined]
    })


@require_http_methods(["GET", "POST"])
@requires("activity.manage")
def exchange_create(request: AuthedRequest) -> HttpResponse:
    initial = {}
    if request.GET.get("unit", "").isdigit():
        initial["unit"] = int(request.GET["unit"])
    form = ExchangeForm(request.POST or None, viewer=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            done = submit_form_once(form, actor=request.user, scope="community.exchange",
                                    create=lambda: actions.create_exchange(
                                        actor=request.user, **form.cleaned_data))
        except ActionError as exc:
            add_to_form(form, exc)
        else:
            announce(request, done, _("The exchange has been recorded."))
            return redirect("community:exchange_detail", pk=done.obj.pk)
    return _exchange_form_page(request, form, None)


@require_GET
@requires("activity.view")
def exchange_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    exchange = selectors.get_exchange_for(request.user, pk)
    return TemplateResponse(request, "community/exchange_detail.html", {
        "exchange": exchange, "topics": exchange.topics.all(),
        "can_manage": policy.can_manage(request.user, exchange),
    })


@require_http_methods(["GET", "POST"])
@requires("activity.manage")
def exchange_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    exchange = selectors.get_exchange_for(request.user, pk, "activity.manage")
    initial = {f: getattr(exchange, f) for f in actions.EXCHANGE_FIELDS} | {
        "topics": list(exchange.topics.all())}
    form = ExchangeForm(request.POST or None, viewer=request.user, exchange=exchange,
                        initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_exchange(actor=request.user, exchange=exchange, **form.cleaned_data)
        except ActionError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("The exchange has been saved."))
            return redirect("community:exchange_detail", pk=exchange.pk)
    return _exchange_form_page(request, form, exchange)
