"""CTDC's global dataset schema, written from its codebook (2020 release, 63 columns; see
/work/shared/standards/README.md), independently of ``ctip.reports.ctdc``: the column order,
the value list of each column and the missing code -99. ``validate`` returns every problem."""

from __future__ import annotations

import re
from typing import Any

MISSING = "-99"
YEAR = re.compile(r"^(19|20)\d\d$")
ISO2 = re.compile(r"^[A-Z]{2}$")

_MEANS = ["DebtBondage", "TakesEarnings", "RestrictsFinancialAccess", "Threats",
          "PsychologicalAbuse", "PhysicalAbuse", "SexualAbuse", "FalsePromises",
          "PsychoactiveSubstances", "RestrictsMovement", "RestrictsMedicalCare",
          "ExcessiveWorkingHours", "UsesChildren", "ThreatOfLawEnforcement",
          "WithholdsNecessities", "WithholdsDocuments", "Other", "NotSpecified"]
_EXPLOIT = ["isForcedLabour", "isSexualExploit", "isOtherExploit", "isSexAndLabour",
            "isForcedMarriage", "isForcedMilitary", "isOrganRemoval", "isSlaveryAndPractices"]
_LABOUR = ["Agriculture", "Aquafarming", "Begging", "Construction", "DomesticWork",
           "Hospitality", "IllicitActivities", "Manufacturing", "MiningOrDrilling", "Peddling",
           "Transportation", "Other", "NotSpecified"]
_SEX = ["Prostitution", "Pornography", "RemoteInteractiveServices", "PrivateSexualServices"]
_RELATION = ["IntimatePartner", "Friend", "Family", "Other", "Unknown"]

COLUMNS: list[str] = [
    "yearOfRegistration", "Datasource", "gender", "ageBroad", "majorityStatus",
    "majorityStatusAtExploit", "majorityEntry", "citizenship",
    *(f"meansOfControl{m}" for m in _MEANS), "meansOfControlConcatenated",
    *_EXPLOIT, "typeOfExploitConcatenated",
    *(f"typeOfLabour{t}" for t in _LABOUR), "typeOfLabourConcatenated",
    *(f"typeOfSex{t}" for t in _SEX), "typeOfSexConcatenated",
    "isAbduction", "RecruiterRelationship", *(f"recruiterRelation{r}" for r in _RELATION),
    "CountryOfExploitation",
]
assert len(COLUMNS) == 63  # noqa: S101

AGE_BROAD = {"0--8", "9--17", "18--20", "21--23", "24--26", "27--29", "30--38", "39--47", "48+"}
VALUES: dict[str, Any] = {
    "yearOfRegistration": YEAR,
    "Datasource": {"Case Management", "Hotline"},
    "gender": {"Female", "Male"},
    "ageBroad": AGE_BROAD,
    "majorityStatus": {"Adult", "Minor"},
    "majorityStatusAtExploit": {"Adult", "Minor"},
    "majorityEntry": {"Adult", "Minor"},
    "citizenship": ISO2,
    "CountryOfExploitation": ISO2,
    "RecruiterRelationship": re.compile(
        r"^(Intimate Partner|Friend|Family|Other|Unknown)(;(Intimate Partner|Friend|Family"
        r"|Other|Unknown))*$"),
}
for _name in COLUMNS:
    if _name.endswith("Concatenated"):
        VALUES[_name] = re.compile(r"^[A-Za-z]+(;[A-Za-z]+)*$")
    elif _name not in VALUES:
        VALUES[_name] = {"1"}  # a flag: 1 or missing


def validate(header: list[str], rows: list[list[str]], *, generalised: bool = False
             ) -> list[str]:
    """Problems of a CTDC file read as text. ``generalised``: the quasi-identifiers may hold a
    generalised value (a span ``a--b``, a region, ``*``) as CTDC's own release does."""
    problems = []
    if header != COLUMNS:
        problems.append(f"columns differ: {set(header) ^ set(COLUMNS)} or order")
    for number, row in enumerate(rows, 2):
        if len(row) != len(COLUMNS):
            problems.append(f"line {number}: {len(row)} fields")
            continue
        for name, value in zip(COLUMNS, row, strict=True):
            if value == MISSING:
                continue
            if generalised and (value == "*" or re.fullmatch(r"\d+--\d+|\d+\+", value)
                                or value in {"ASEAN", "EastAsia", "Other"}):
                continue
            rule = VALUES[name]
            ok = rule.fullmatch(value) if isinstance(rule, re.Pattern) else value in rule
            if not ok:
                problems.append(f"line {number}: {name}={value!r}")
    return problems
