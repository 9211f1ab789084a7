"""The person's rights (Personal Data Protection Law 91/2025/QH15): everything held about her
exported at her request, as JSON, as a printable page and as PDF; and anonymisation, at her
request (``actions.anonymise_person``) or automatically a configurable number of years after
her last case closed (``anonymise_due``, run by ``ctip persons anonymise-due``).

Exports reveal her identity, so only a case worker assigned to one of her cases may make one,
and each is an audited action (``person.exported``) whose audit event holds the format, never
a value.

PDF is made by WeasyPrint with the Be Vietnam Pro font shipped as a Python package, both
imported lazily: without them the rest of the system works and ``render_pdf`` says plainly
what is missing.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.resources
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from ctip.audit.actions import record
from ctip.audit.models import AuditEvent
from ctip.cases import actions
from ctip.cases.forms.cases import format_vnd
from ctip.cases.models import RISK_FACTORS, Person, SupportCase
from ctip.cases.policy import IdentityAccess, IdentityUse, identity_level
from ctip.core.errors import ActionError

FONT_FAMILY = "Be Vietnam Pro"
FONT_MODULES = ("fontpkg_be_vietnam_pro", "fontpkg_be_vietnam_pro.fonts")
FONT_SUFFIXES = (".ttf", ".otf", ".woff2", ".woff")
FACES = {"regular": (400, "normal"), "bold": (700, "normal"), "italic": (400, "italic"),
         "bold_italic": (700, "italic")}
RISK_LABELS = dict(RISK_FACTORS)


class PdfUnavailable(RuntimeError):
    """WeasyPrint (or the system libraries it needs) is not installed."""


# --- What is held about her -----------------------------------------------------------------

def _date(value: dt.date | dt.datetime | None) -> dt.date | dt.datetime | None:
    return value or None


def _iso(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat() if timezone.is_aware(value) \
            else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _money(value: Decimal | None) -> int | None:
    return int(value) if value is not None else None


def person_record(person: Person) -> dict[str, Any]:
    """Everything held about ``person``, decrypted: identity, consents, cases with their
    services, visits, follow-ups and referrals, the situations she is linked to, and the
    history of what was done with her record."""
    cases = (SupportCase.objects.filter(person=person).select_related("unit", "situation")
             .prefetch_related("workers", "services", "visits__by", "follow_ups",
                               "referrals__agency").order_by("opened_on", "pk"))
    history = (AuditEvent.objects.filter(target_type=Person._meta.label_lower,
                                         target_id=str(person.pk))
               .order_by("occurred_at", "id").values_list("occurred_at", "action", "outcome"))
    return {
        "code": person.code,
        "identity": {
            "full_name": person.full_name,
            "other_names": person.other_names,
            "birth_date": person.birth_date,
            "birth_year": person.birth_year,
            "sex": person.sex,
            "sex_label": str(person.get_sex_display()),
            "ethnicity": person.ethnicity,
            "id_number": person.id_number,
            "phone": person.phone,
            "address": person.address,
            "guardian": person.guardian,
        },
        "unit": person.unit.name,
        "registered_at": _date(person.created_at),
        "anonymised_at": _date(person.anonymised_at),
        "consents": [{
            "purpose": c.purpose,
            "purpose_label": str(c.get_purpose_display()),
            "agency": c.agency.name if c.agency else None,
            "given_on": _date(c.given_on),
            "given_by": c.given_by,
            "given_by_label": str(c.get_given_by_display()),
            "withdrawn_on": _date(c.withdrawn_on),
            "evidence": bool(c.evidence),
            "recorded_at": _date(c.recorded_at),
        } for c in person.consents.select_related("agency").order_by("given_on", "pk")],
        "cases": [{
            "code": case.code,
            "kind": case.kind,
            "kind_label": str(case.get_kind_display()),
            "supervising_unit": case.unit.name,
            "situation": case.situation.code if case.situation else None,
            "case_workers": [str(w) for w in case.workers.all()],
            "risk_factors": list(case.risk_factors),
            "risk_factor_labels": [str(RISK_LABELS.get(r, r)) for r in case.risk_factors],
            "needs": case.needs,
            "plan": case.plan,
            "opened_on": _date(case.opened_on),
            "closed_on": _date(case.closed_on),
            "outcome": case.outcome or None,
            "outcome_label": str(case.get_outcome_display()) if case.outcome else None,
            "outcome_reason": case.outcome_reason,
            "services": [{
                "type": s.type,
                "type_label": str(s.get_type_display()),
                "provider": s.provider,
                "date": _date(s.date),
                "amount_vnd": _money(s.amount),
                "amount_text": format_vnd(s.amount),
                "status": s.status,
                "status_label": str(s.get_status_display()),
            } for s in case.services.all()],
            "visits": [{
                "kind": v.kind,
                "kind_label": str(v.get_kind_display()),
                "date": _date(v.date),
                "notes": v.notes,
                "by": str(v.by) if v.by else None,
            } for v in case.visits.all()],
            "follow_ups": [{
                "due_on": _date(f.due_on),
                "what": f.what,
                "done_on": _date(f.done_on),
            } for f in case.follow_ups.all()],
            "referrals": [{
                "agency": r.agency.name,
                "contact": r.contact,
                "referred_on": _date(r.referred_on),
                "answered_on": _date(r.answered_on),
                "answer": r.answer,
            } for r in case.referrals.all()],
        } for case in cases],
        "situations": [{
            "code": s.code,
            "category": s.category,
            "category_label": str(s.get_category_display()),
            "state": s.state,
            "reported_at": _date(s.created_at),
        } for s in person.situations.only("code", "category", "state", "created_at")
            .order_by("created_at")],
        "history": [{"at": _date(at), "action": action, "outcome": outcome}
                    for at, action, outcome in history],
    }


def _require_assigned(actor: Any, person: Person) -> None:
    if identity_level(actor, person, IdentityUse.EXPORT) is IdentityAccess.NONE:
        raise ActionError(_("Only a case worker assigned to her case can export her data."))


def _exported(actor: Any, person: Person, fmt: str) -> None:
    record(actor=actor, action="person.exported", target=person, unit_path=person.unit_path,
           changes={"format": fmt})


@transaction.atomic
def export_json(*, actor: Any, person: Person) -> bytes:
    _require_assigned(actor, person)
    data = {"exported_at": timezone.now(), "exported_by": str(actor),
            "person": person_record(person)}
    _exported(actor, person, "json")
    return json.dumps(data, ensure_ascii=False, indent=2, default=_iso).encode()


def _html(actor: Any, person: Person, *, for_pdf: bool = False, csp_nonce: str = "") -> str:
    return render_to_string("cases/person_export.html", {
        "data": person_record(person), "exported_at": timezone.localtime(),
        "exported_by": str(actor), "for_pdf": for_pdf, "CSP_NONCE": csp_nonce,
    })


@transaction.atomic
def export_html(*, actor: Any, person: Person, csp_nonce: str = "") -> str:
    """The printable page: the same content as the PDF, for the browser's print dialog.
    ``csp_nonce`` (the request's) lets its inline style through the Content-Security-Policy."""
    _require_assigned(actor, person)
    html = _html(actor, person, csp_nonce=csp_nonce)
    _exported(actor, person, "print")
    return html


@transaction.atomic
def export_pdf(*, actor: Any, person: Person) -> bytes:
    _require_assigned(actor, person)
    pdf = render_pdf(_html(actor, person, for_pdf=True))
    _exported(actor, person, "pdf")
    return pdf


# --- PDF ------------------------------------------------------------------------------------

def render_pdf(html: str, base_url: str | None = None) -> bytes:
    """Turn ``html`` into PDF bytes with WeasyPrint, imported only now."""
    try:
        weasyprint = importlib.import_module("weasyprint")
        fonts = importlib.import_module("weasyprint.text.fonts")
    except (ImportError, OSError) as exc:
        raise PdfUnavailable(
            "PDF output needs WeasyPrint and the Be Vietnam Pro font package: install the "
            "Python packages 'weasyprint' and 'fontpkg-be-vietnam-pro' (WeasyPrint also needs "
            f"the Pango system library). Import failed: {exc}") from exc
    font_config = fonts.FontConfiguration()
    stylesheets = []
    css = font_face_css()
    if css:
        stylesheets.append(weasyprint.CSS(string=css, font_config=font_config))
    document = weasyprint.HTML(string=html, base_url=base_url)
    return bytes(document.write_pdf(stylesheets=stylesheets, font_config=font_config))


def _fontpkg_files() -> dict[str, Path]:
    """Ask fontpkg itself (``fontpkg.path(family, weight=...)``) where the files are."""
    try:
        fontpkg = importlib.import_module("fontpkg")
    except ImportError:
        return {}
    found: dict[str, Path] = {}
    for face, (weight, style) in FACES.items():
        try:
            path = Path(fontpkg.path(FONT_FAMILY, weight=weight, style=style, nearest=True))
        except Exception:  # noqa: BLE001, S112  (an older or newer API: fall back below)
            continue
        if path.is_file():
            found[face] = path
    return found


def _package_files() -> dict[str, Path]:
    """Find the font files inside the font package with ``importlib.resources``."""
    for module in FONT_MODULES:
        try:
            root = importlib.resources.files(module)
        except (ModuleNotFoundError, TypeError):
            continue
        files = sorted(Path(str(p)) for p in _walk(root)
                       if p.name.lower().endswith(FONT_SUFFIXES))
        if not files:
            continue
        upright = [f for f in files if "italic" not in f.name.lower()] or files
        italic = [f for f in files if "italic" in f.name.lower()]

        regular = _first(upright, lambda n: "regular" in n or "-400" in n) or upright[0]
        bold = _first(upright, lambda n: "-700" in n or ("bold" in n and not any(
            w in n for w in ("semibold", "semi-bold", "extrabold", "extra-bold")))) or regular
        found = {"regular": regular, "bold": bold}
        plain_italic = _first(italic, lambda n: n.endswith(("-italic.ttf", "-italic.otf")))
        bold_italic = _first(italic, lambda n: "-bolditalic" in n)
        if plain_italic:
            found["italic"] = plain_italic
        if bold_italic:
            found["bold_italic"] = bold_italic
        return found
    return {}


def _first(files: list[Path], wanted: Any) -> Path | None:
    return next((f for f in files if wanted(f.name.lower())), None)


def _walk(root: Any) -> list[Any]:
    found = []
    for item in root.iterdir():
        if item.is_dir():
            found.extend(_walk(item))
        else:
            found.append(item)
    return found


def font_files() -> dict[str, Path]:
    """The Be Vietnam Pro files (``regular``, ``bold``), or {} when not installed."""
    return _fontpkg_files() or _package_files()


def font_face_css() -> str:
    """``@font-face`` rules for WeasyPrint pointing at the packaged font files."""
    files = font_files()
    rules = []
    for face, (weight, style) in FACES.items():
        if face in files:
            rules.append(f'@font-face {{ font-family: "{FONT_FAMILY}"; font-weight: {weight}; '
                         f'font-style: {style}; src: url("{files[face].as_uri()}"); }}')
    return "\n".join(rules)


# --- Anonymisation after the retention period -----------------------------------------------

def anonymise_after_years() -> int:
    return int(getattr(settings, "CTIP_ANONYMISE_AFTER_YEARS", 10))


def years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def persons_due_for_anonymisation(*, today: dt.date | None = None,
                                  years: int | None = None) -> QuerySet[Person]:
    """Persons not yet anonymised who have cases, every one of them closed, the last more than
    ``years`` years before ``today``. People without a case are left alone."""
    today = today or timezone.localdate()
    cutoff = years_before(today, anonymise_after_years() if years is None else years)
    open_cases = SupportCase.objects.filter(person=OuterRef("pk"), closed_on__isnull=True)
    return (Person.objects.filter(anonymised_at__isnull=True)
            .annotate(last_closed=Max("cases__closed_on"))
            .filter(last_closed__lt=cutoff)
            .filter(~Exists(open_cases))
            .only("pk", "code", "unit_path")
            .order_by("code"))


def anonymise_due(*, today: dt.date | None = None, years: int | None = None,
                  dry_run: bool = False) -> list[str]:
    """Anonymise every person due; return their codes."""
    years = anonymise_after_years() if years is None else years
    codes = []
    for candidate in persons_due_for_anonymisation(today=today, years=years):
        codes.append(candidate.code)
        if dry_run:
            continue
        person = Person.objects.get(pk=candidate.pk)
        actions.anonymise_person(
            actor=None, person=person,
            reason=f"automatic: every case closed more than {years} years ago")
    return codes
