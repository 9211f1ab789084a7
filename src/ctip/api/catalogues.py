"""The catalogues offline forms need: formats, audiences, topics, agencies, categories."""

from typing import Any

from ninja import Router, Schema

from ctip.accounts.policy import has_capability
from ctip.api.auth import ApiRequest, needs
from ctip.cases.models import Agency, Category, Urgency
from ctip.catalogues.models import Audience, Movement
from ctip.outreach.models import Format
from ctip.outreach.selectors import topics_for

router = Router(tags=["catalogues"])


class Entry(Schema):
    id: int
    code: str
    name: str
    archived: bool


class FormatOut(Entry):
    is_online: bool
    is_meeting: bool


class TopicOut(Schema):
    id: int
    name: str
    kind: str
    archived: bool


class MovementOut(Schema):
    id: int
    name: str
    kind: str
    archived: bool


class AgencyOut(Entry):
    sector: str


class Choice(Schema):
    code: str
    name: str


class Catalogues(Schema):
    formats: list[FormatOut]
    audiences: list[Entry]
    topics: list[TopicOut]
    movements: list[MovementOut]
    agencies: list[AgencyOut]
    situation_categories: list[Choice]
    urgencies: list[Choice]


def _choices(choices: list[tuple[str, Any]]) -> list[dict[str, str]]:
    return [{"code": code, "name": str(name)} for code, name in choices]


@router.get("/catalogues", response=Catalogues,
            auth=needs("activity.view", "situation.report", "situation.view"),
            summary="Every catalogue in one answer (for forms, cached offline)")
def catalogues(request: ApiRequest) -> dict[str, object]:
    return {
        "formats": list(Format.objects.all()),
        "audiences": list(Audience.objects.all()),
        "topics": ([*topics_for(request.auth), *topics_for(request.auth, archived=True)]
                   if has_capability(request.auth, "activity.view") else []),
        "movements": list(Movement.objects.all()),
        "agencies": list(Agency.objects.all()),
        "situation_categories": _choices(Category.choices),
        "urgencies": _choices(Urgency.choices),
    }
