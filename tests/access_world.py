"""The data set of the generated access matrix (``tests/test_access_matrix.py``).

One object of each kind inside everybody's scope (in branch A1 or commune A of the test tree,
where every role of the ``users`` fixture sits or above) and one outside it (in a commune of
another province), built through the real actions. ``ARGUMENTS`` says which kind of object
fills which URL argument: a rule is (the route's text before the argument, the argument's
name, the kind). A new route under a known prefix is filled without any change here; a route
with an argument no rule matches fails the matrix with a message naming the rule to add.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

# (route prefix, argument name, kind). The longest matching prefix wins.
ARGUMENTS: list[tuple[str, str, str]] = [
    ("accounts/users/", "pk", "user"),
    ("accounts/users/", "assignment_pk", "assignment"),
    ("units/", "pk", "unit"),
    ("outreach/activities/", "pk", "activity"),
    ("outreach/activities/attachments/", "pk", "attachment"),
    ("outreach/campaigns/", "pk", "campaign"),
    ("outreach/campaigns/movements/", "pk", "movement"),
    ("outreach/library/topics/", "pk", "topic"),
    ("outreach/library/materials/", "pk", "material"),
    ("outreach/library/speakers/", "pk", "speaker"),
    ("community/clubs/", "pk", "club"),
    ("community/clubs/", "member_pk", "member"),
    ("community/exchanges/", "pk", "exchange"),
    ("cases/situations/", "pk", "situation"),
    ("cases/situations/", "referral_pk", "situation_referral"),
    ("cases/situations/inbox/", "unit_pk", "unit"),
    ("cases/cases/", "pk", "case"),
    ("cases/cases/", "service_pk", "service"),
    ("cases/cases/", "follow_up_pk", "follow_up"),
    ("cases/cases/", "event_pk", "trafficking_event"),
    ("cases/cases/", "referral_pk", "case_referral"),
    ("cases/cases/counts/", "unit_pk", "unit"),
    ("cases/cases/break-glass/", "pk", "breakglass"),
    ("cases/cases/persons/", "pk", "person"),
    ("cases/cases/persons/", "consent_pk", "consent"),
    ("reports/unit/", "unit_id", "unit"),
    ("reports/submissions/", "pk", "report"),
    ("reports/submissions/exports/", "pk", "report_export"),
    ("imports/", "pk", "import_job"),
    ("units/restructuring/", "pk", "restructuring"),
    ("rss/", "section", "section"),
    ("da-doc/", "pk", "article"),  # the public page's read counter (a beacon)
    ("media/images/", "path", "image"),
    # the JSON API (its routes carry the declarations of their operations, ``ctip.api.urls``)
    ("api/v1/units/", "pk", "unit"),
    ("api/v1/activities/", "pk", "activity"),
    ("api/v1/campaigns/", "pk", "campaign"),
    ("api/v1/situations/", "pk", "situation"),
    ("accounts/tokens/", "pk", "token"),
]
# Kinds shared by the whole programme: there is no object of them outside anyone's scope.
GLOBAL_KINDS = {"topic", "material", "movement", "section", "image", "article"}


def kind_for(route: str, argument: str) -> str | None:
    """The kind of object for ``argument`` of ``route`` (the route text up to the argument)."""
    before = route.split("<", 1)[0] if "<" in route else route
    best: tuple[int, str] | None = None
    for prefix, name, kind in ARGUMENTS:
        if name == argument and before.startswith(prefix) and (best is None
                                                              or len(prefix) > best[0]):
            best = (len(prefix), kind)
    return best[1] if best else None


@dataclass
class World:
    """The objects of one side (inside or outside everybody's scope), by kind."""

    inside: bool
    objects: dict[str, Any] = field(default_factory=dict)
    units: dict[str, Any] = field(default_factory=dict)  # kind → the unit that scopes it

    def value(self, kind: str) -> Any:
        obj = self.objects[kind]
        return obj if isinstance(obj, str) else obj.pk


def _pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4 matrix test", content_type="application/pdf")


def build(tree: Any, users: Any) -> tuple[World, World]:
    from ctip.accounts.capabilities import Role
    from ctip.api.tokens import create_token
    from ctip.cases import actions as cases
    from ctip.cases.models import Agency, BreakGlass
    from ctip.community.actions import add_member, create_club, create_exchange
    from ctip.community.models import ClubType
    from ctip.core.models import ImportJob
    from ctip.outreach import actions as outreach
    from ctip.outreach.models import Format
    from ctip.reports.actions import create_or_get_draft
    from ctip.reports.models import Export, ReportType
    from ctip.units.actions import update_unit
    from ctip.units.models import Restructuring
    from tests.cases.case_helpers import consent, open_case
    from tests.conftest import make_user

    admin = users["system_admin"]
    worlds = (World(inside=True), World(inside=False))
    meeting = Format.objects.get(code="meeting")
    happy = ClubType.objects.get(code="happy-family")
    monthly = ReportType.objects.get(code="monthly")
    agency = Agency.objects.filter(archived=False).first()
    for world, branch, commune, tag in ((worlds[0], tree.branch_a1, tree.commune_a, "trong"),
                                        (worlds[1], tree.other_commune, tree.other_commune,
                                         "ngoai")):
        o, u = world.objects, world.units
        actor = admin if world.inside else None
        member = make_user(f"ma.tran.{tag}", Role.VIEWER, commune)
        o["user"], u["user"] = member, commune
        o["token"] = create_token(actor=None, user=member, name=f"Điện thoại {tag}").token
        u["token"] = commune
        o["assignment"] = member.role_assignments.get()
        o["unit"], u["unit"] = branch, branch
        o["activity"] = outreach.create_activity(
            actor=None, unit=branch, date=dt.date(2026, 7, 15), format=meeting,
            title=f"Sinh hoạt ma trận {tag}", participants_women=20, participants_men=5)
        u["activity"] = branch
        o["attachment"] = outreach.add_attachment(actor=actor, activity=o["activity"],
                                                  upload=_pdf(f"bien-ban-{tag}.pdf"))
        u["attachment"] = branch
        o["campaign"] = outreach.create_campaign(
            actor=None, unit=commune, name=f"Tháng hành động ma trận {tag}",
            starts_on=dt.date(2026, 7, 1), ends_on=dt.date(2026, 7, 31),
            plan_document=_pdf(f"ke-hoach-{tag}.pdf"))
        u["campaign"] = commune
        o["speaker"] = outreach.create_speaker(actor=None, unit=branch,
                                               full_name=f"Diễn giả ma trận {tag}")
        u["speaker"] = branch
        unit = update_unit(actor=None, unit=branch, is_border=True)
        o["club"] = create_club(actor=None, unit=unit, name=f"CLB ma trận {tag}",
                                club_type=happy, founded_on=dt.date(2024, 3, 8))
        u["club"] = branch
        o["member"] = add_member(actor=None, club=o["club"], full_name=f"Thành viên {tag}")
        o["exchange"] = create_exchange(actor=None, unit=unit, date=dt.date(2026, 5, 20),
                                        counterpart_area=f"Đối tác ma trận {tag}",
                                        participants=20)
        u["exchange"] = branch
        o["situation"] = cases.create_situation(
            actor=users["branch_head"] if world.inside else None, unit=branch,
            category="missing", source="member" if world.inside else "officer",
            description=f"Tình huống ma trận {tag}")
        u["situation"] = branch
        worker = users["case_worker"] if world.inside else make_user(
            "hotro.ma.tran", Role.CASE_WORKER, commune)
        case = open_case(commune, worker, full_name=f"Người Ma Trận {tag.title()}")
        o["case"], u["case"] = case, commune
        o["person"], u["person"] = case.person, commune
        o["service"] = cases.add_service(actor=None, case=case, type="medical",
                                         provider="Trạm y tế", date=dt.date(2026, 1, 12))
        o["follow_up"] = cases.add_follow_up(actor=None, case=case,
                                             due_on=timezone.localdate() + dt.timedelta(days=30),
                                             what="Thăm lại")
        o["trafficking_event"] = cases.record_trafficking_event(
            actor=None, case=case, exploitation=["forced_marriage"], exploitation_country="CN")
        if agency is not None:
            consent(case.person, "referral", agency=agency)
            o["case_referral"] = cases.refer(actor=None, agency=agency,
                                             referred_on=timezone.localdate(), case=case)
            o["situation_referral"] = cases.refer(actor=None, agency=agency,
                                                  referred_on=timezone.localdate(),
                                                  situation=o["situation"])
        o["consent"] = case.person.consents.order_by("pk").first()
        # someone opening the identity outside an assignment leaves a flag to review
        opener = admin if world.inside else make_user("caobang.admin", Role.SYSTEM_ADMIN,
                                                      tree.other_province)
        _break_glass(cases.view_identity, opener, case)
        o["breakglass"] = BreakGlass.objects.filter(person=case.person).order_by("pk").last()
        u["breakglass"] = commune
        o["report"] = create_or_get_draft(actor=None, unit=commune, report_type=monthly,
                                          start=dt.date(2026, 7, 1), end=dt.date(2026, 7, 31))
        u["report"] = commune
        export = Export(report=o["report"], requested_by=None, status=Export.Status.DONE)
        export.file.save(f"bao-cao-{tag}.pdf", ContentFile(b"%PDF-1.4 matrix test"), save=False)
        export.save()
        o["report_export"] = export
        u["report_export"] = commune
        # an import is its owner's alone: the commune officer's inside, a stranger's outside
        o["import_job"] = ImportJob.objects.create(
            kind="activities", owner=users["commune_officer"] if world.inside else member,
            file_name=f"nhap-{tag}.xlsx", digest="0" * 64, stash_key=f"{tag:0>32}")
        u["import_job"] = commune
        # so is a restructuring queued from its page
        o["restructuring"] = Restructuring.objects.create(
            kind=Restructuring.Kind.MOVE, owner=users["commune_officer"] if world.inside
            else member, unit=commune, unit_name=commune.name, params={},
            status=Restructuring.Status.DONE, result_unit=commune)
        u["restructuring"] = commune
    inside = worlds[0].objects
    inside["topic"] = outreach.create_topic(actor=None, name="Việc nhẹ lương cao (ma trận)")
    inside["material"] = outreach.add_material(actor=None, topic=inside["topic"],
                                               title="Tờ rơi", upload=_pdf("to-roi.pdf"))
    inside["movement"] = outreach.create_movement(actor=None, name="Phong trào ma trận")
    inside["section"], inside["article"] = _bulletin()
    inside["image"] = _image_rendition()
    for world in worlds:
        world.objects = {k: v for k, v in world.objects.items() if v is not None}
    return worlds


def _break_glass(view_identity: Callable[..., Any], opener: Any, case: Any) -> None:
    view_identity(actor=opener, person=case.person, case=case, category="authority",
                  reason="Kiểm tra hồ sơ theo yêu cầu của cơ quan công an tỉnh")


def _bulletin() -> tuple[str, str]:
    """A live section of the public bulletin with a live article: its slug, the article's pk."""
    from tests.portal.conftest import add_article, add_section, bulletin_home

    section = add_section(bulletin_home(), "Chuyên mục ma trận", slug="chuyen-muc-ma-tran")
    return section.slug, str(add_article(section, "Bài viết ma trận").pk)


def _image_rendition() -> str:
    """A rendition file of the bulletin's images (served by the public image route)."""
    from pathlib import Path

    from django.conf import settings

    path = Path(settings.MEDIA_ROOT) / "images" / "ma-tran.width-400.jpg"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\xff\xd8\xff\xe0 matrix test \xff\xd9")
    return path.name


def unit_of(world: World, kind: str) -> Any:
    """The unit whose scope decides access to an object of ``kind`` (None: the programme's)."""
    return None if kind in GLOBAL_KINDS else world.units.get(kind, world.units.get("case"))
