"""Proof by attack of the disclosure-control layer (issue 11, decision 0019).

A province full of small counts of people (situations, referrals, support cases, services by
type, in several communes and branches, month by month). As the viewer role (it may read the
reports of the whole province but not open one case) everything is collected through the test
client: the indicator table page and its htmx partial, CSV and XLSX, for the province and each
commune, for the year and each of its months; the dashboards; the case-counts pages; periodic
reports of the communes and the province, on their page and in their PDF. Then the attacker's
arithmetic is done on all of it at once:

- every published value means what the layer documents (``privacy.feasible``): a number is the
  truth within ±2 and at least 5, a ``0`` is a zero, the mark stands for 0-6;
- equations: a total is the sum of its parts, a parent the sum of its children and of its own
  records, a year the sum of its months (for counts of events), a unit without an "own" column
  has no records of its own; the same records published twice are one unknown;
- interval (bounds) propagation over all those equations to a fixpoint.

The test fails if any count of people between 1 and 4 (a published cell, or any part of one the
equations reach, down to one unit, one month and one category) comes out determined exactly, if
any published value is false to its documented meaning, or if the same records are published
with two different values on two surfaces. It reproduces the review's two attacks explicitly: a
total of 5 over five cells of 1, and a count of 6 shown as a small mark beside the exact 6.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import re
from collections import defaultdict
from collections.abc import Iterable
from html.parser import HTMLParser
from itertools import product
from typing import Any

import pytest
from django.urls import reverse

from ctip.cases import actions as cases
from ctip.cases.models import Agency, Referral, Service, Situation, SupportCase
from ctip.org.models import Unit
from ctip.reports import actions as report_actions
from ctip.reports import exports, privacy
from ctip.reports import indicators as ind
from ctip.reports.models import ReportType
from ctip.reports.periods import Period
from ctip.units.actions import create_unit
from tests.cases.case_helpers import consent, register
from tests.conftest import unit_type

YEAR = 2026
MONTHS = range(1, 12)  # January to November (no date in the future)
CATEGORIES = ["suspected_trafficking", "migrant_labour", "returned", "labour_export",
              "domestic_violence"]
SERVICE_TYPES = ["medical", "psychological", "job_placement", "loan_support", "legal_aid"]
SMALL = range(1, 5)
OLD_MARK = "< 5"

# --- The data set -----------------------------------------------------------------------------


def _at(month: int, day: int) -> dt.datetime:
    return dt.datetime(YEAR, month, day, 2, 0, tzinfo=dt.UTC)


def _situation(unit: Unit, category: str, month: int, day: int = 5) -> Situation:
    situation = cases.create_situation(actor=None, unit=unit, category=category,
                                       source="officer", description="Tình huống thử.")
    Situation.objects.filter(pk=situation.pk).update(created_at=_at(month, day))
    situation.refresh_from_db()
    return situation


def seed(tree: Any, rng: random.Random) -> dict[str, Unit]:
    commune_c = create_unit(actor=None, parent=tree.province, name="Xã Bình Minh",
                            unit_type=unit_type("commune"))
    stamps = [tree.commune_a, tree.branch_a1, tree.branch_a2, tree.commune_b, tree.branch_b1,
              commune_c]
    agencies = list(Agency.objects.filter(archived=False).order_by("pk")[:3])
    for unit, month in product(stamps, MONTHS):
        for _ in range(rng.choice([0, 0, 0, 1, 1, 2, 3])):
            situation = _situation(unit, rng.choice(CATEGORIES), month)
            if rng.random() < 0.4:
                cases.refer(actor=None, situation=situation, agency=rng.choice(agencies),
                            referred_on=dt.date(YEAR, month, 20))
    # the review's first attack: a total of 5 over five categories of 1 each (commune C, July)
    for category in CATEGORIES:
        _situation(commune_c, category, 7, 12)
    # the review's second attack: 6 referrals of commune B in the year, one of another commune
    # in the same month beside them
    target = _situation(tree.commune_b, "returned", 3, 1)
    for day in range(2, 8):
        cases.refer(actor=None, situation=target, agency=agencies[0],
                    referred_on=dt.date(YEAR, 3, day))
    lone = _situation(commune_c, "returned", 3, 2)
    cases.refer(actor=None, situation=lone, agency=agencies[0], referred_on=dt.date(YEAR, 3, 9))
    # support cases and their services
    n = 0
    for unit in stamps:
        for _ in range(rng.choice([1, 2, 3])):
            n += 1
            person = register(unit, full_name=f"Người thử {n}", birth_year=1990 + n % 7)
            consent(person)
            opened = dt.date(YEAR, rng.choice(list(MONTHS)), 3)
            case = cases.open_case(actor=None, unit=unit, person=person,
                                   kind=rng.choice(["returned_victim", "being_identified",
                                                    "high_risk"]), opened_on=opened)
            last = 11
            if rng.random() < 0.4 and opened.month < 10:
                last = rng.randrange(opened.month + 1, 12)
            for _ in range(rng.choice([1, 2, 3])):
                month = rng.randrange(opened.month, last + 1)
                kind = rng.choice(SERVICE_TYPES)
                cases.add_service(actor=None, case=case, type=kind, provider="Trạm y tế",
                                  date=dt.date(YEAR, month, 15), status="delivered",
                                  amount=5_000_000 if kind == "loan_support" else None)
            if last < 11:
                cases.close_case(actor=None, case=case, outcome="reintegrated",
                                 reason="Ổn định.", closed_on=dt.date(YEAR, last, 25))
    # record keys from the seed, so that a failure can be replayed
    for model in (Situation, Referral, SupportCase, Service):
        for pk in model.objects.order_by("pk").values_list("pk", flat=True):
            model.objects.filter(pk=pk).update(record_key=rng.randrange(privacy.MODULUS))
    return {"commune_c": commune_c}


# --- What the attacker knows a cell counts ------------------------------------------------------

FLOW = {"situations", "referrals", "cases_opened", "cases_closed", "services", "loans",
        "jobs_found", "situations_escalated_on_time"}


def _parts(code: str) -> list[str]:
    indicator = ind.get(code)
    return [key for key, *_ in ind.breakdown_labels(indicator)]


def canon(code: str, part: str) -> list[tuple[str, str]] | None:
    """The finest (indicator, part) pairs a published cell adds up, or None for a cell that is
    no count of people (or a percentage, worked out from its published parts)."""
    indicator = ind.get(code)
    if not indicator.is_person_count:
        return None
    if code == "loans":
        keys = _parts("loans") if part == "total" else [part]
        return [("services", k) for k in keys]
    if code == "jobs_found":
        return [("services", "job_placement")]
    if code == "situations_escalated_on_time":
        return None if part == "total" else [("escalation", part)]
    if code == "victims_supported_pct":
        if part == "victims":
            return [("cases_active", k) for k in ind.VICTIM_KINDS]
        return None if part == "total" else [("supported", part)]
    keys = _parts(code) if part == "total" else [part]
    return [(code, k) for k in keys]


Atom = tuple[int, str, str, str]  # (unit the records are stamped on, period, indicator, part)


class Model:
    """Units and periods as the attacker sees them."""

    def __init__(self, tree: Any, extra: dict[str, Unit]) -> None:
        self.stamps = [tree.province, tree.commune_a, tree.branch_a1, tree.branch_a2,
                       tree.commune_b, tree.branch_b1, extra["commune_c"]]
        self.year = Period.year(YEAR)
        self.months = [Period.month(YEAR, m) for m in MONTHS]

    def below(self, unit: Unit) -> list[int]:
        return [s.pk for s in self.stamps if s.path.startswith(unit.path)]

    def cell(self, stamps: Iterable[int], period: Period, pairs: list[tuple[str, str]]
             ) -> frozenset[Atom]:
        out = set()
        for code, part in pairs:
            if code in FLOW or code == "escalation":
                tokens = [f"{m.start:%Y-%m}" for m in self.months
                          if period.start <= m.start <= period.end]
            else:
                tokens = [f"{period.start}..{period.end}"]
            out |= {(s, t, code, part) for s in stamps for t in tokens}
        return frozenset(out)


# --- Reading the surfaces -----------------------------------------------------------------------


class _Cells(HTMLParser):
    """The rows of the first table whose opening tag matches ``marker``: lists of cell texts."""

    def __init__(self, marker: str) -> None:
        super().__init__()
        self.marker, self.depth, self.rows = marker, 0, []
        self.cell: list[str] | None = None
        self.rows: list[list[str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        text = " ".join(f'{k}="{v}"' for k, v in attrs)
        if tag == "table" and not self.depth and self.marker in text:
            self.depth = 1
        elif self.depth and tag == "tr":
            self.rows.append([])
        elif self.depth and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self.depth:
            self.depth = -1
        elif self.depth == 1 and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None and self.depth == 1:
            self.cell.append(data)


def table_rows(html: str, marker: str) -> list[list[str]]:
    parser = _Cells(marker)
    parser.feed(html)
    return parser.rows


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _number(text: str) -> Any:
    text = text.strip()
    if text in (privacy.MARK, OLD_MARK):
        return text
    return int(text.replace(".", "").replace(",", ""))


class Attack:
    def __init__(self, model: Model) -> None:
        self.model = model
        self.published: dict[frozenset[Atom], set[str]] = defaultdict(set)
        self.truth_of: dict[frozenset[Atom], int] = {}
        self.where: dict[frozenset[Atom], str] = {}
        self.equations: list[tuple[frozenset[Atom], list[frozenset[Atom]]]] = []

    def publish(self, cell: frozenset[Atom], shown: Any, truth: int, where: str) -> None:
        if not cell:
            return
        self.published[cell].add(_text(shown))
        if cell in self.truth_of:
            assert self.truth_of[cell] == truth, (where, truth, self.truth_of[cell])
        self.truth_of[cell] = truth
        self.where.setdefault(cell, where)

    # -- the indicator table of a unit and a period, as CSV (and XLSX, HTML: the same cells)
    def table(self, unit: Unit, period: Period, lines: list[list[str]]) -> None:
        exact = exports.build_table(unit, period, hide=False)
        heads = lines[0][3:]
        assert len(heads) == len(exact.columns)
        stamps = []
        for col in exact.columns:
            if col.total:
                stamps.append(self.model.below(unit))
            elif col.own:
                stamps.append([unit.pk])
            else:
                stamps.append(self.model.below(col.unit))
        # a table without an "own" column says the unit has no records of its own: the total
        # is the sum of the columns shown (the equation added below)
        body = [line for line in lines[1:] if line and line[0] in ind.BY_CODE]
        assert len(body) == len(exact.rows)
        for line, row in zip(body, exact.rows, strict=True):
            assert line[0] == row.indicator.code
            pairs = canon(row.indicator.code, row.key)
            shown_cells = line[3:]
            if pairs is None:
                continue
            cells = [self.model.cell(s, period, pairs) for s in stamps]
            for j, (cell, shown, truth) in enumerate(zip(cells, shown_cells, row.cells,
                                                          strict=True)):
                self.publish(cell, shown, int(truth or 0),
                             f"{unit.name} {period.start}..{period.end} {row.indicator.code}"
                             f".{row.key} [{heads[j]}]")
            # the total column is its columns added up
            self.equations.append((cells[-1], cells[:-1]))

    def case_counts(self, unit: Unit, rows: list[list[str]]) -> None:
        children = list(Unit.objects.filter(parent=unit).order_by("closed_on", "name"))
        kinds = list(SupportCase.Kind)
        body = rows[2:]
        for n, line in enumerate(body):
            name = line[0]
            if n == len(body) - 1:  # the footer
                stamps, label = self.model.below(unit), "total"
            else:
                child = next((c for c in children if name.startswith(c.name)), None)
                stamps, label = ([unit.pk], "own") if child is None else (
                    self.model.below(child), child.name)
            for i, kind in enumerate(kinds):
                for j, state in enumerate(("open", "closed")):
                    cell = frozenset((s, "now", f"case_{state}", kind.value) for s in stamps)
                    truth = SupportCase.objects.filter(
                        unit__in=stamps, kind=kind.value,
                        closed_on__isnull=(state == "open")).count()
                    self.publish(cell, line[1 + 2 * i + j], truth,
                                 f"case counts {unit.name} {label} {kind.value} {state}")

    # -- the attacker's equations ------------------------------------------------------------
    def build(self) -> None:
        """Every published cell split along each of its dimensions, one at a time: by the unit
        the records are stamped on, by month (events only), by indicator part. Together with
        the columns of every table (total = its columns), that reaches every unit, month and
        part the tables publish, down to one branch, one month and one category."""
        for cell in list(self.published):
            for axis in (0, 1, 2):
                groups: dict[Any, set[Atom]] = defaultdict(set)
                for atom in cell:
                    groups[atom[axis] if axis < 2 else (atom[2], atom[3])].add(atom)
                if len(groups) > 1:
                    self.equations.append((cell, [frozenset(g) for g in groups.values()]))

    def solve(self, feasible: Any = privacy.feasible) -> dict[frozenset[Atom], tuple[int, int]]:
        big = 10**6
        bounds: dict[frozenset[Atom], list[int]] = {}

        def var(cell: frozenset[Atom]) -> list[int]:
            if cell not in bounds:
                bounds[cell] = [0, big]
            return bounds[cell]

        for cell, shown in self.published.items():
            b = var(cell)
            for text in shown:
                low, high = feasible(_number(text) if text else 0)
                b[0], b[1] = max(b[0], low), min(b[1], big if high is None else high)
        for eq_total, terms in self.equations:
            var(eq_total)
            for t in terms:
                var(t)
        by_var: dict[frozenset[Atom], list[int]] = defaultdict(list)
        for i, (total, terms) in enumerate(self.equations):
            by_var[total].append(i)
            for t in terms:
                by_var[t].append(i)
        queue = list(range(len(self.equations)))
        queued = set(queue)
        while queue:
            i = queue.pop()
            queued.discard(i)
            total, terms = self.equations[i]
            changed: list[frozenset[Atom]] = []
            lo_sum = sum(bounds[t][0] for t in terms)
            hi_sum = sum(min(bounds[t][1], big) for t in terms)
            tb = bounds[total]
            if lo_sum > tb[0]:
                tb[0] = lo_sum
                changed.append(total)
            if hi_sum < tb[1]:
                tb[1] = hi_sum
                changed.append(total)
            for t in terms:
                b = bounds[t]
                new_hi = tb[1] - (lo_sum - b[0])
                new_lo = tb[0] - (hi_sum - min(b[1], big))
                if new_hi < b[1]:
                    b[1] = new_hi
                    changed.append(t)
                if new_lo > b[0]:
                    b[0] = new_lo
                    changed.append(t)
                assert b[0] <= b[1], ("the equations contradict each other", t)
            for v in changed:
                for j in by_var[v]:
                    if j not in queued:
                        queued.add(j)
                        queue.append(j)
        return {cell: (b[0], b[1]) for cell, b in bounds.items()}

    def truth(self, cell: frozenset[Atom], atom_truth: dict[Atom, int]) -> int:
        return sum(atom_truth.get(a, 0) for a in cell)


def atom_truths(model: Model) -> dict[Atom, int]:
    """The true count of every atom, from the exact tables (one column per unit stamped)."""
    out: dict[Atom, int] = {}
    periods = [model.year, *model.months]
    for stamp, period in product(model.stamps, periods):
        values = ind.compute_with_children(stamp, period)[1]
        own = next((v for u, v in values if u.pk == stamp.pk), None)
        if own is None:
            continue
        for indicator in ind.CATALOGUE:
            value = own[indicator.code]
            keys = ["total", *_parts(indicator.code)] if isinstance(value, dict) else ["total"]
            for key in keys:
                pairs = canon(indicator.code, key)
                if not pairs or len(pairs) != 1:
                    continue
                for atom in model.cell([stamp.pk], period, pairs):
                    if len(model.cell([stamp.pk], period, pairs)) == 1:
                        n = value.get(key, 0) if isinstance(value, dict) else value
                        out[atom] = int(n or 0)
    for kind, state in product(SupportCase.Kind.values, ("open", "closed")):
        for stamp in model.stamps:
            out[(stamp.pk, "now", f"case_{state}", kind)] = SupportCase.objects.filter(
                unit=stamp, kind=kind, closed_on__isnull=(state == "open")).count()
    return out


# --- The test --------------------------------------------------------------------------------

def _params(period: Period) -> dict[str, Any]:
    if period.start.month == 1 and period.end.month == 12:
        return {"period": "year", "year": YEAR}
    return {"period": "month", "year": YEAR, "month": period.start.month}


def _csv(response: Any) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _xlsx(response: Any) -> list[list[str]]:
    from openpyxl import load_workbook

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    return [[_text(c) for c in row] for row in sheet.iter_rows(min_row=2, values_only=True)]


@pytest.mark.parametrize("seed_value", [11, 2026])
def test_a_viewer_cannot_work_out_a_small_count_from_everything_they_can_get(
        tree: Any, users: Any, client_for: Any, settings: Any, seed_value: int) -> None:
    from django.utils import translation

    settings.LANGUAGE_CODE = "vi"
    rng = random.Random(seed_value)
    extra = seed(tree, rng)
    model = Model(tree, extra)
    viewer = users["viewer"]
    assert not privacy.exact_on_screen(viewer, tree.province)
    client = client_for(viewer)
    attack = Attack(model)
    pages = [tree.province, tree.commune_a, tree.commune_b, extra["commune_c"]]
    periods = [model.year, *model.months]
    with translation.override("vi"):
        # reports of the communes and of the province, submitted and read back by the viewer
        annual = ReportType.objects.get(kind="annual")
        monthly = ReportType.objects.get(kind="monthly")
        reports = []
        for unit in pages:
            for report_type, period in [(annual, model.year), (monthly, model.months[6]),
                                        (monthly, model.months[2])]:
                draft = report_actions.create_or_get_draft(
                    actor=None, unit=unit, report_type=report_type, start=period.start,
                    end=period.end)
                reports.append((unit, period, report_actions.submit(actor=None, report=draft)))
        for unit, period in product(pages, periods):
            query = _params(period)
            lines = _csv(client.get(reverse("reports:unit_export_csv", args=[unit.pk]), query))
            assert lines[-1][0] == "Ghi chú"  # the legend travels with the file
            attack.table(unit, period, lines)
            # the same cells in the XLSX and on the page (and its htmx partial)
            sheet = _xlsx(client.get(reverse("reports:unit_export_xlsx", args=[unit.pk]), query))
            assert [[_same(c) for c in r[:len(lines[0])]] for r in sheet[:len(lines) - 1]] == \
                [[_same(c) for c in line] for line in lines[:-1]]
            for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
                page = client.get(reverse("reports:unit_indicators", args=[unit.pk]), query,
                                  **headers)
                assert page.status_code == 200
                html = page.content.decode()
                assert "protection-legend" in html
                _same_as_csv(table_rows(html, 'class="matrix'), lines)
            dash = client.get(reverse("reports:unit_dashboard", args=[unit.pk]), query)
            assert dash.status_code == 200
            _dashboard_matches(table_rows(dash.content.decode(), 'id="children-table"'), lines)
        for unit in pages:
            page = client.get(reverse("cases:unit_case_counts", args=[unit.pk]))
            assert page.status_code == 200
            assert "protection-legend" in page.content.decode()
            attack.case_counts(unit, table_rows(page.content.decode(), ""))
        for unit, period, report in reports:
            page = client.get(reverse("reports:report_detail", args=[report.pk]))
            assert page.status_code == 200
            shown = table_rows(page.content.decode(), 'id="report-indicators"')
            _report_matches(attack, model, unit, period, shown)
            from ctip.reports import pdf

            pdf_html = pdf.render_html(report)
            values = re.findall(r'<td class="value">(.*?)</td>', pdf_html, re.S)
            page_values = [r[-1] for r in shown[1:]]
            assert [_strip(v) for v in values] == page_values

    atoms = atom_truths(model)
    # 1. every published value is true to its documented meaning, and one set of records is
    #    published with one value on every surface
    for cell, texts in attack.published.items():
        assert len(texts) == 1, (attack.where[cell], texts)
        truth = attack.truth(cell, atoms)
        assert truth == attack.truth_of[cell], (attack.where[cell], truth,
                                                 attack.truth_of[cell])
        low, high = privacy.feasible(_number(next(iter(texts))))
        assert low <= truth and (high is None or truth <= high), (attack.where[cell], texts,
                                                                   truth)
        if truth in SMALL:
            assert next(iter(texts)) == privacy.MARK, (attack.where[cell], truth)
    # the data set is full of small counts: every one of 1 to 4 is published somewhere (as
    # the mark), so "a count of 4 is never shown exactly" is tested, not assumed
    assert {attack.truth_of[c] for c in attack.published} >= set(SMALL)
    # 2. the attacker's arithmetic over everything collected pins no small count
    attack.build()
    bounds = attack.solve()
    pinned = [(attack.where.get(cell, sorted(cell)[:3]), low)
              for cell, (low, high) in bounds.items()
              if low == high and attack.truth(cell, atoms) in SMALL]
    assert not pinned, pinned[:10]
    # and the arithmetic is real: it does pin the zeros it is told about, and bounds others
    assert any(low == high == 0 for low, high in bounds.values())

    # the review's attacks, one by one
    c = extra["commune_c"]
    july = Period.month(YEAR, 7)
    five = [model.cell([c.pk], july, [("situations", k)]) for k in CATEGORIES]
    for cell in five:
        truth = attack.truth(cell, atoms)
        assert truth >= 1 and bounds[cell][0] < bounds[cell][1], (truth, bounds[cell])
    six = model.cell(model.below(tree.commune_b), model.year,
                     [("referrals", k) for k in _parts("referrals")])
    shown_six = attack.published[six]
    assert len(shown_six) == 1  # the province table and the commune's page agree
    assert attack.truth(six, atoms) >= 6
    other = model.cell([c.pk], Period.month(YEAR, 3), [("referrals", k)
                                                       for k in _parts("referrals")])
    assert bounds[other][0] < bounds[other][1]


def _same(text: str) -> str:
    """A cell's text with numbers written one way (the XLSX reads 100.0 back as 100)."""
    try:
        return repr(float(text))
    except ValueError:
        return text


def _strip(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _same_as_csv(html_rows: list[list[str]], lines: list[list[str]]) -> None:
    body = [line for line in lines[1:] if line and line[0] in ind.BY_CODE]
    assert len(html_rows) - 1 == len(body)
    for shown, line in zip(html_rows[1:], body, strict=True):
        indicator = ind.get(line[0])
        if indicator.measure != "count" or not indicator.is_person_count:
            continue
        assert [_number(t) for t in shown[1:]] == [_number(t) for t in line[3:]], \
            (line, shown)


def _dashboard_matches(rows: list[list[str]], lines: list[list[str]]) -> None:
    services = next(line for line in lines if line[0] == "services" and not line[2])
    heads = lines[0][3:]
    for row in rows[1:]:
        if len(row) < 6:
            continue
        name = row[0]
        j = next((i for i, h in enumerate(heads) if h == name
                  or (h.endswith("(trực tiếp)") and name.startswith(h[:-len(" (trực tiếp)")]))),
                 None)
        assert j is not None, (name, heads)
        assert _number(row[5]) == _number(services[3 + j]), (name, row, services)


def _report_matches(attack: Attack, model: Model, unit: Unit, period: Period,
                    rows: list[list[str]]) -> None:
    """A periodic report shows, for its unit and period, the same values as the tables."""
    stamps = model.below(unit)
    names = {str(i.name): i for i in ind.CATALOGUE}
    current = None
    for row in rows[1:]:
        number, label, value = row[0], row[1], row[-1]
        if number:
            current = names[label]
            key = "total"
        else:
            assert current is not None
            labels = {str(lbl): k for k, lbl, _vi in ind.breakdown_labels(current)}
            key = labels[label.lstrip("— ").strip()]
        pairs = canon(current.code, key)
        if not pairs:
            continue
        cell = model.cell(stamps, period, pairs)
        assert attack.published.get(cell) == {value}, (unit.name, period, current.code, key,
                                                        value, attack.published.get(cell))


# --- The attack catches what the review found ------------------------------------------------

def _old_feasible(shown: Any) -> tuple[int, int | None]:
    """What the old per-table suppression meant: "< 5" is 1-4, every number exact."""
    if shown == OLD_MARK:
        return 1, 4
    return int(shown), int(shown)


def _old_rule(n: int) -> str:
    return OLD_MARK if 0 < n < 5 else str(n)


def _scenario(rule: Any, keys: tuple[int, int, int]) -> tuple[Attack, dict[Atom, int]]:
    """The review's two findings as tables a viewer downloads.

    1. One unit, one month: five categories of one situation each, and their total (5).
    2. A province of two communes, B with 6 referrals and C with 1: the province table (B, C,
       total) and commune B's own page. (The old suppression also marked B's 6 as small in
       the province table, a false mark: see the test.)
    """
    attack = Attack(None)  # type: ignore[arg-type]
    truth: dict[Atom, int] = {}
    parts = [frozenset([(1, "2026-07", "situations", c)]) for c in CATEGORIES]
    for cell in parts:
        truth[next(iter(cell))] = 1
        attack.publish(cell, rule(1, 0, "part"), 1, "part")
    total = frozenset().union(*parts)
    attack.publish(total, rule(5, keys[0], "total"), 5, "total of five")
    attack.equations.append((total, parts))
    b = frozenset([(2, "2026", "referrals", "all")])
    c = frozenset([(3, "2026", "referrals", "all")])
    truth[next(iter(b))], truth[next(iter(c))] = 6, 1
    attack.publish(b, rule(6, keys[1], "b"), 6, "commune B")
    attack.publish(c, rule(1, 0, "c"), 1, "commune C")
    province = b | c
    attack.publish(province, rule(7, keys[2], "province"), 7, "province")
    attack.equations.append((province, [b, c]))
    return attack, truth


def _old_rule_keyed(n: int, key: int, coords: str) -> str:
    return _old_rule(n)


def _new_rule(n: int, key: int, coords: str) -> str:
    return _text(privacy.protect(n, key, coords))


def test_the_attack_breaks_the_old_suppression() -> None:
    attack, truth = _scenario(_old_rule_keyed, (0, 0, 0))
    # the old province table's complementary mark on B's 6 was false to its meaning
    low, high = _old_feasible(OLD_MARK)
    assert not low <= 6 <= (high or 0)
    bounds = attack.solve(_old_feasible_many)
    pinned = [cell for cell, (low, high) in bounds.items()
              if low == high and attack.truth(cell, truth) in SMALL]
    # every one of the five 1s, and commune C's 1 (province total minus B's 6)
    assert len(pinned) == 6


def _old_feasible_many(shown: Any) -> tuple[int, int | None]:
    return _old_feasible(shown)


@pytest.mark.parametrize("key", range(0, privacy.MODULUS, 7))
def test_the_same_attack_fails_on_the_layer(key: int) -> None:
    attack, truth = _scenario(_new_rule, (key, (key * 31) % privacy.MODULUS,
                                          (key * 97) % privacy.MODULUS))
    assert all(len(texts) == 1 for texts in attack.published.values())
    for cell, texts in attack.published.items():
        low, high = privacy.feasible(_number(next(iter(texts))))
        n = attack.truth(cell, truth)
        assert low <= n and (high is None or n <= high)
    bounds = attack.solve()
    pinned = [cell for cell, (low, high) in bounds.items()
              if low == high and attack.truth(cell, truth) in SMALL]
    assert not pinned
