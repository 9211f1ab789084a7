"""Prevention figures (decision 0031): persons trafficked by recruitment method, recruiter,
country of exploitation and type of exploitation, for any subtree and period, with the trend
over five years on the dashboard; persons not events; every cell through the
disclosure-control layer for those who may not open the records."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse

from ctip.cases import actions
from ctip.reports import indicators as ind
from ctip.reports import privacy
from ctip.reports.periods import Period
from tests.cases.case_helpers import consent, open_case

CODES = list(ind.TRAFFICKING_CODES)


def _trafficked(unit: Any, worker: Any, n: int, *, year: int = 2026, **event: Any) -> list[Any]:
    cases = []
    for i in range(n):
        case = open_case(unit, worker, full_name=f"Người {year} {i} {unit.pk}")
        actions.record_trafficking_event(
            actor=None, case=case, recruited_on=dt.date(year, 1, 1 + i),
            **({"exploitation": ["scam_compound"], "exploitation_country": "KH",
                "recruiter_relation": "friend", "recruitment_methods": ["social_network"]}
               | event))
        cases.append(case)
    return cases


def test_persons_by_route_for_any_subtree_and_period(tree: Any, users: Any) -> None:
    cases = _trafficked(tree.commune_a, users["case_worker"], 6)
    _trafficked(tree.commune_b, None, 2, exploitation=["forced_marriage"],
                exploitation_country="CN", recruiter_relation="broker",
                recruitment_methods=["broker"])
    _trafficked(tree.commune_a, users["case_worker"], 1, year=2024)
    # trafficked twice in the year: one person
    actions.record_trafficking_event(actor=None, case=cases[0], recruited_on=dt.date(2026, 6, 1),
                                     exploitation=["sexual"], exploitation_country="MY")
    values = ind.compute(tree.province, Period.year(2026), CODES)
    assert values["trafficked_destination"]["total"] == 8
    assert values["trafficked_destination"]["KH"] == 6
    assert values["trafficked_destination"]["CN"] == 2
    assert values["trafficked_destination"]["MY"] == 1
    assert values["trafficked_exploitation"]["scam_compound"] == 6
    assert values["trafficked_exploitation"]["sexual"] == 1
    assert values["trafficked_relation"]["broker"] == 2
    assert values["trafficked_recruitment"]["social_network"] == 6
    commune = ind.compute(tree.commune_b, Period.year(2026), CODES)
    assert commune["trafficked_relation"] == {**commune["trafficked_relation"], "total": 2}
    assert ind.compute(tree.province, Period.year(2024), CODES)[
        "trafficked_destination"]["total"] == 1
    # labels for every part, Vietnamese for the exports
    labels = ind.breakdown_labels(ind.get("trafficked_destination"),
                                  values["trafficked_destination"])
    assert ("KH", "Campuchia", "Campuchia") in labels
    _key, _label, vi = next(x for x in ind.breakdown_labels(ind.get("trafficked_exploitation"))
                            if x[0] == "scam_compound")
    assert "lừa đảo" in vi


def test_the_dashboard_shows_the_trend_protected_unless_exact(
        tree: Any, users: Any, client_for: Any) -> None:
    _trafficked(tree.commune_a, users["case_worker"], 6)
    _trafficked(tree.commune_b, None, 2, exploitation_country="CN")
    url = reverse("reports:unit_dashboard", args=[tree.province.pk])
    query = {"period": "year", "year": "2026"}
    protected = client_for(users["viewer"]).get(url, query).content.decode()
    assert 'id="prevention"' in protected and "2022" in protected
    assert "Campuchia" in protected
    # two persons exploited in China: never shown as 2 to a viewer without case.view
    section = protected.split('id="prevention"')[1].split("</section>")[0]
    assert privacy.MARK in section
    exact = client_for(users["province_officer"]).get(url, query).content.decode()
    section = exact.split('id="prevention"')[1].split("</section>")[0]
    assert ">8<" in section and ">6<" in section and ">2<" in section


def test_a_periodic_report_and_the_indicator_table_carry_the_figures(
        tree: Any, users: Any) -> None:
    _trafficked(tree.commune_a, users["case_worker"], 7)
    values, keys = ind.compute_values_and_keys(tree.province, Period.year(2026))
    assert values["trafficked_exploitation"]["total"] == 7
    shown = privacy.protect_values(values, keys, "x")
    assert shown["trafficked_exploitation"]["total"] in range(5, 10)
    assert shown["trafficked_relation"]["family"] in (0, privacy.MARK)


def test_persons_by_legal_age_and_ethnic_group(tree: Any, users: Any) -> None:
    """Age in the year of the trafficking, at the legal lines of 16 and 18; ethnicity coded."""
    for i, born in enumerate([2011, 2009, 2008, 1990]):  # 15, 17, 18, 36 in 2026
        person = actions.create_person(actor=None, unit=tree.commune_a, full_name=f"Em {i}",
                                       birth_year=born, ethnic_group="08" if i else "01")
        consent(person)
        case = actions.open_case(actor=None, unit=tree.commune_a, person=person,
                                 kind="returned_victim", opened_on=dt.date(2026, 2, 1))
        actions.record_trafficking_event(actor=None, case=case,
                                         recruited_on=dt.date(2026, 1, 5))
    values = ind.compute(tree.province, Period.year(2026), ["trafficked_age",
                                                            "trafficked_ethnicity"])
    assert values["trafficked_age"] == {"total": 4, "under_16": 1, "16_17": 1, "18_plus": 2,
                                        "unknown": 0}
    assert values["trafficked_ethnicity"] == {"total": 4, "08": 3, "01": 1}
    labels = ind.breakdown_labels(ind.get("trafficked_ethnicity"),
                                  values["trafficked_ethnicity"])
    assert ("08", "Mông", "Mông") in labels
