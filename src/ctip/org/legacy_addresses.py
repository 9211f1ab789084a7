"""Addresses written with the units of before 1 July 2025, resolved to today's communes.

Until 30 June 2025 an address named a commune, a district and one of 63 provinces ("Xã Mỹ Lộc,
Huyện Cần Giuộc, Tỉnh Long An"); since then it names one of 3,321 communes, wards and special
zones and one of 34 provinces ("Xã Mỹ Lộc, Tỉnh Tây Ninh"). The Union's old spreadsheets and
records use the old form, often without accents or with abbreviations ("X. My Loc, H. Can
Giuoc"). ``resolve_address`` says which current unit such an address means:

- ``exact``: one current commune or ward (its official GSO code and name);
- ``ambiguous``: an old commune divided among several new ones, or a name that several units
  bear: every candidate is listed and none is guessed;
- ``unknown``: nothing recognisable.

The data is the ``vietnamadminunits`` package (MIT; decision 0032): its legacy parser reads the
old address (accents, unit types, abbreviations and order are all optional), and its conversion
table says which new unit(s) each of the 10,000-odd old communes became. Its own
``convert_address`` is *not* used: for a divided commune it geocodes the street through an
online service and picks one, where ctip must work offline and never guess. Everything here
reads the package's JSON files, once, offline. The new units' codes are those of
``vietnam-provinces`` (decision 0007), the codes of the installed tree (``Unit.gso_code``);
each candidate names the installed unit when there is one.

A bare number is a current GSO code. An address without the old units ("Xã Đức Hòa, Tây
Ninh", "Xa Duc Hoa") is matched against the current names.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from ctip.core.text import fold
from ctip.org.models import Unit

EXACT, AMBIGUOUS, UNKNOWN = "exact", "ambiguous", "unknown"
MAX_ADDRESS_CHARS = 500

# Unit types as written in front of a name, full or abbreviated, once folded.
_TYPE_WORDS = (
    ("thanh pho", "thanhpho"), ("thi tran", "thitran"), ("thi xa", "thixa"),
    ("dac khu", "dackhu"), ("phuong", "phuong"), ("huyen", "huyen"), ("quan", "quan"),
    ("tinh", "tinh"), ("xa", "xa"), ("tp", "thanhpho"), ("tt", "thitran"), ("tx", "thixa"),
    ("p", "phuong"), ("q", "quan"), ("h", "huyen"), ("x", "xa"), ("t", "tinh"),
)
_TYPE_PREFIX = re.compile(
    r"^(?P<type>" + "|".join(re.escape(w) for w, _k in _TYPE_WORDS) + r")(?:\.\s*|\s+|(?=\d))")
_TYPE_KEY = dict(_TYPE_WORDS)
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_SEGMENTS = re.compile(r"[,;\n\-–]+")
_CODE = re.compile(r"^\s*(\d{4,5})\s*$")
_WARD_TYPES = ("xa", "phuong", "thitran", "dackhu")
_DISTRICT_TYPES = ("huyen", "quan", "thixa", "thanhpho")


@dataclass(frozen=True)
class Candidate:
    """A current commune or ward: official code and name, and the installed unit if any."""

    code: str
    name: str
    province_code: str
    province: str
    unit_id: int | None = None
    unit_name: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "province_code": self.province_code,
                "province": self.province, "unit_id": self.unit_id,
                "installed": self.unit_id is not None}


@dataclass(frozen=True)
class OldUnit:
    """The pre-2025 commune the address named."""

    code: str
    name: str
    district: str
    province: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "name": self.name, "district": self.district,
                "province": self.province}


@dataclass(frozen=True)
class Resolution:
    address: str
    status: str
    candidates: tuple[Candidate, ...] = ()
    old: tuple[OldUnit, ...] = ()
    source: str = ""  # "code", "old" or "current"
    message: str = ""

    @property
    def unit_id(self) -> int | None:
        """The installed unit, only when the answer is exact."""
        return self.candidates[0].unit_id if self.status == EXACT else None

    def as_dict(self) -> dict[str, Any]:
        return {"address": self.address, "status": self.status, "source": self.source,
                "message": self.message,
                "candidates": [c.as_dict() for c in self.candidates],
                "old_units": [o.as_dict() for o in self.old]}


# --- The package's data, read once ----------------------------------------------------------


def _key(text: str) -> str:
    """``"Xã Mỹ Lộc"`` → ``"xamyloc"``: the form of the package's keys."""
    return _NON_ALNUM.sub("", fold(text).replace("đ", "d"))


@dataclass
class _Data:
    new_provinces: dict[str, dict[str, Any]]  # new province key → its entry
    new_wards: dict[str, dict[str, dict[str, Any]]]  # new province key → ward key → entry
    new_by_code: dict[str, tuple[str, str]]  # ward code → (province key, ward key)
    old_provinces: dict[str, dict[str, Any]]
    old_wards: dict[str, dict[str, dict[str, dict[str, Any]]]]  # prov → district → ward
    old_districts: dict[str, dict[str, dict[str, Any]]]
    new_province_of: dict[str, str]  # old province key → new province key
    undivided: dict[str, tuple[str, str]]  # old key → (new province key, new ward key)
    divided: dict[str, tuple[str, list[str]]]  # old key → (new province key, [ward keys])
    new_ward_index: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


def _package_dir() -> Path:
    # vietnamadminunits (over a second to import) only for an address before 2025
    import vietnamadminunits

    return Path(vietnamadminunits.__file__).parent / "data"


def _load(name: str) -> dict[str, Any]:
    with (_package_dir() / name).open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


@functools.cache
def _data() -> _Data:
    current, legacy, conversion = (_load("parser_from_2025.json"), _load("parser_legacy.json"),
                                   _load("converter_2025.json"))
    new_wards: dict[str, dict[str, dict[str, Any]]] = {}
    for table in ("DICT_PROVINCE_WARD_NO_ACCENTED", "DICT_PROVINCE_WARD_ACCENTED"):
        for province, wards in current[table].items():
            new_wards.setdefault(province, {}).update(wards)
    old_wards: dict[str, dict[str, dict[str, dict[str, Any]]]] = {}
    for table in ("DICT_PROVINCE_DISTRICT_WARD_NO_ACCENTED",
                  "DICT_PROVINCE_DISTRICT_WARD_ACCENTED"):
        for province, districts in legacy[table].items():
            for district, wards in districts.items():
                old_wards.setdefault(province, {}).setdefault(district, {}).update(wards)
    new_province_of = {old: new for new, olds in conversion["DICT_PROVINCE"].items()
                       for old in olds}
    undivided = {old: (province, ward)
                 for province, wards in conversion["DICT_PROVINCE_WARD_NO_DIVIDED"].items()
                 for ward, olds in wards.items() for old in olds}
    divided = {old: (province, [c["newWardKey"] for c in choices])
               for province, olds in conversion["DICT_PROVINCE_WARD_DIVIDED"].items()
               for old, choices in olds.items()}
    data = _Data(
        new_provinces=current["DICT_PROVINCE"], new_wards=new_wards,
        new_by_code={str(entry["wardCode"]): (province, key)
                     for province, wards in new_wards.items() for key, entry in wards.items()},
        old_provinces=legacy["DICT_PROVINCE"], old_wards=old_wards,
        old_districts=legacy["DICT_PROVINCE_DISTRICT"], new_province_of=new_province_of,
        undivided=undivided, divided=divided,
    )
    for province, wards in new_wards.items():
        for key, entry in wards.items():
            for name in {_key(entry["ward"]), _key(entry["wardShort"])}:
                data.new_ward_index.setdefault(name, []).append((province, key))
    return data


# --- Reading the address --------------------------------------------------------------------


@dataclass(frozen=True)
class _Segment:
    full: str  # "xamyloc": type and name
    name: str  # "myloc": the name alone
    kind: str  # "xa", "huyen", ... or "" when no type was written


def _segments(address: str) -> list[_Segment]:
    """The parts of an address, each with its unit type (full or abbreviated) taken apart."""
    parts = []
    for raw in _SEGMENTS.split(fold(address)):
        text = raw.strip(" .")
        if not text:
            continue
        kind = ""
        match = _TYPE_PREFIX.match(text + " ")
        if match:
            kind = _TYPE_KEY[match.group("type")]
            text = text[match.end():] if match.end() <= len(text) else ""
        name = _NON_ALNUM.sub("", text)
        if name:
            parts.append(_Segment(full=kind + name, name=name, kind=kind))
    return parts


def _segment_matches(segment: _Segment, entry: dict[str, Any], kinds: Iterable[str]) -> bool:
    full, short = _key(entry.get("ward") or entry.get("district") or entry.get("province", "")), \
        _key(entry.get("wardShort") or entry.get("districtShort")
             or entry.get("provinceShort", ""))
    if segment.kind:
        return segment.full == full or (segment.kind in kinds and segment.name == short)
    # "Phường 3" has no name of its own: the number alone is not enough.
    return segment.name == short and not short.isdigit()


def _named(segments: list[_Segment], entry: dict[str, Any], kinds: Iterable[str]) -> bool:
    return any(_segment_matches(s, entry, tuple(kinds)) for s in segments)


def _candidate(province_key: str, ward_key: str) -> Candidate | None:
    data = _data()
    entry = data.new_wards.get(province_key, {}).get(ward_key)
    province = data.new_provinces.get(province_key)
    if entry is None or province is None:
        return None
    return Candidate(code=str(entry["wardCode"]), name=entry["ward"],
                     province_code=str(province["provinceCode"]), province=province["province"])


def _old_unit(province_key: str, district_key: str, ward_key: str) -> OldUnit | None:
    data = _data()
    entry = data.old_wards.get(province_key, {}).get(district_key, {}).get(ward_key)
    if entry is None:
        return None
    district = data.old_districts.get(province_key, {}).get(district_key, {})
    return OldUnit(code=str(entry["wardCode"]), name=entry["ward"],
                   district=district.get("district", ""),
                   province=data.old_provinces[province_key]["province"])


def _converted(province_key: str, district_key: str, ward_key: str) -> list[Candidate]:
    """The new unit(s) an old commune became: one, or several when it was divided."""
    data = _data()
    old_key = f"{province_key}_{district_key}_{ward_key}"
    if old_key in data.undivided:
        found = [_candidate(*data.undivided[old_key])]
    elif old_key in data.divided:
        province, wards = data.divided[old_key]
        found = [_candidate(province, ward) for ward in wards]
    else:
        found = []
    return [c for c in found if c is not None]


def _old_matches(address: str, segments: list[_Segment]) -> list[tuple[str, str, str]]:
    """The old communes the address names: (province, district, ward) keys."""
    # vietnamadminunits (over a second to import) only for an address before 2025
    from vietnamadminunits.parser import ParseMode, parse_address

    data = _data()
    try:
        parsed = parse_address(address, mode=ParseMode.LEGACY, keep_street=False, level=3)
    except Exception:  # noqa: BLE001  (the package raises bare exceptions on odd text)
        parsed = None
    province = getattr(parsed, "province_key", None)
    district = getattr(parsed, "district_key", None)
    ward = getattr(parsed, "ward_key", None)
    if province and district and ward and ward in data.old_wards.get(province, {}).get(
            district, {}):
        entry = data.old_wards[province][district][ward]
        # The package's parser guesses freely: keep its answer only if the name is there.
        if _named(segments, entry, _WARD_TYPES) or _key(entry["wardShort"]) in _key(address):
            return [(province, district, ward)]
    if not province or province not in data.old_wards:
        return []
    # The package needs the district to find a commune; without it ("Xã Mỹ Lộc, Long An"),
    # look for the commune in every district of the province (or of the district named).
    districts = data.old_wards[province]
    named_districts = [d for d, entry in data.old_districts.get(province, {}).items()
                       if _named(segments, entry, _DISTRICT_TYPES)]
    if named_districts:
        districts = {d: w for d, w in districts.items() if d in named_districts}
    # A bare "Long An" is the province, not the commune of that name.
    unnamed = [s for s in segments if s.kind or not _names_a_province(s)]
    found = []
    for district_key, wards in districts.items():
        for ward_key, entry in wards.items():
            if _named(unnamed, entry, _WARD_TYPES):
                found.append((province, district_key, ward_key))
    return found


def _names_a_province(segment: _Segment) -> bool:
    data = _data()
    return any(_segment_matches(segment, entry, ("tinh", "thanhpho"))
               for entries in (data.old_provinces, data.new_provinces)
               for entry in entries.values())


def _names_old_units(segments: list[_Segment], old: list[tuple[str, str, str]]) -> bool:
    """Whether the address is written with the old units: a province that no longer exists
    (Long An, ...), or, besides the commune, the district it was in."""
    data = _data()
    for province, entry in data.old_provinces.items():
        if province not in data.new_provinces and _named(segments, entry, ("tinh", "thanhpho")):
            return True
    for province, district, ward in old:
        commune = data.old_wards[province][district][ward]
        others = [s for s in segments if not _segment_matches(s, commune, _WARD_TYPES)]
        if _named(others, data.old_districts[province][district], _DISTRICT_TYPES):
            return True
    return False


def _current_matches(segments: list[_Segment]) -> list[Candidate]:
    """The current communes or wards the address names, within the province it names."""
    data = _data()
    provinces = {p for p, entry in data.new_provinces.items()
                 if _named(segments, entry, ("tinh", "thanhpho"))}
    found: dict[str, Candidate] = {}
    for segment in segments:
        if (segment.kind and segment.kind not in _WARD_TYPES) or (
                not segment.kind and _names_a_province(segment)):
            continue
        keys = data.new_ward_index.get(segment.full if segment.kind else segment.name, [])
        for province, ward in keys:
            entry = data.new_wards[province][ward]
            if provinces and province not in provinces:
                continue
            if not _segment_matches(segment, entry, _WARD_TYPES):
                continue
            candidate = _candidate(province, ward)
            if candidate is not None:
                found[candidate.code] = candidate
    return list(found.values())


# --- The answer -----------------------------------------------------------------------------


def _with_units(candidates: Iterable[Candidate]) -> tuple[Candidate, ...]:
    candidates = list({c.code: c for c in candidates}.values())
    units = {u.gso_code: u for u in Unit.objects.filter(
        gso_code__in=[c.code for c in candidates]).only("pk", "name", "gso_code")}
    return tuple(
        Candidate(c.code, c.name, c.province_code, c.province,
                  unit_id=units[c.code].pk if c.code in units else None,
                  unit_name=units[c.code].name if c.code in units else "")
        for c in candidates)


def _answer(address: str, candidates: Iterable[Candidate], source: str,
            old: Iterable[OldUnit] = ()) -> Resolution:
    found = _with_units(candidates)
    old_units = tuple(old)
    if not found:
        return Resolution(address, UNKNOWN, source=source, old=old_units, message=_(
            "No commune or ward could be recognised in this address. Write the commune, the "
            "district and the province (before July 2025) or the commune and the province "
            "(today), or the unit's code."))
    if len(found) == 1:
        return Resolution(address, EXACT, found, old_units, source)
    if len(old_units) == 1:
        message = _("“%(old)s” was divided among several communes or wards in 2025: choose "
                    "the one it is in today.") % {"old": old_units[0].name}
    else:
        message = _("Several communes or wards answer to this address: choose one.")
    return Resolution(address, AMBIGUOUS, found, old_units, source, message)


def resolve_address(address: str) -> Resolution:
    """Which current commune or ward an address (old or current form) or a code means."""
    text = " ".join(str(address or "").split())[:MAX_ADDRESS_CHARS]
    data = _data()
    code = _CODE.match(text)
    if code:
        where = data.new_by_code.get(code.group(1))
        candidate = _candidate(*where) if where else None
        return _answer(text, [candidate] if candidate else [], "code")
    segments = _segments(text)
    if not segments:
        return _answer(text, [], "")
    old = _old_matches(text, segments)
    current = _current_matches(segments)
    if old and (not current or _names_old_units(segments, old)):
        olds = [o for o in (_old_unit(*k) for k in old) if o is not None]
        return _answer(text, [c for k in old for c in _converted(*k)], "old", olds)
    if current:
        return _answer(text, current, "current")
    return _answer(text, [], "")


def old_communes(province_code: str) -> list[tuple[str, str, str]]:
    """Every pre-2025 commune of an old province: (province, district, commune) names, as the
    data package has them. Used by the tests and the documentation."""
    data = _data()
    out: list[tuple[str, str, str]] = []
    for province_key, entry in data.old_provinces.items():
        if str(entry["provinceCode"]) != str(province_code):
            continue
        for district_key, wards in data.old_wards.get(province_key, {}).items():
            district = data.old_districts[province_key][district_key]["district"]
            out.extend((entry["province"], district, ward["ward"]) for ward in wards.values())
    return out


_ABBREVIATIONS = {"Xã ": "X. ", "Phường ": "P. ", "Thị trấn ": "TT. ", "Huyện ": "H. ",
                  "Quận ": "Q. ", "Thành phố ": "TP. ", "Thị xã ": "TX. ", "Tỉnh ": ""}


def abbreviated(name: str) -> str:
    """A unit's name as old spreadsheets shorten it: "Huyện Cần Giuộc" → "H. Cần Giuộc"
    (used by the tests and the benchmark to write addresses the way people did)."""
    for word, short in _ABBREVIATIONS.items():
        if name.startswith(word):
            return short + name[len(word):]
    return name


def expected_conversion(province: str, district: str, commune: str) -> list[str]:
    """The new codes the package's conversion table gives for an old commune, by name."""
    data = _data()
    province_key, district_key, ward_key = _key(province), _key(district), _key(commune)
    for key, wards in data.old_wards.get(province_key, {}).get(district_key, {}).items():
        if wards["ward"] == commune:
            ward_key = key
    return [c.code for c in _converted(province_key, district_key, ward_key)]
