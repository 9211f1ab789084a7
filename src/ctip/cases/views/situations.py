"""Pages of situations: the quick report, a unit's inbox and the filtered list. The detail
page with its timeline and the handling steps is ``situation_detail``.

Thin views: a form for input, one action of ``cases.actions`` for each write, the selectors of
``cases.policy`` and ``cases.selectors`` for reads. Anything outside the viewer's scope answers
404 and the refusal is audited.

Access:
- reporting declares ``situation.report`` (branch heads and officers);
- the inbox declares ``situation.view``;
- each handling step declares ``situation.manage`` and then needs it over the unit handling the
  situation now (decided here, never in a template);
- the list and the detail serve two kinds of people: holders of ``situation.view`` and
  reporters, who see the situations they reported themselves (a branch head holds
  ``situation.report`` only). These two views declare either capability, and the selector
  limits the rows.

A situation's narrative (what happened, the address, the reporter's contact, notes, answers) is
sensitive: the detail page records a ``situation.viewed`` audit event each time it shows it,
and every list shows codes, categories, units and deadlines only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from ctip.accounts.access import requires
from ctip.accounts.policy import NotInScope, has_capability, scope_paths
from ctip.cases import actions
from ctip.cases.deadlines import is_due_soon, is_overdue
from ctip.cases.digest import deadline_text, local_deadline
from ctip.cases.forms.situations import (
    InboxUnitForm,
    SituationFilterForm,
    SituationReportForm,
    default_source,
    reportable_units,
)
from ctip.cases.models import Situation
from ctip.cases.policy import situations_visible_to
from ctip.cases.selectors import Inbox, inbox_for
from ctip.core.errors import ActionError, add_to_form
from ctip.core.htmx import render_page
from ctip.core.idempotency import announce, submit_form_once
from ctip.core.typing import AuthedRequest
from ctip.org.models import Unit
from ctip.units.selectors import get_unit_for

PAGE_SIZE = 50
# Fields never needed by a list: they are encrypted, and decrypting them would be wasted work.
NARRATIVE = ("description", "address", "reporter_contact", "outcome")


def mark_deadlines(situations: Iterable[Situation], now: Any) -> None:
    """Attach what a row shows about the deadline: overdue, due soon, and the words."""
    for s in situations:
        s.is_overdue = is_overdue(s.due_at, now)  # type: ignore[attr-defined]
        s.is_due_soon = is_due_soon(s.due_at, now)  # type: ignore[attr-defined]
        s.deadline_words = deadline_text(s.due_at, now)  # type: ignore[attr-defined]



# --- Quick report ----------------------------------------------------------------------------

def _report_initial(request: HttpRequest, units: Any) -> dict[str, Any]:
    user = request.user
    home = getattr(user, "home_unit", None)
    if home is not None and units.filter(pk=home.pk).exists():
        unit = home
    else:
        candidates = list(units[:2])
        unit = candidates[0] if len(candidates) == 1 else None
    return {"unit": unit, "source": default_source(user), "urgency": "normal",
            "occurred_on": timezone.localdate()}


@require_http_methods(["GET", "POST"])
@requires("situation.report")
def situation_create(request: AuthedRequest) -> HttpResponse:
    units = reportable_units(request.user)
    if not units.exists():
        raise NotInScope("situation.report")
    if request.method == "POST":
        form = SituationReportForm(request.POST, viewer=request.user, units=units)
        if form.is_valid():
            try:
                done = submit_form_once(form, actor=request.user, scope="cases.situation",
                                        create=lambda: actions.create_situation(
                                            actor=request.user, **form.cleaned_data))
            except ActionError as exc:
                add_to_form(form, exc)
            else:
                situation = done.obj
                announce(request, done, _(
                    "The situation has been recorded as %(code)s. Those handling it in "
                    "%(unit)s will see it in their inbox.")
                    % {"code": situation.code, "unit": situation.handling_unit.name})
                return redirect("cases:situation_detail", pk=situation.pk)
    else:
        form = SituationReportForm(initial=_report_initial(request, units), viewer=request.user,
                                   units=units)
    return TemplateResponse(request, "cases/situation_form.html", {"form": form})


# --- Inbox -----------------------------------------------------------------------------------

def _default_inbox_unit(user: Any) -> Unit:
    home = getattr(user, "home_unit", None)
    if home is not None and has_capability(user, "situation.view", home):
        return home
    roots = scope_paths(user, "situation.view")
    unit = Unit.objects.filter(path__in=roots).order_by("path").first()
    if unit is None:
        raise NotInScope("situation.view")
    return unit


def _inbox_unit(request: HttpRequest, unit_pk: int | None) -> Unit:
    raw = str(unit_pk) if unit_pk is not None else request.GET.get("unit", "")
    if not raw:
        return _default_inbox_unit(request.user)
    if not raw.isdigit():
        raise NotInScope("situation.view")
    return get_unit_for(request.user, int(raw), "situation.view")


def _open_below(box: Inbox) -> list[Any]:
    """The units directly below with situations open there, and how many, in the order of
    their names (the inbox's own, read with it)."""
    return [{"key": str(pk), "name": name,
             "open": ngettext("%(n)s open situation", "%(n)s open situations",
                              box.open_below[pk]) % {"n": box.open_below[pk]}}
            for pk, name in box.names_below.items() if box.open_below.get(pk)]


#: The rows a page of an inbox section shows; the count says how many there are in all.
INBOX_SHOWN = 20

#: The inbox's sections: the key of ``cases.selectors.Inbox`` and the key of the page
#: (its element's id, and ``<key>-page`` in the address for a later page of its rows).
INBOX_SECTIONS = (("overdue", "overdue"), ("due_soon", "due-soon"), ("new", "new"),
                  ("overdue_below", "overdue-below"), ("waiting", "waiting"))


def _section_pages(request: HttpRequest) -> dict[str, int]:
    """The page of each section asked for in the address (anything else: the first)."""
    pages = {}
    for key, name in (*INBOX_SECTIONS, ("follow_ups", "follow-ups")):
        raw = request.GET.get(f"{name}-page", "")
        if raw.isdigit() and len(raw) < 7:
            pages[key] = int(raw)
    return pages


def _shown_rows(items: list[Situation], now: Any, *, below: bool) -> list[dict[str, Any]]:
    """What each row of a section shows, written once here as plain strings: code, the
    category's and the urgency's names (looked up once, not once a row: each look-up
    translates every choice), the unit (where it happened; for the late ones below, the unit
    handling it), the deadline in local time with its words. The page holds no situation:
    nothing else of it is within the template's reach, and a province's hundred rows cost
    the template no look-up on a database object each (a failed key look-up first)."""
    categories = dict(Situation._meta.get_field("category").flatchoices)
    urgencies = dict(Situation._meta.get_field("urgency").flatchoices)
    return [{
        "key": str(s.pk), "code": s.code,
        "category": str(categories.get(s.category, s.category)),
        "urgency": s.urgency, "urgency_label": str(urgencies.get(s.urgency, s.urgency)),
        "unit": s.handling_unit.name if below else s.unit.name,
        "due": local_deadline(s.due_at), "words": deadline_text(s.due_at, now),
        "overdue": is_overdue(s.due_at, now), "due_soon": is_due_soon(s.due_at, now),
    } for s in items]


@require_http_methods(["GET"])
@requires("situation.view")
def inbox(request: AuthedRequest, unit_pk: int | None = None) -> HttpResponse:
    unit = _inbox_unit(request, unit_pk)
    now = timezone.now()
    may_see_cases = has_capability(request.user, "case.view", unit)
    box = inbox_for(unit, now=now, limit=INBOX_SHOWN, pages=_section_pages(request),
                    follow_ups=may_see_cases)
    texts = {
        "overdue": (_("Overdue"), _("The deadline to escalate or refer has passed.")),
        "due_soon": (_("Due soon"), _("To escalate or refer within the next hours.")),
        "new": (_("New"), _("Received or escalated here, not yet handled.")),
        "overdue_below": (_("Overdue in the units below"),
                          _("Units directly below that missed a deadline.")),
        "waiting": (_("Waiting on others"), _("Referred to an agency or being verified.")),
    }
    # Each section shows a page of its most urgent rows (the selector's order), with how many
    # there are in all and links to its other pages: a province can have thousands open,
    # which no one reads on one page.
    shown = []
    for key, name in INBOX_SECTIONS:
        title, help_text = texts[key]
        page = Paginator(range(box.counts[key]), INBOX_SHOWN).get_page(box.pages[key])
        rows = _shown_rows(getattr(box, key), now, below=key == "overdue_below")
        shown.append((name, title, rows, help_text, box.counts[key], page))
    return render_page(request, "cases/inbox.html", {
        "unit": unit,
        "unit_form": InboxUnitForm(initial={"unit": unit}, viewer=request.user, selected=unit),
        "sections": shown,
        # one reverse() for the rows' links: <prefix><pk>/
        "detail_prefix": reverse("cases:situation_detail", args=[0]).removesuffix("0/"),
        "open_below": _open_below(box),
        # one reverse() for the links to the inboxes of the units below: <prefix><pk>/
        "unit_inbox_prefix": reverse("cases:unit_inbox", args=[0]).removesuffix("0/"),
        "can_report": has_capability(request.user, "situation.report"),
        # follow-ups of open support cases due within a week, by case code only, a page of
        # them with how many there are in all
        "follow_ups": box.follow_ups if may_see_cases else [],
        "follow_ups_total": box.counts["follow_ups"],
        "follow_ups_page": Paginator(range(box.counts["follow_ups"]), INBOX_SHOWN)
        .get_page(box.pages["follow_ups"]),
    }, partial="sections")


# --- List ------------------------------------------------------------------------------------

def _filter_unit(request: HttpRequest) -> Unit | None:
    raw = request.GET.get("unit", "")
    if not raw:
        return None
    if not raw.isdigit():
        raise NotInScope("situation.view")
    for capability in SituationFilterForm.CAPABILITIES:
        try:
            return get_unit_for(request.user, int(raw), capability)
        except NotInScope:
            continue
    raise NotInScope("situation.view")


@require_http_methods(["GET"])
@requires("situation.view", "situation.report")
def situation_list(request: AuthedRequest) -> HttpResponse:
    form = SituationFilterForm(request.GET, viewer=request.user,
                               selected_unit=_filter_unit(request))
    situations = situations_visible_to(request.user).defer(*NARRATIVE)
    state = form.value("state")
    if state == "open":
        situations = situations.exclude(state=Situation.State.CLOSED)
    elif state:
        situations = situations.filter(state=state)
    if form.value("category"):
        situations = situations.filter(category=form.value("category"))
    if form.value("unit") is not None:
        situations = situations.filter(unit_path__subtree=form.value("unit").path)
    if form.value("start"):
        situations = situations.filter(created_at__date__gte=form.value("start"))
    if form.value("end"):
        situations = situations.filter(created_at__date__lte=form.value("end"))
    page = Paginator(situations.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page"))
    mark_deadlines(page.object_list, timezone.now())
    return render_page(request, "cases/situation_list.html", {
        "form": form, "page": page,
        "can_report": has_capability(request.user, "situation.report"),
        "can_inbox": has_capability(request.user, "situation.view"),
        "can_import": has_capability(request.user, "situation.manage"),
    }, partial="results")
