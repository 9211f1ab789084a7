"""The person-level files for partners (decision 0031): the CTDC contribution file validates
against CTDC's codebook, one row per person, de-identified, only with consent to statistics,
role-gated and audited; the public release is 11-anonymous over persons by global recoding and
keeps minors in a generalised band; the HTCDS JSON uses the standard's field names."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import re
from types import SimpleNamespace
from typing import Any

import pytest
from django.urls import reverse

from ctip.audit.models import AuditEvent
from ctip.cases import actions, htcds
from ctip.reports import ctdc
from tests.cases.case_helpers import consent
from tests.reports import ctdc_schema

NAME = "Nguyễn Thị Hoa"


def _event(**values: Any) -> SimpleNamespace:
    base: dict[str, Any] = {
        "status": "actual", "decided_by": "police", "decided_on": None,
        "recruitment_methods": ["unknown"], "recruitment_country": "VN",
        "recruiter_relation": "unknown", "means_of_control": ["unknown"],
        "exploitation": ["unknown"], "labour_industry": "", "sex_exploitation": [],
        "exploitation_country": "unknown", "recruited_on": None, "exploitation_start": None,
        "exploitation_end": None, "returned_on": None, "return_means": "unknown"}
    return SimpleNamespace(**(base | values))


def _read(content: bytes) -> tuple[list[str], list[list[str]]]:
    lines = list(csv.reader(io.StringIO(content.decode("utf-8"))))
    return lines[0], lines[1:]


def _seeded(n: int = 200, minors: int = 30, seed: int = 2026) -> list[dict[str, Any]]:
    """``n`` persons as CTDC rows, ``minors`` of them under 18 at registration."""
    rng = random.Random(seed)
    countries = ["KH"] * 9 + ["CN"] * 5 + ["LA"] * 2 + ["MY", "TW", "unknown"]
    rows = []
    for i in range(n):
        year = rng.choice([2022, 2023, 2024, 2025, 2026])
        age = rng.randint(12, 17) if i < minors else rng.randint(18, 55)
        rec = ctdc.PersonRecord(i, year, "female" if rng.random() < .85 else "male",
                                year - age, rng.choice(["VN"] * 19 + ["KH"]), "01")
        rec.events = [_event(
            exploitation=[rng.choice(["scam_compound", "sexual", "forced_marriage",
                                      "forced_labour"])],
            exploitation_country=rng.choice(countries),
            recruiter_relation=rng.choice(["stranger", "friend", "family", "broker"]),
            means_of_control=["debt", "documents"],
            recruited_on=dt.date(year - 1, rng.randint(1, 12), 1))]
        rows.append(ctdc.ctdc_row(rec))
    return rows


# --- The CTDC row and schema -----------------------------------------------------------------

def test_a_row_follows_ctdcs_codebook() -> None:
    rec = ctdc.PersonRecord(1, 2025, "female", 2009, "VN", "08")
    rec.events = [
        _event(exploitation=["scam_compound"], means_of_control=["debt", "confinement"],
               recruiter_relation="friend", exploitation_country="KH",
               recruitment_methods=["social_network"], recruited_on=dt.date(2024, 3, 1)),
        _event(exploitation=["sexual"], sex_exploitation=["prostitution"],
               recruiter_relation="intimate_partner", exploitation_country="CN",
               recruitment_methods=["abduction"], recruited_on=dt.date(2025, 1, 1)),
    ]
    row = ctdc.ctdc_row(rec)
    assert list(row) == ctdc_schema.COLUMNS
    assert row["ageBroad"] == "9--17" and row["majorityStatus"] == "Minor"
    assert row["majorityEntry"] == "Minor" and row["gender"] == "Female"
    assert row["meansOfControlDebtBondage"] == row["meansOfControlRestrictsMovement"] == 1
    assert row["meansOfControlThreats"] == -99 and row["meansOfControlNotSpecified"] == -99
    assert row["isForcedLabour"] == row["isSexualExploit"] == row["isSexAndLabour"] == 1
    assert row["typeOfLabourIllicitActivities"] == 1 and row["typeOfSexProstitution"] == 1
    assert row["isAbduction"] == 1 and row["CountryOfExploitation"] == "CN"  # the latest
    assert row["RecruiterRelationship"] == "Intimate Partner;Friend"
    assert row["typeOfExploitConcatenated"] == "ForcedLabour;SexualExploit;SexAndLabour"

    nothing = ctdc.ctdc_row(ctdc.PersonRecord(2, 2026, "other", None, "unknown", "unknown"))
    assert nothing["gender"] == nothing["ageBroad"] == nothing["citizenship"] == -99
    assert all(nothing[c] == -99 for c in ctdc_schema.COLUMNS[8:])


def test_unknown_is_coded_missing_never_guessed() -> None:
    rec = ctdc.PersonRecord(1, 2025, "female", 1990, "VN", "01")
    rec.events = [_event(exploitation=["forced_labour"], labour_industry="unknown")]
    row = ctdc.ctdc_row(rec)
    assert row["isForcedLabour"] == 1 and row["typeOfLabourNotSpecified"] == 1
    assert row["meansOfControlNotSpecified"] == 1 and row["recruiterRelationUnknown"] == 1
    assert row["CountryOfExploitation"] == -99 and row["isSexualExploit"] == -99


# --- The public release ----------------------------------------------------------------------

def test_two_hundred_persons_with_thirty_minors_keep_the_minors_in_a_band() -> None:
    rows = _seeded()
    release = ctdc.anonymise(rows)
    assert ctdc.is_k_anonymous(release.rows, 11)
    assert release.suppressed <= 0.05 * 200 and len(release.rows) == 200 - release.suppressed
    assert release.levels["ageBroad"] < 3  # age is generalised, not withheld
    minors = [r for r in release.rows if r["majorityStatus"] == "Minor"]
    assert len(minors) >= 30 - release.suppressed
    assert {r["ageBroad"] for r in minors} <= {"0--8", "9--17", "0--17"}
    assert all(r["ageBroad"] not in {"0--8", "9--17", "0--17"}
               for r in release.rows if r["majorityStatus"] == "Adult")
    assert 0 < release.loss < 1 and release.classes >= 2 and release.smallest >= 11
    header = ctdc.CTDC_COLUMNS
    lines = [[str(r[c]) for c in header] for r in release.rows]
    assert ctdc_schema.validate(header, lines, generalised=True) == []


@pytest.mark.parametrize(("n", "k"), [(0, 11), (10, 11), (11, 11), (60, 11), (400, 11),
                                      (400, 20)])
def test_k_anonymity_over_persons_on_generated_data(n: int, k: int) -> None:
    release = ctdc.anonymise(_seeded(n, n // 7, seed=n), k)
    assert ctdc.is_k_anonymous(release.rows, k)
    if n >= 60:
        assert release.suppressed <= 0.05 * n
    if n < k:
        assert release.rows == []


def test_a_k_below_eleven_is_raised_to_eleven() -> None:
    rows = _seeded(10, 0)
    assert ctdc.anonymise(rows, k=2).rows == []


# --- Through the database and the views ------------------------------------------------------

def _victim(unit: Any, i: int, *, statistics: bool = True, birth_year: int = 1995,
            sex: str = "female") -> Any:
    person = actions.create_person(actor=None, unit=unit, full_name=f"{NAME} {i}",
                                   birth_year=birth_year, sex=sex, citizenship="VN",
                                   ethnic_group="01")
    consent(person)
    if statistics:
        consent(person, "statistics")
    case = actions.open_case(actor=None, unit=unit, person=person, kind="returned_victim",
                             opened_on=dt.date(2026, 2, 1))
    actions.record_trafficking_event(
        actor=None, case=case, exploitation=["scam_compound"], exploitation_country="KH",
        exploitation_place="Khu số 9, Bavet", recruited_on=dt.date(2025, 5, 4),
        recruitment_country="VN", recruitment_province="80", recruiter_relation="friend",
        means_of_control=["debt"])
    return case


def test_the_contribution_file_one_row_per_consenting_person(
        tree: Any, users: Any, client_for: Any) -> None:
    first = _victim(tree.commune_a, 1)
    _victim(tree.commune_b, 2)
    _victim(tree.commune_a, 3, statistics=False)  # no consent to statistics: not in
    withdrawn = _victim(tree.commune_a, 4)
    actions.withdraw_consent(actor=None, consent=withdrawn.person.consents.get(
        purpose="statistics"))
    # a second case and a second event for the first person: still one row
    second = actions.open_case(actor=None, unit=tree.commune_b, person=first.person,
                               kind="being_identified", opened_on=dt.date(2026, 3, 1))
    actions.record_trafficking_event(actor=None, case=second, exploitation=["sexual"],
                                     exploitation_country="CN",
                                     recruited_on=dt.date(2026, 1, 2))
    _victim(tree.other_commune, 5)  # another province

    client = client_for(users["province_officer"])
    response = client.get(reverse("reports:unit_ctdc_contribution_csv", args=[tree.province.pk]))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    header, rows = _read(response.content)
    assert ctdc_schema.validate(header, rows) == []
    assert len(rows) == 2
    text = response.content.decode()
    assert NAME not in text and "Bavet" not in text and "TN-" not in text
    assert not re.search(r"\d{4}-\d{2}-\d{2}|\d{2}/\d{2}/\d{4}", text)
    assert tree.province.name not in text and tree.commune_a.name not in text
    by_sex = [dict(zip(header, r, strict=True)) for r in rows]
    mixed = [r for r in by_sex if r["isSexualExploit"] == "1"]
    assert len(mixed) == 1 and mixed[0]["typeOfLabourIllicitActivities"] == "1"
    assert mixed[0]["CountryOfExploitation"] == "CN" and mixed[0]["yearOfRegistration"] == "2026"
    event = AuditEvent.objects.filter(action="report.ctdc_contribution").get()
    assert event.actor == users["province_officer"] and event.changes == {"persons": 2}

    document = json.loads(client.get(reverse("reports:unit_htcds_export_json",
                                              args=[tree.province.pk])).content)
    assert len(document["persons"]) == 2
    person = next(p for p in document["persons"] if len(p["victim_contexts"]) == 2)
    context = person["victim_contexts"][0]
    assert context["vic_TypeOfExploitation"] == ["ForcedLabour"]
    assert context["vic_MethodsOfControl"] == ["DebtBondage"]
    assert context["vic_RelationshipToTrafficker"] == "Acquainted"
    assert context["hte_Events"][1]["hte_Country"] == "KH"
    assert person["prs_Gender"] == "Feminine" and person["prs_Citizenship"] == ["VN"]
    assert "Bavet" not in json.dumps(document) and NAME not in json.dumps(document)
    assert AuditEvent.objects.filter(action="report.htcds_export").exists()
    for key in context:
        assert key.startswith(("vic_", "hte_", "ctip_")), key


def test_only_a_role_holding_data_share_downloads_person_level_files(
        tree: Any, users: Any, client_for: Any) -> None:
    for name in ("unit_ctdc_contribution_csv", "unit_htcds_export_json"):
        url = reverse(f"reports:{name}", args=[tree.province.pk])
        assert client_for(users["viewer"]).get(url).status_code in (403, 404)
        assert client_for(users["commune_officer"]).get(url).status_code in (403, 404)
        assert client_for(users["case_worker"]).get(url).status_code in (403, 404)
        other = reverse(f"reports:{name}", args=[tree.other_province.pk])
        assert client_for(users["province_officer"]).get(other).status_code == 404
        commune = reverse(f"reports:{name}", args=[tree.commune_a.pk])
        assert client_for(users["province_officer"]).get(commune).status_code == 400
    assert not AuditEvent.objects.filter(action="report.ctdc_contribution").exists()


def test_the_public_release_page_and_file(tree: Any, users: Any, client_for: Any) -> None:
    for i in range(11):
        _victim(tree.commune_a, i, statistics=False)
    odd = _victim(tree.commune_b, 99, statistics=False, birth_year=1950, sex="male")
    client = client_for(users["viewer"])
    page = client.get(reverse("reports:unit_public_release", args=[tree.province.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and "CTDC" in html
    header, rows = _read(client.get(reverse("reports:unit_ctdc_csv",
                                            args=[tree.province.pk])).content)
    assert ctdc_schema.validate(header, rows, generalised=True) == []
    assert len(rows) in (11, 12)  # the lone older man is generalised or (≤ 5 %) left out
    assert NAME not in str(rows) and odd.person.code not in str(rows)
    event = AuditEvent.objects.filter(action="report.public_release").get()
    assert event.changes["persons"] == 12 and "levels" in event.changes
    url = reverse("reports:unit_ctdc_csv", args=[tree.province.pk])
    assert client.get(url, {"k": "10"}).status_code == 400
    assert client.get(url, {"k": "x"}).status_code == 400


def test_htcds_code_lists_map_to_the_standard() -> None:
    """Every code of every list maps to a value the standard names (or Other)."""
    tsv = open("/work/shared/standards/htcds/field-standards-2.0.tsv", encoding="utf-8")
    values: dict[str, set[str]] = {}
    for line in tsv:
        parts = line.rstrip("\n").split("\t")
        if len(parts) > 9 and parts[6]:
            values[parts[6]] = {v.strip() for v in parts[9].split("/") if v.strip()}
    tsv.close()
    for field_name, mapping in htcds.HTCDS.items():
        name = "vic_MethodsOfControl" if field_name == "vic_MethodsOfControl" else field_name
        allowed = values[name] | {"Other"}
        assert set(mapping.values()) <= allowed, (field_name, set(mapping.values()) - allowed)
