"""Access-matrix rows for campaigns, the topic library and speakers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.urls import reverse

IN, OUT = "Tháng hành động trong phạm vi", "Tháng hành động ngoài phạm vi"
ACT_IN, ACT_OUT = "Sinh hoạt trong phạm vi", "Sinh hoạt ngoài phạm vi"


def setup(tree: Any, users: Any) -> None:
    from ctip.outreach.actions import create_campaign, create_speaker, create_topic

    for unit, name in ((tree.commune_a, IN), (tree.other_commune, OUT)):
        create_campaign(actor=None, unit=unit, name=name, starts_on=dt.date(2026, 7, 1),
                        ends_on=dt.date(2026, 7, 31))
    create_speaker(actor=None, unit=tree.branch_a1, full_name="Diễn giả trong phạm vi")
    create_speaker(actor=None, unit=tree.other_commune, full_name="Diễn giả ngoài phạm vi")
    create_topic(actor=None, name="Việc nhẹ lương cao")
    from ctip.outreach.actions import create_activity
    from ctip.outreach.models import Format

    meeting = Format.objects.get(code="meeting")
    for unit, title in ((tree.branch_a1, ACT_IN), (tree.other_commune, ACT_OUT)):
        create_activity(actor=None, unit=unit, date=dt.date(2026, 7, 15), format=meeting,
                        title=title, participants_women=20, participants_men=5)


def _activity(inside: bool) -> int:
    from ctip.outreach.models import Activity

    return Activity.objects.get(title=ACT_IN if inside else ACT_OUT).pk


def _campaign(inside: bool) -> int:
    from ctip.outreach.models import Campaign

    return Campaign.objects.get(name=IN if inside else OUT).pk


def _speaker(inside: bool) -> int:
    from ctip.outreach.models import Speaker

    return Speaker.objects.get(
        full_name="Diễn giả trong phạm vi" if inside else "Diễn giả ngoài phạm vi").pk


def _topic() -> int:
    from ctip.catalogues.models import Topic

    return Topic.objects.get(name="Việc nhẹ lương cao").pk


TARGETS: dict[str, Callable[[Any, Any, bool], str]] = {
    "campaign.detail": lambda t, u, inside: reverse("outreach:campaign_detail",
                                                    args=[_campaign(inside)]),
    "topic.detail": lambda t, u, inside: reverse("outreach:topic_detail", args=[_topic()]),
    "speaker.detail": lambda t, u, inside: reverse("outreach:speaker_detail",
                                                   args=[_speaker(inside)]),
    "activity.detail": lambda t, u, inside: reverse("outreach:activity_detail",
                                                    args=[_activity(inside)]),
    "activity.edit": lambda t, u, inside: reverse("outreach:activity_edit",
                                                  args=[_activity(inside)]),
}
_SEE = {"campaign.detail", "topic.detail", "speaker.detail", "activity.detail"}
_EDIT = _SEE | {"activity.edit"}
ALLOWED: dict[str, set[str]] = {
    "system_admin": set(_EDIT), "province_officer": set(_EDIT), "commune_officer": set(_EDIT),
    "branch_head": set(_EDIT), "speaker": set(_SEE), "viewer": set(_SEE),
    "case_worker": set(), "editor": set(), "publisher": set(), "auditor": set(),
}
# The topic library is shared by the whole programme: there is no out-of-scope topic.
UNSCOPED = {"topic.detail"}
