"""Which unit each distinct text of a file's unit column names, within the units where the
importing person records (``activity.manage``): an administrative code, a name (with the units
above it when the name is shared), or an address before or after the 2025 reorganisation. Every
kind of import that has a unit column (activities, commendations, club members, situations)
resolves it here."""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from ctip.accounts.policy import forget, scope_q
from ctip.core.spreadsheets import clean
from ctip.core.text import fold, nfc
from ctip.imports.pipeline import Ambiguity, Choices, code_variants
from ctip.org.legacy_addresses import AMBIGUOUS, EXACT, resolve_address
from ctip.org.models import PATH_SEPARATOR, Unit

_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")  # huyền, sắc, ngã, hỏi, nặng


@functools.lru_cache(maxsize=65_536)
def fold_cached(text: str) -> str:
    """``fold``, remembered: a file repeats its formats, topics and units on every row."""
    return fold(text)


_fold = fold_cached


@functools.lru_cache(maxsize=65_536)
def name_key(text: str) -> str:
    """How unit names are compared: the same letters and tones, whatever the case, the
    spacing, the Unicode form or the old or new placement of the tone mark (“Hoà” = “Hòa”)."""
    words = []
    for word in clean(nfc(text)).casefold().split():
        decomposed = unicodedata.normalize("NFD", word)
        tones = "".join(sorted(ch for ch in decomposed if ch in _TONES))
        base = "".join(ch for ch in decomposed if ch not in _TONES)
        words.append(f"{unicodedata.normalize('NFC', base)}{tones}")
    return " ".join(words)


# --- Resolving names ------------------------------------------------------------------------


def units_managed_by(actor: Any) -> Any:
    units = Unit.objects.all()
    if actor is None:  # the system itself
        return units
    return units.filter(scope_q(actor, "activity.manage", "path"))


def unknown_unit(text: str) -> str:
    return _("There is no unit “%(unit)s” among the units where you record activities. Write "
             "its administrative code or its name as in the list of units.") % {"unit": text}


@dataclass
class UnitLookup:
    units: dict[str, Unit] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    hidden: set[str] = field(default_factory=set)  # codes that exist outside the scope
    ambiguous: dict[str, Ambiguity] = field(default_factory=dict)  # text → its candidates

    def offer(self, text: str, message: str, candidates: list[Unit], labels: dict[int, str],
              choices: Choices) -> None:
        """``text`` names several units: take the one the officer chose for it, if any and
        among them; else an error, and the candidates offered in the preview."""
        offered = [(str(u.pk), labels.get(u.pk) or u.name) for u in candidates]
        chosen = choices.get(text) or ""
        ambiguity = Ambiguity(value=text, message=message, candidates=offered)
        self.ambiguous[text] = ambiguity
        unit = next((u for u in candidates if str(u.pk) == chosen), None)
        if unit is not None:
            ambiguity.chosen = chosen
            self.units[text] = unit
            self.errors.pop(text, None)
        else:
            self.errors[text] = message + " " + _(
                "Choose the unit in the check of the file, or write one of them instead: "
                "%(units)s.") % {"units": ", ".join(f"“{label}”" for _pk, label in offered)}


def resolve_units(actor: Any, texts: set[str], choices: Choices | None = None) -> UnitLookup:
    """Each distinct text of the unit column → a unit within the actor's scope, or a reason.

    Digits are an administrative code. Otherwise a name, compared by ``name_key``; when the
    same name is used in several places (“Chi hội ấp 1”), the units above can be written
    before it: “Xã Đức Hòa / Chi hội ấp 1”. Units outside the scope read as unknown.
    """
    lookup = UnitLookup()
    codes = {t for t in texts if t.isdigit()}
    names = texts - codes
    manageable = units_managed_by(actor)
    if codes:
        variants = {v for c in codes for v in code_variants(c)}
        found = list(manageable.filter(gso_code__in=variants))
        by_bare = {(u.gso_code or "").lstrip("0") or "0": u for u in found}
        for code in codes:
            unit = by_bare.get(code.lstrip("0") or "0")
            if unit is not None:
                lookup.units[code] = unit
            else:
                lookup.errors[code] = unknown_unit(code)
        unresolved = codes - set(lookup.units)
        if actor is not None and unresolved:
            outside = set(Unit.objects.filter(
                gso_code__in={v for c in unresolved for v in code_variants(c)})
                .exclude(pk__in=[u.pk for u in found]).values_list("gso_code", flat=True))
            bare_outside = {(c or "").lstrip("0") or "0" for c in outside}
            lookup.hidden = {c for c in unresolved if (c.lstrip("0") or "0") in bare_outside}
    if not names:
        return lookup

    segments = {text: [s for s in (clean(p) for p in text.split(PATH_SEPARATOR)) if s]
                for text in names}
    wanted = {_fold(text) for text in names} | {_fold(s[-1]) for s in segments.values() if s}
    candidates: dict[str, list[Unit]] = {}
    for unit in manageable.filter(name_folded__in=wanted).order_by("path"):
        candidates.setdefault(unit.name_folded, []).append(unit)
    ancestor_ids = {i for units in candidates.values() for u in units
                    for i in u.ancestor_ids()[:-1]}
    ancestors = {u.pk: u for u in Unit.objects.filter(pk__in=ancestor_ids)
                 .only("pk", "name", "gso_code")}

    def names_match(unit: Unit, text: str) -> bool:
        return name_key(unit.name) == name_key(text) or (
            text.isdigit() and (unit.gso_code or "").lstrip("0") == text.lstrip("0"))

    def above_match(unit: Unit, parts: list[str]) -> bool:
        """The parts name units above ``unit``, top to bottom (not necessarily every one)."""
        chain = [ancestors[i] for i in unit.ancestor_ids()[:-1] if i in ancestors]
        position = 0
        for part in parts:
            while position < len(chain) and not names_match(chain[position], part):
                position += 1
            if position == len(chain):
                return False
            position += 1
        return True

    def label(unit: Unit) -> str:
        parent = ancestors.get(unit.parent_id or 0)
        return f"{parent.name} / {unit.name}" if parent else unit.name

    for text in names:
        # the whole text as one name first: a unit may have "/" in its name
        matches = [u for u in candidates.get(_fold(text), []) if names_match(u, text)]
        parts = segments[text]
        if not matches and len(parts) > 1:
            matches = [u for u in candidates.get(_fold(parts[-1]), [])
                       if names_match(u, parts[-1]) and above_match(u, parts[:-1])]
        if len(matches) > 1:
            open_ones = [u for u in matches if u.is_open]
            if len(open_ones) == 1:
                matches = open_ones
        if len(matches) == 1:
            lookup.units[text] = matches[0]
        elif matches:
            shown = ", ".join(f"“{label(u)}”" for u in matches[:3])
            lookup.errors[text] = _(
                "Several units are called “%(unit)s”: %(units)s. Write the unit above it too, "
                "as in “%(example)s”, or the administrative code.") % {
                "unit": text, "units": shown + (", …" if len(matches) > 3 else ""),
                "example": label(matches[0])}
            lookup.offer(text, lookup.errors[text], matches,
                         {u.pk: label(u) for u in matches}, choices or Choices())
        else:
            close = candidates.get(_fold(parts[-1] if parts else text), [])
            message = unknown_unit(text)
            if close:
                message += " " + _("Did you mean “%(name)s”?") % {"name": label(close[0])}
            lookup.errors[text] = message
    resolve_addresses(manageable, lookup, {t for t in names if t in lookup.errors},
                       choices or Choices())
    return lookup


def resolve_addresses(manageable: Any, lookup: UnitLookup, texts: set[str],
                       choices: Choices) -> None:
    """Units written as addresses, before 2025 ("Xã Mỹ Lộc, Huyện Cần Giuộc, Long An") or
    today ("Xa Duc Hoa, Tay Ninh"): the commune or ward they are in today
    (``org.legacy_addresses``). A commune divided in 2025 is never guessed: its candidates
    are offered in the preview, and the officer's choice holds for every row of the file
    with the same address."""
    answers = {text: resolve_address(text) for text in texts}
    unit_ids = {c.unit_id for a in answers.values() for c in a.candidates if c.unit_id}
    allowed = {u.pk: u for u in manageable.filter(pk__in=unit_ids)}
    for text, answer in answers.items():
        if answer.status == EXACT and answer.unit_id in allowed:
            lookup.units[text] = allowed[answer.unit_id]
            lookup.errors.pop(text, None)
        elif answer.status == AMBIGUOUS:
            present = [c for c in answer.candidates if c.unit_id in allowed]
            if not present:
                lookup.errors[text] = answer.message + " " + _(
                    "Write one of them instead: %(units)s.") % {"units": ", ".join(
                        f"“{c.name}” ({c.code})" for c in answer.candidates)}
                continue
            lookup.offer(text, answer.message, [allowed[c.unit_id] for c in present
                                                if c.unit_id is not None],
                         {c.unit_id: f"{c.name} ({c.code})" for c in present
                          if c.unit_id is not None}, choices)


def hold(lookup: UnitLookup, actor: Any) -> None:
    """For an import that writes, in its transaction: lock the units its rows name (a move, a
    merger or a split of one waits for the import, and the import for one under way) and read
    their paths again, with her scope: a move that committed since they were read is seen by
    the scope and period checks, and the rows carry the place each unit is in now (``org.held``,
    decision 0102). Two imports naming the same units write one after the other."""
    units = list(lookup.units.values())
    paths = dict(Unit.objects.select_for_update().filter(pk__in={u.pk for u in units})
                 .order_by("pk").values_list("pk", "path"))
    for unit in units:
        unit.path = paths.get(unit.pk, unit.path)
    forget(actor)
