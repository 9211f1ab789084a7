"""``ctip synth``: the synthetic rows are real records, and the indicators count them."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from ctip.cases.models import Referral, Service, Situation, SupportCase
from ctip.community.models import Club
from ctip.org.models import Unit
from ctip.outreach.models import Activity, Commendation, Speaker
from ctip.reports import indicators as ind
from ctip.reports import rollups
from ctip.reports.periods import Period

pytestmark = pytest.mark.django_db
ACTIVITIES = 2_500


def synth(**options: object) -> str:
    out = io.StringIO()
    call_command("synth", scale="tiny", activities=ACTIVITIES, stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def built() -> str:
    return synth()


def test_synth_builds_tay_ninh_with_branches_and_every_kind_of_record(built: str) -> None:
    province = Unit.objects.get(gso_code="80")
    assert Unit.objects.filter(parent=province).count() == 96  # the real communes
    assert Unit.objects.filter(unit_type__code="branch", path__startswith=province.path).count() \
        == 20
    assert Activity.objects.count() == ACTIVITIES
    assert Situation.objects.count() == 150 and SupportCase.objects.count() == 80
    for model in (Speaker, Club, Service, Referral, Commendation):
        assert model.objects.exists(), model
    assert Activity.objects.filter(speakers__isnull=False).exists()
    assert Activity.objects.filter(topics__isnull=False).exists()
    # identity fields are stored encrypted and read back through the model
    case = SupportCase.objects.select_related("person").first()
    assert case is not None and case.person.full_name.strip()
    situation = Situation.objects.first()
    assert situation is not None and situation.description.endswith(".")
    assert "Done in" in built


def test_indicators_after_synth_equal_counts_taken_from_the_rows(built: str) -> None:
    province = Unit.objects.get(gso_code="80")
    period = Period.year(timezone.localdate().year - 1)
    in_year = {"date__gte": period.start, "date__lte": period.end}
    v = ind.compute(province, period)
    # loaded without the roll-up triggers, then rebuilt: the triggers are back, the sums right
    assert not rollups.missing(connection)
    assert not any(rollups.differences().values())

    done = Activity.objects.filter(status="done", **in_year)
    assert v["sessions"]["total"] == done.count() > 0
    assert v["participants"]["total"] == done.aggregate(s=Sum("participants_total"))["s"]
    assert v["participants"]["women"] == done.aggregate(s=Sum("participants_women"))["s"]
    assert v["online_reach"]["total"] == done.aggregate(s=Sum("online_views"))["s"]
    assert v["active_speakers"] == Speaker.objects.filter(
        activities__in=done).distinct().count() > 0
    assert v["clubs"]["new"] == Club.objects.filter(
        founded_on__gte=period.start, founded_on__lte=period.end).count()
    assert v["situations"]["total"] == Situation.objects.filter(
        created_at__gte=period.start_at(), created_at__lt=period.end_before()).count() > 0
    assert v["referrals"]["total"] == Referral.objects.filter(
        referred_on__gte=period.start, referred_on__lte=period.end).count()
    assert v["cases_opened"]["total"] == SupportCase.objects.filter(
        opened_on__gte=period.start, opened_on__lte=period.end).count() > 0
    assert v["services"]["total"] == Service.objects.filter(status="delivered",
                                                            **in_year).count()
    assert v["commendations"]["total"] == Commendation.objects.filter(
        decided_on__gte=period.start, decided_on__lte=period.end).count()
    # the communes add up to the province
    per_commune = ind.compute_by_child(province, period)
    for code in ("sessions", "participants", "situations", "cases_active", "services"):
        assert sum(ind.headline(values[code]) for _u, values in per_commune) \
            == ind.headline(v[code]), code
    # the dashboard's one pass gives exactly the two passes' values, every indicator
    assert ind.compute_with_children(province, period) == (v, per_commune)


def test_synth_refuses_a_database_that_already_holds_records(built: str) -> None:
    with pytest.raises(CommandError, match="already holds"):
        synth()
    assert Activity.objects.count() == ACTIVITIES


def test_the_same_seed_gives_the_same_activities() -> None:
    synth(seed=7)
    first = list(Activity.objects.order_by("pk").values_list(
        "date", "format__code", "participants_total", "online_views")[:300])
    Activity.objects.all().delete()
    synth(seed=7, force=True)
    again = list(Activity.objects.order_by("pk").values_list(
        "date", "format__code", "participants_total", "online_views")[:300])
    assert first == again and len(first) == 300
