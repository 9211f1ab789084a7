"""Person-level files for partners (decision 0031): the CTDC contribution file, the public
release file, and HTCDS-shaped JSON. All de-identified the same way, from the same records:

- **one row per person**, never per case: a person with two cases (or two trafficking events)
  is one row; her flags are the union of her events, her country of exploitation that of her
  latest event, her year of registration that of her first victim case;
- **de-identified**: no name, code, date finer than the year or place below the country (the
  province of recruitment stays inside); ages as CTDC's broad bands;
- missing values are CTDC's code ``-99`` (2020 codebook), a flag is ``1`` or ``-99``;
- the **contribution file** and the **HTCDS JSON** hold only persons whose active consent
  covers sharing for statistics or research (``Consent.Purpose.STATISTICS``), go to a role
  holding ``data.share``, and are audited; CTDC k-anonymises them itself after pooling;
- the **public release** holds every victim of the subtree, made k-anonymous (k = 11) over
  persons by global recoding: every combination of generalisation levels of the
  quasi-identifiers (a lattice, as ARX and Incognito search it) is tried, records in classes
  smaller than k are suppressed up to ``MAX_SUPPRESSED``, and the node losing least
  information (Iyengar's loss metric, suppressed records losing everything) is released,
  with a report of the levels chosen, the records suppressed and the loss.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Min

from ctip.cases import htcds, iso3166
from ctip.cases.actions import active_consents
from ctip.cases.models import Consent, Person, TraffickingEvent
from ctip.org.models import Unit
from ctip.reports.indicators import VICTIM_KINDS

MISSING = -99
K = 11
MAX_SUPPRESSED = 0.05   # at most 5 % of the persons may be left out of the public file
DATASOURCE = "Case Management"

_MEANS = {  # CTDC flag suffix: ctip codes
    "DebtBondage": {"debt"}, "TakesEarnings": {"takes_earnings"},
    "RestrictsFinancialAccess": {"restricts_money"},
    "Threats": {"physical_threats", "threats_family"},
    "PsychologicalAbuse": {"psychological"}, "PhysicalAbuse": {"physical_abuse"},
    "SexualAbuse": {"sexual_abuse"}, "FalsePromises": {"false_promises"},
    "PsychoactiveSubstances": {"substances"}, "RestrictsMovement": {"confinement"},
    "RestrictsMedicalCare": {"restricts_medical"}, "ExcessiveWorkingHours": {"excessive_hours"},
    "UsesChildren": set(), "ThreatOfLawEnforcement": {"threats_law"},
    "WithholdsNecessities": {"withholds_necessities"}, "WithholdsDocuments": {"documents"},
    "Other": {"other", "resold"},
}
_EXPLOIT = {
    "isForcedLabour": {"forced_labour", "scam_compound", "criminality", "child_labour",
                       "begging"},
    "isSexualExploit": {"sexual"}, "isOtherExploit": {"other", "surrogacy"},
    "isForcedMarriage": {"forced_marriage"}, "isForcedMilitary": set(),
    "isOrganRemoval": {"organ_removal"}, "isSlaveryAndPractices": {"servitude"},
}
_LABOUR = {  # typeOfLabour suffix: industries (or exploitation codes, prefixed "x:")
    "Agriculture": {"A"}, "Aquafarming": {"A_fishing"}, "Begging": {"x:begging"},
    "Construction": {"F"}, "DomesticWork": {"T"}, "Hospitality": {"I"},
    "IllicitActivities": {"x:scam_compound", "x:criminality"}, "Manufacturing": {"C"},
    "MiningOrDrilling": {"B"}, "Peddling": {"G"}, "Transportation": {"H"},
    "Other": {"J", "S", "other"},
}
_SEX = {"Prostitution": "prostitution", "Pornography": "pornography",
        "RemoteInteractiveServices": "remote", "PrivateSexualServices": "private"}
_RELATION = {"IntimatePartner": {"intimate_partner"}, "Friend": {"friend"},
             "Family": {"family"}, "Other": {"acquaintance", "broker", "stranger", "other"},
             "Unknown": {"unknown"}}
_RELATION_TEXT = {"IntimatePartner": "Intimate Partner", "Friend": "Friend",
                  "Family": "Family", "Other": "Other", "Unknown": "Unknown"}
_GENDER = {"female": "Female", "male": "Male"}
AGE_BANDS = [(0, 8, "0--8"), (9, 17, "9--17"), (18, 20, "18--20"), (21, 23, "21--23"),
             (24, 26, "24--26"), (27, 29, "27--29"), (30, 38, "30--38"), (39, 47, "39--47")]
AGE_BROAD = [label for _lo, _hi, label in AGE_BANDS] + ["48+"]

CTDC_COLUMNS: list[str] = [
    "yearOfRegistration", "Datasource", "gender", "ageBroad", "majorityStatus",
    "majorityStatusAtExploit", "majorityEntry", "citizenship",
    *(f"meansOfControl{s}" for s in _MEANS), "meansOfControlNotSpecified",
    "meansOfControlConcatenated",
    "isForcedLabour", "isSexualExploit", "isOtherExploit", "isSexAndLabour", "isForcedMarriage",
    "isForcedMilitary", "isOrganRemoval", "isSlaveryAndPractices", "typeOfExploitConcatenated",
    *(f"typeOfLabour{s}" for s in _LABOUR), "typeOfLabourNotSpecified",
    "typeOfLabourConcatenated",
    *(f"typeOfSex{s}" for s in _SEX), "typeOfSexConcatenated",
    "isAbduction", "RecruiterRelationship",
    *(f"recruiterRelation{s}" for s in _RELATION), "CountryOfExploitation",
]
_EXPLOIT_COLUMNS = [c for c in CTDC_COLUMNS if c.startswith("is") and c != "isAbduction"]
QUASI_IDENTIFIERS = ["yearOfRegistration", "gender", "ageBroad", "citizenship",
                     "CountryOfExploitation"]


def age_band(age: int | None) -> str | int:
    if age is None or age < 0:
        return MISSING
    for low, high, label in AGE_BANDS:
        if low <= age <= high:
            return label
    return "48+"


def legal_band(age: int | None) -> str:
    """The legal lines of Vietnamese law: under 16, 16–17, 18 and over."""
    if age is None or age < 0:
        return "unknown"
    return "under_16" if age < 16 else "16_17" if age < 18 else "18_plus"


def _majority(age: int | None) -> str | int:
    return MISSING if age is None or age < 0 else ("Minor" if age < 18 else "Adult")


# --- The persons -----------------------------------------------------------------------------

@dataclass
class PersonRecord:
    """What leaves about one person, before any file's shape: years and codes only."""

    person_id: int
    registered: int | None
    sex: str
    birth_year: int | None
    citizenship: str
    ethnic_group: str
    events: list[Any] = field(default_factory=list)

    def age_in(self, year: int | None) -> int | None:
        return year - self.birth_year if year and self.birth_year else None

    @property
    def first_event(self) -> Any:
        return self.events[0] if self.events else None

    @property
    def latest_event(self) -> Any:
        return self.events[-1] if self.events else None

    def codes(self, name: str) -> set[str]:
        found: set[str] = set()
        for event in self.events:
            value = getattr(event, name)
            found |= set(value) if isinstance(value, list) else ({value} if value else set())
        return found - {"unknown"} if len(found) > 1 else found


def _event_year(event: Any, *names: str) -> int | None:
    for name in names:
        day = getattr(event, name)
        if isinstance(day, dt.date):
            return day.year
    return None


def person_records(unit: Unit, *, consented_to: str | None = None) -> list[PersonRecord]:
    """Every person with a victim's case (returned, or being identified) supervised in
    ``unit``'s subtree, once; with ``consented_to``, only those whose consent for that
    purpose is active. Reads no encrypted field (the place of exploitation is deferred)."""
    firsts = (Person.objects.filter(cases__unit_path__subtree=unit.path,
                                    cases__kind__in=VICTIM_KINDS, anonymised_at__isnull=True)
              .annotate(first=Min("cases__opened_on")).order_by("first", "pk")
              .values("pk", "first", "sex", "birth_year", "citizenship", "ethnic_group"))
    if consented_to is not None:
        allowed = set(active_consents(consented_to).values_list("person_id", flat=True))
        firsts = firsts.filter(pk__in=allowed)
    records = {row["pk"]: PersonRecord(
        row["pk"], row["first"].year if row["first"] else None, row["sex"],
        row["birth_year"], row["citizenship"], row["ethnic_group"]) for row in firsts}
    events = (TraffickingEvent.objects.filter(person_id__in=list(records))
              .defer("exploitation_place").order_by("recruited_on", "exploitation_start", "pk"))
    for event in events:
        records[event.person_id].events.append(event)
    return list(records.values())


# --- The CTDC row ----------------------------------------------------------------------------

def _flags(prefix: str, mapping: dict[str, set[str]], codes: set[str]) -> dict[str, int]:
    return {f"{prefix}{suffix}": 1 if codes & wanted else MISSING
            for suffix, wanted in mapping.items()}


def _joined(row: dict[str, Any], names: Iterable[str], strip: str) -> str | int:
    on = [n.removeprefix(strip) for n in names if row.get(n) == 1]
    return ";".join(on) if on else MISSING


def ctdc_row(rec: PersonRecord) -> dict[str, Any]:
    """One person in the 63 columns of CTDC's global dataset (2020 codebook)."""
    age = rec.age_in(rec.registered)
    first = rec.first_event
    at_exploit = rec.age_in(_event_year(first, "exploitation_start", "recruited_on")
                            if first else None)
    at_entry = rec.age_in(_event_year(first, "recruited_on", "exploitation_start")
                          if first else None)
    row: dict[str, Any] = {
        "yearOfRegistration": rec.registered or MISSING, "Datasource": DATASOURCE,
        "gender": _GENDER.get(rec.sex, MISSING), "ageBroad": age_band(age),
        "majorityStatus": _majority(age), "majorityStatusAtExploit": _majority(at_exploit),
        "majorityEntry": _majority(at_entry),
        "citizenship": rec.citizenship if rec.citizenship in iso3166.COUNTRIES else MISSING,
    }
    known = bool(rec.events)
    means = rec.codes("means_of_control")
    row |= _flags("meansOfControl", _MEANS, means)
    row["meansOfControlNotSpecified"] = 1 if known and means <= {"unknown"} else MISSING
    row["meansOfControlConcatenated"] = _joined(
        row, [f"meansOfControl{s}" for s in [*_MEANS, "NotSpecified"]], "meansOfControl")
    exploit = rec.codes("exploitation")
    row |= _flags("", _EXPLOIT, exploit)
    both = row["isForcedLabour"] == 1 and row["isSexualExploit"] == 1
    row["isSexAndLabour"] = 1 if both else MISSING
    row["typeOfExploitConcatenated"] = _joined(row, _EXPLOIT_COLUMNS, "is")
    labour = rec.codes("labour_industry") | {f"x:{c}" for c in exploit}
    row |= _flags("typeOfLabour", _LABOUR, labour)
    labour_known = any(row[f"typeOfLabour{s}"] == 1 for s in _LABOUR)
    row["typeOfLabourNotSpecified"] = (1 if row["isForcedLabour"] == 1 and not labour_known
                                       else MISSING)
    row["typeOfLabourConcatenated"] = _joined(
        row, [f"typeOfLabour{s}" for s in [*_LABOUR, "NotSpecified"]], "typeOfLabour")
    sex = rec.codes("sex_exploitation")
    row |= {f"typeOfSex{s}": 1 if code in sex else MISSING for s, code in _SEX.items()}
    row["typeOfSexConcatenated"] = _joined(row, [f"typeOfSex{s}" for s in _SEX], "typeOfSex")
    row["isAbduction"] = 1 if "abduction" in rec.codes("recruitment_methods") else MISSING
    relations = rec.codes("recruiter_relation") if known else set()
    row |= _flags("recruiterRelation", _RELATION, relations)
    named = [_RELATION_TEXT[s] for s in _RELATION if row[f"recruiterRelation{s}"] == 1]
    row["RecruiterRelationship"] = ";".join(named) if named else MISSING
    latest = rec.latest_event
    country = latest.exploitation_country if latest is not None else ""
    row["CountryOfExploitation"] = country if country in iso3166.COUNTRIES else MISSING
    if not known:  # nothing recorded about the trafficking: every flag is missing
        for name in CTDC_COLUMNS[8:-1]:
            row[name] = MISSING
    return {name: row[name] for name in CTDC_COLUMNS}


def contribution_rows(unit: Unit) -> list[dict[str, Any]]:
    return [ctdc_row(r) for r in person_records(unit, consented_to=Consent.Purpose.STATISTICS)]


# --- HTCDS JSON ------------------------------------------------------------------------------

def htcds_record(rec: PersonRecord) -> dict[str, Any]:
    """One person in HTCDS 2.0 field names (de-identified: the core identity fields are left
    out, the birth date becomes an age band, places stop at the country; the province of
    recruitment is withheld, like every place below the country)."""
    age = rec.age_in(rec.registered)
    events = []
    for e in rec.events:
        events.append({
            "vic_TraffickingStatus": htcds.htcds_value("vic_TraffickingStatus", e.status),
            "vic_TraffickingStatusDecisionMakingOrg": htcds.htcds_value(
                "vic_TraffickingStatusDecisionMakingOrg", e.decided_by),
            "vic_TraffickingStatusDecisionYear": _event_year(e, "decided_on"),
            "vic_MethodOfRecruitment": htcds.htcds_values("vic_MethodOfRecruitment",
                                                          e.recruitment_methods),
            "vic_RelationshipToTrafficker": htcds.htcds_value("vic_RelationshipToTrafficker",
                                                              e.recruiter_relation),
            "vic_MethodsOfControl": htcds.htcds_values("vic_MethodsOfControl",
                                                       e.means_of_control),
            "vic_TypeOfExploitation": htcds.htcds_values("vic_TypeOfExploitation",
                                                         e.exploitation),
            "vic_ForcedLabourIndustry": htcds.htcds_value("vic_ForcedLabourIndustry",
                                                          e.labour_industry),
            "vic_TypeOfSexExploitation": htcds.htcds_values("vic_TypeOfSexExploitation",
                                                            e.sex_exploitation),
            "vic_AgeWhenTrafficked": age_band(rec.age_in(_event_year(
                e, "recruited_on", "exploitation_start"))),
            "hte_Events": [
                {"hte_Type": "Recruitment", "hte_Country": _country(e.recruitment_country),
                 "hte_Year": _event_year(e, "recruited_on")},
                {"hte_Type": "Exploitation", "hte_Country": _country(e.exploitation_country),
                 "hte_Year": _event_year(e, "exploitation_start"),
                 "hte_EndYear": _event_year(e, "exploitation_end")},
            ],
            "ctip_ReturnMeans": None if e.return_means == "unknown" else e.return_means,
            "ctip_ReturnYear": _event_year(e, "returned_on"),
            "ctip_ExtendedExploitation": [c for c in e.exploitation
                                          if c in ("scam_compound", "criminality")],
        })
    return {
        "prs_Gender": htcds.htcds_value("prs_Gender", rec.sex),
        "prs_AgeBand": None if age_band(age) == MISSING else age_band(age),
        "prs_Citizenship": [rec.citizenship] if rec.citizenship in iso3166.COUNTRIES else [],
        "cas_RegistrationYear": rec.registered,
        "con_Consent": True,
        "victim_contexts": events,
    }


def _country(code: str) -> str | None:
    return code if code in iso3166.COUNTRIES else None


def htcds_document(unit: Unit) -> dict[str, Any]:
    records = person_records(unit, consented_to=Consent.Purpose.STATISTICS)
    return {
        "standard": "Human Trafficking Case Data Standard (HTCDS) 2.0 by IOM",
        "note": "De-identified records shared with consent; not endorsed by IOM.",
        "persons": [htcds_record(r) for r in records],
    }


# --- The public release: global recoding over value hierarchies ------------------------------

def _year_levels(value: Any) -> list[Any]:
    if value == MISSING:
        return [MISSING, MISSING, MISSING, "*"]
    y = int(value)
    return [y, f"{y // 5 * 5}--{y // 5 * 5 + 4}", f"{y // 10 * 10}--{y // 10 * 10 + 9}", "*"]


def _age_levels(value: Any) -> list[Any]:
    if value == MISSING:
        return [MISSING, MISSING, MISSING, "*"]
    minor = value in ("0--8", "9--17")
    wide = ("0--17" if minor else "18--29" if value in ("18--20", "21--23", "24--26", "27--29")
            else "30--47" if value in ("30--38", "39--47") else "48+")
    return [value, wide, "0--17" if minor else "18+", "*"]


def _country_levels(value: Any) -> list[Any]:
    if value == MISSING:
        return [MISSING, MISSING, "*"]
    return [value, iso3166.region(value), "*"]


HIERARCHIES: dict[str, Callable[[Any], list[Any]]] = {
    "yearOfRegistration": _year_levels,
    "gender": lambda v: [v, "*"],
    "ageBroad": _age_levels,
    "citizenship": _country_levels,
    "CountryOfExploitation": _country_levels,
}
# How much losing each quasi-identifier costs (as ARX's attribute weights): age first, since
# the legal line of 18 (and 16) decides what protection a person is owed and what prevention
# must teach whom; then the country of exploitation, the route prevention aims at.
WEIGHTS = {"yearOfRegistration": 1.0, "gender": 1.0, "ageBroad": 3.0, "citizenship": 1.0,
           "CountryOfExploitation": 2.0}
LEVEL_NAMES = {
    "yearOfRegistration": ["year", "5 years", "10 years", "withheld"],
    "gender": ["as recorded", "withheld"],
    "ageBroad": ["CTDC band", "0–17 / 18–29 / 30–47 / 48+", "minor / adult", "withheld"],
    "citizenship": ["country", "region", "withheld"],
    "CountryOfExploitation": ["country", "region", "withheld"],
}


_TOTAL_WEIGHT = sum(WEIGHTS.values())


@dataclass
class Release:
    rows: list[dict[str, Any]]
    levels: dict[str, int]
    persons: int
    suppressed: int
    loss: float   # 0 (nothing lost) .. 1 (everything): Iyengar's loss metric, weighted
    k: int
    classes: int
    smallest: int

    def describe(self) -> list[tuple[str, str]]:
        return [(q, LEVEL_NAMES[q][lvl]) for q, lvl in self.levels.items()]


def _loss_tables(ladders: list[dict[str, list[Any]]]) -> dict[str, list[dict[Any, float]]]:
    """For each quasi-identifier and level: the loss of each generalised value, the share of
    the other observed leaf values it hides ((leaves under it − 1) / (leaves − 1))."""
    out: dict[str, list[dict[Any, float]]] = {}
    for q in QUASI_IDENTIFIERS:
        leaves: dict[Any, set[Any]] = {}
        depth = len(HIERARCHIES[q](MISSING))
        per_level: list[dict[Any, set[Any]]] = [defaultdict(set) for _ in range(depth)]
        for ladder in ladders:
            leaf = ladder[q][0]
            leaves[leaf] = set()
            for level, value in enumerate(ladder[q]):
                per_level[level][value].add(leaf)
        n = max(len(leaves) - 1, 1)
        out[q] = [{v: (len(under) - 1) / n for v, under in level.items()} for level in per_level]
    return out


def anonymise(rows: list[dict[str, Any]], k: int = K,
              max_suppressed: float = MAX_SUPPRESSED) -> Release:
    """The least-loss full-domain generalisation of ``rows`` that is k-anonymous over the
    quasi-identifiers after suppressing at most ``max_suppressed`` of the rows (the classes
    smaller than k). The top of the lattice (everything withheld) is always valid once there
    are k rows; with fewer, nothing is released."""
    k = max(k, K)
    ladders = [{q: HIERARCHIES[q](row[q]) for q in QUASI_IDENTIFIERS} for row in rows]
    depths = [len(HIERARCHIES[q](MISSING)) for q in QUASI_IDENTIFIERS]
    losses = _loss_tables(ladders)
    n = len(rows)
    best: tuple[float, int, tuple[int, ...]] | None = None
    for node in itertools.product(*(range(d) for d in depths)):
        keys = [tuple(lad[q][lvl] for q, lvl in zip(QUASI_IDENTIFIERS, node, strict=True))
                for lad in ladders]
        sizes = Counter(keys)
        suppressed = sum(c for c in sizes.values() if c < k)
        if n == 0 or suppressed > max_suppressed * n:
            continue
        kept = sum(WEIGHTS[q] * losses[q][lvl][key[i]] for key in keys if sizes[key] >= k
                   for i, (q, lvl) in enumerate(zip(QUASI_IDENTIFIERS, node, strict=True)))
        loss = (kept + suppressed * _TOTAL_WEIGHT) / (n * _TOTAL_WEIGHT)
        candidate = (round(loss, 9), sum(node), node)
        if best is None or candidate < best:
            best = candidate
    if best is None:
        return Release([], {q: len(HIERARCHIES[q](MISSING)) - 1 for q in QUASI_IDENTIFIERS},
                       n, n, 1.0, k, 0, 0)
    loss, _height, node = best
    out, sizes = [], Counter()
    recoded = []
    for row, lad in zip(rows, ladders, strict=True):
        new = dict(row)
        for q, lvl in zip(QUASI_IDENTIFIERS, node, strict=True):
            new[q] = lad[q][lvl]
        recoded.append(new)
        sizes[tuple(new[q] for q in QUASI_IDENTIFIERS)] += 1
    for new in recoded:
        if sizes[tuple(new[q] for q in QUASI_IDENTIFIERS)] >= k:
            out.append(new)
    kept_sizes = [c for c in sizes.values() if c >= k]
    return Release(out, dict(zip(QUASI_IDENTIFIERS, node, strict=True)), n, n - len(out),
                   loss, k, len(kept_sizes), min(kept_sizes, default=0))


def public_release(unit: Unit, k: int = K) -> Release:
    """Every victim of the subtree (consent to statistics is not needed: nobody can be
    singled out of an 11-anonymous file of broad values), anonymised."""
    return anonymise([ctdc_row(r) for r in person_records(unit)], k)


def is_k_anonymous(rows: list[dict[str, Any]], k: int = K) -> bool:
    sizes = Counter(tuple(r[q] for q in QUASI_IDENTIFIERS) for r in rows)
    return all(c >= k for c in sizes.values())

