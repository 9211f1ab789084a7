"""Synthetic data at the size of a province or of the nation, for benchmarks (``ctip synth``).

Units are the real ones (``ctip.units.provinces.import_province``: Tây Ninh's 96 communes, or all
34 provinces and their 3,321 communes) plus branches under the communes. Fact rows — activities
(formats, participants by sex, online reach, speakers, topics), speakers, clubs and models,
situations with their timeline, referrals, persons, support cases, services and commendations —
are generated with a seeded ``random.Random`` (the same seed and day give the same rows) and
inserted in bulk with raw SQL: ``executemany`` on SQLite, ``COPY`` on PostgreSQL. The activity
table's secondary indexes are dropped for the load and rebuilt from their own definitions.

Identity fields are encrypted as the models require: a small pool of values is encrypted once
(``ctip.cases.crypto``) and reused, so every stored token is a real Fernet token.

This bypasses the actions (and so the audit log) on purpose: it builds a benchmark database,
never a production one; ``ctip synth`` refuses a database that already holds units or records.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from ctip.cases import crypto, deadlines
from ctip.cases.models import (
    Agency,
    Person,
    Referral,
    Service,
    Situation,
    SituationEvent,
    SupportCase,
)
from ctip.catalogues.models import Topic
from ctip.community.models import Club, ClubMemberCount, ClubStatusChange, ClubType
from ctip.core.text import fold
from ctip.org.models import Unit, UnitType
from ctip.outreach.actions import create_topic
from ctip.outreach.models import Activity, Commendation, Format, Speaker
from ctip.reports import rollups
from ctip.units.provinces import import_province

SCALES: dict[str, dict[str, int]] = {
    # per province for "nation" except activities (the nation's total)
    "tiny": {"branches": 20, "activities": 3_000, "situations": 150, "cases": 80,
             "commendations": 40},
    "province": {"branches": 1_000, "activities": 1_000_000, "situations": 50_000,
                 "cases": 20_000, "commendations": 3_000},
    "nation": {"branches": 34_600, "activities": 10_000_000, "situations": 500_000,
               "cases": 200_000, "commendations": 30_000},
}
PROVINCE_CODE = 80  # Tây Ninh
TITLES = [
    "Sinh hoạt chuyên đề phòng, chống mua bán người",
    "Tuyên truyền Luật Phòng, chống mua bán người năm 2024",
    "Nói chuyện về thủ đoạn lừa đảo việc nhẹ lương cao",
    "Phát thanh cảnh giác với lời mời đi làm ở nước ngoài",
    "Tư vấn kết hôn có yếu tố nước ngoài an toàn",
    "Giới thiệu đường dây nóng 111",
    "Thăm hộ gia đình có người đi làm ăn xa",
    "Ngày pháp luật: di cư an toàn",
    "Hội thi tìm hiểu phòng, chống mua bán người",
    "Bài đăng cảnh báo tuyển dụng trên mạng xã hội",
]
TOPICS = ["Luật Phòng, chống mua bán người năm 2024", "Thủ đoạn lừa đảo việc nhẹ lương cao",
          "Đường dây nóng 111", "Di cư an toàn", "Kết hôn có yếu tố nước ngoài"]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ"]
GIVEN = ["Thị Lan", "Thị Hoa", "Thị Mai", "Thị Thu", "Ngọc Hân", "Thị Hồng", "Kim Anh",
         "Thị Nga", "Văn Nam", "Thị Tuyết"]
SITUATIONS = ["Lời mời đi làm việc nhẹ lương cao ở nước ngoài.",
              "Người trong ấp đi làm ăn xa, gia đình mất liên lạc.",
              "Môi giới kết hôn với người nước ngoài.",
              "Người từ nước ngoài trở về cần hỗ trợ."]
PROVIDERS = ["Hội LHPN xã", "Trạm y tế xã", "Trung tâm dịch vụ việc làm", "NHCSXH",
             "Trung tâm trợ giúp pháp lý", "Công an xã"]
SERVICE_WEIGHTS = {
    "essential_needs": 8, "medical": 8, "psychological": 8, "legal_aid": 5, "interpretation": 1,
    "travel": 3, "schooling": 2, "vocational": 5, "job_placement": 7, "hardship_allowance": 6,
    "loan_support": 6, "entrusted_loan": 5, "savings_group": 4, "livelihood": 5,
    "counselling": 12}
CASE_KINDS = {"returned_victim": 25, "being_identified": 10, "high_risk": 50,
              "reintegration": 15}
CATEGORY_WEIGHTS = {"migrant_labour": 20, "labour_export": 10, "foreign_marriage": 10,
                    "domestic_violence": 15, "sexual_abuse": 5, "suspected_trafficking": 8,
                    "returned": 10, "missing": 5, "recruitment": 12, "other": 5}


@dataclass
class Built:
    """What was built, and how long each step took (seconds)."""

    scale: str
    provinces: list[int] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


def sizes(scale: str, activities: int | None = None) -> dict[str, int]:
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}")
    out = dict(SCALES[scale])
    if activities is not None:
        out["activities"] = activities
    return out


def is_empty() -> bool:
    """No units and no records yet (the migrations' catalogues do not count)."""
    return not any(m.objects.exists() for m in (Unit, Activity, Club, Situation, Person,
                                                SupportCase))


# --- Raw bulk insertion ------------------------------------------------------------------------

_REQUIRED = object()


class Table:
    """Tuples for raw inserts into a model's table: every concrete column, defaults filled in."""

    def __init__(self, model: Any, *, with_pk: bool = True) -> None:
        self.model = model
        self.table = model._meta.db_table
        fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
        self.columns = [f.column for f in fields]
        self.defaults: dict[str, Any] = {}
        for f in fields:
            if f.has_default():
                value = f.get_default()
                self.defaults[f.column] = "[]" if value == [] else value
            elif f.null or f.primary_key:
                self.defaults[f.column] = None
            elif f.blank and f.empty_strings_allowed:
                self.defaults[f.column] = ""
            else:
                self.defaults[f.column] = _REQUIRED
        kinds = {f.column: f.get_internal_type() for f in fields}
        # a record key (``reports.privacy``) is drawn for each row, not once for the table
        self.drawn = [(i, f.default) for i, f in enumerate(fields)
                      if f.column == "record_key" and callable(f.default)]
        self.sqlite = connection.vendor == "sqlite"
        self.datetime_cols = [i for i, c in enumerate(self.columns)
                              if kinds[c] == "DateTimeField"]
        self.date_cols = [i for i, c in enumerate(self.columns) if kinds[c] == "DateField"]

    def row(self, values: dict[str, Any]) -> tuple[Any, ...]:
        out = [values.get(c, self.defaults[c]) for c in self.columns]
        for i, draw in self.drawn:
            if self.columns[i] not in values:
                out[i] = draw()
        if self.sqlite:
            for i in self.datetime_cols:
                v = out[i]
                if v is not None:
                    out[i] = v.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")
            for i in self.date_cols:
                if out[i] is not None:
                    out[i] = out[i].isoformat()
        return tuple(out)


def next_id(model: Any) -> int:
    return (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1


def insert(table: Table, rows: Iterable[dict[str, Any]], *, say: Callable[[str], None],
           label: str, total: int | None = None) -> int:
    """Insert ``rows`` (dicts by column name) with COPY or executemany; returns the count."""
    done = 0
    step = 1_000_000 if (total or 0) >= 5_000_000 else 200_000

    def tick() -> None:
        if done % step == 0:
            say(f"  {label}: {done:,}" + (f" / {total:,}" if total else ""))

    if connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            quoted = ", ".join(connection.ops.quote_name(c) for c in table.columns)
            sql = f"COPY {table.table} ({quoted}) FROM STDIN"
            with cursor.cursor.copy(sql) as copy:
                for values in rows:
                    row = table.row(values)
                    if _REQUIRED in row:
                        raise ValueError(f"{label}: a required column is missing: {values}")
                    copy.write_row(row)
                    done += 1
                    tick()
        return done
    # table and column names from the model's metadata, values as parameters
    # (quoted: a column may be a keyword, such as ``on`` of the club histories)
    columns = ", ".join(connection.ops.quote_name(c) for c in table.columns)
    sql = (f"INSERT INTO {table.table} ({columns}) "  # noqa: S608
           f"VALUES ({', '.join('?' for _ in table.columns)})")
    connection.ensure_connection()
    raw = connection.connection
    batch: list[tuple[Any, ...]] = []
    with transaction.atomic():
        for values in rows:
            row = table.row(values)
            if _REQUIRED in row:
                raise ValueError(f"{label}: a required column is missing: {values}")
            batch.append(row)
            done += 1
            tick()
            if len(batch) == 50_000:
                raw.executemany(sql, batch)
                batch.clear()
        if batch:
            raw.executemany(sql, batch)
    return done


def secondary_indexes(table: str) -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
                           "AND indexname <> %s", [table, f"{table}_pkey"])
        else:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                           "AND tbl_name = %s AND sql IS NOT NULL", [table])
        return list(cursor.fetchall())


def without_indexes(table: str, load: Callable[[], int], say: Callable[[str], None]) -> int:
    """Drop ``table``'s secondary indexes, ``load()``, rebuild them from their definitions."""
    if connection.in_atomic_block:
        # Inside a caller's transaction (the tests): PostgreSQL refuses to create an index on a
        # table with deferred foreign-key checks pending, so load with the indexes in place.
        return load()
    indexes = secondary_indexes(table)
    with transaction.atomic(), connection.cursor() as cursor:
        for name, _sql in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    done = load()
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for _name, sql in indexes:
            cursor.execute(sql)
    say(f"  rebuilt {len(indexes)} indexes of {table} in {time.perf_counter() - start:.1f}s")
    return done


def reset_sequences(*models: Any) -> None:
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), list(models)):
            cursor.execute(statement)


# --- The builder -------------------------------------------------------------------------------


def _weighted(rng: random.Random, weights: dict[str, int]) -> Callable[[], str]:
    keys = list(weights)
    cum: list[int] = []
    total = 0
    for k in keys:
        total += weights[k]
        cum.append(total)

    def pick() -> str:
        return keys[bisect.bisect_right(cum, rng.randrange(total))]

    return pick


class Builder:
    def __init__(self, scale: str, *, seed: int, years: int, activities: int | None,
                 say: Callable[[str], None]) -> None:
        self.scale = scale
        self.size = sizes(scale, activities)
        self.rng = random.Random(seed)  # noqa: S311 (synthetic data, reproducible by seed)
        self.say = say
        self.today = timezone.localdate()
        self.now = timezone.now()
        self.first = self.today - dt.timedelta(days=365 * years)
        self.span = (self.today - self.first).days
        self.built = Built(scale)

    def day(self) -> dt.date:
        return self.first + dt.timedelta(days=self.rng.randrange(self.span + 1))

    def moment(self, day: dt.date) -> dt.datetime:
        naive = dt.datetime.combine(day, dt.time(7)) + dt.timedelta(
            seconds=self.rng.randrange(12 * 3600))
        return timezone.make_aware(naive)

    def step(self, name: str, fn: Callable[[], int]) -> None:
        start = time.perf_counter()
        count = fn()
        took = time.perf_counter() - start
        self.built.timings[name] = took
        self.built.counts[name] = count
        self.say(f"{name}: {count:,} in {took:.1f}s")

    # units

    def build(self) -> Built:
        # The roll-up triggers would add to the monthly sums row by row; they are computed
        # once from the loaded rows instead (``rollups.paused`` rebuilds on the way out).
        with rollups.paused():
            self.step("units", self.units)
            self.step("branches", self.branches)
            self.step("speakers", self.speakers)
            self.step("topics", self.topics)
            self.step("activities", self.activities)
            self.step("clubs", self.clubs)
            self.step("situations", self.situations)
            self.step("cases", self.cases)
            self.step("commendations", self.commendations)
            # Statistics of the loaded tables before the roll-ups are computed from them: the
            # planner would otherwise plan the rebuild for the empty tables of the migration.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            start = time.perf_counter()
        self.built.timings["rollups"] = time.perf_counter() - start
        self.say(f"roll-ups rebuilt in {self.built.timings['rollups']:.1f}s")
        start = time.perf_counter()

        with connection.cursor() as cursor:
            # What autovacuum (which also marks the pages all-visible, for index-only scans)
            # or `PRAGMA optimize` would do after such a load.
            vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
            cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")
        self.built.timings["analyze"] = time.perf_counter() - start
        return self.built

    def units(self) -> int:
        # vietnam_provinces (0.2 s to import) only when the provinces are listed
        from vietnam_provinces import Province

        codes = ([PROVINCE_CODE] if self.scale != "nation"
                 else sorted(p.code.value for p in Province.iter_all()))
        for code in codes:
            province = import_province(actor=None, code=code).province
            self.built.provinces.append(province.pk)
        communes = list(Unit.objects.filter(parent_id__in=self.built.provinces)
                        .order_by("pk").values_list("pk", flat=True))
        # Border, remote and ethnic minority flags on some communes (the area indicator).
        for flag, share in (("is_border", 0.2), ("is_remote", 0.1),
                            ("is_ethnic_minority", 0.15)):
            flagged = [pk for pk in communes if self.rng.random() < share]
            Unit.objects.filter(pk__in=flagged).update(**{flag: True})
        self.communes = list(Unit.objects.filter(parent_id__in=self.built.provinces)
                             .order_by("pk"))
        self.provinces = list(Unit.objects.filter(pk__in=self.built.provinces).order_by("pk"))
        return len(self.provinces) + len(self.communes)

    def branches(self) -> int:
        branch_type = UnitType.objects.get(code="branch").pk
        table = Table(Unit)
        first = next_id(Unit)
        count = self.size["branches"]
        communes = self.communes
        self.branch_units: list[tuple[int, str, int]] = []  # (pk, path, commune index)

        def rows() -> Iterator[dict[str, Any]]:
            for i in range(count):
                ci = i % len(communes)
                commune = communes[ci]
                number = i // len(communes) + 1
                pk = first + i
                name = f"Chi hội ấp {number}"
                path = f"{commune.path}{pk}/"
                self.branch_units.append((pk, path, ci))
                yield {"id": pk, "name": name, "name_folded": fold(name),
                       "unit_type_id": branch_type, "parent_id": commune.pk, "path": path,
                       "depth": commune.depth + 1, "village": f"Ấp {number}",
                       "gso_code": None, "is_border": commune.is_border,
                       "is_remote": commune.is_remote}

        done = insert(table, rows(), say=self.say, label="branches")
        reset_sequences(Unit)
        return done

    def pick_unit(self) -> tuple[int, str, int]:
        """(pk, path, commune index): mostly branches, a third communes, a few provinces."""
        r = self.rng.random()
        if r < 0.62 and self.branch_units:
            return self.branch_units[self.rng.randrange(len(self.branch_units))]
        if r < 0.97:
            ci = self.rng.randrange(len(self.communes))
            c = self.communes[ci]
            return c.pk, c.path, ci
        p = self.provinces[self.rng.randrange(len(self.provinces))]
        return p.pk, p.path, -1

    def speakers(self) -> int:
        table = Table(Speaker)
        first = next_id(Speaker)
        self.speakers_by_commune: dict[int, list[int]] = {}
        units = ([(c.pk, c.path, ci) for ci, c in enumerate(self.communes) for _ in range(4)]
                 + [b for b in self.branch_units if self.rng.random() < 0.3])

        def rows() -> Iterator[dict[str, Any]]:
            for i, (pk, path, ci) in enumerate(units):
                name = f"{self.rng.choice(FAMILY)} {self.rng.choice(GIVEN)}"
                self.speakers_by_commune.setdefault(ci, []).append(first + i)
                yield {"id": first + i, "unit_id": pk, "unit_path": path,
                       "created_at": self.now, "updated_at": self.now, "full_name": name,
                       "name_folded": fold(name),
                       "kind": "reporter" if i % 4 == 0 else "communicator"}

        done = insert(table, rows(), say=self.say, label="speakers")
        reset_sequences(Speaker)
        return done

    def topics(self) -> int:
        existing = {t.name for t in Topic.objects.all()}
        for name in TOPICS:
            if name not in existing:
                create_topic(actor=None, name=name)
        self.topic_ids = list(Topic.objects.order_by("pk").values_list("pk", flat=True))
        return len(self.topic_ids)

    def activities(self) -> int:
        table = Table(Activity)
        speakers_table = Table(Activity.speakers.through, with_pk=False)
        topics_table = Table(Activity.topics.through, with_pk=False)
        formats = list(Format.objects.filter(archived=False).order_by("pk"))
        folded = [fold(t) for t in TITLES]
        first = next_id(Activity)
        count = self.size["activities"]
        links: list[tuple[int, int]] = []
        topic_links: list[tuple[int, int]] = []
        rng = self.rng

        def rows() -> Iterator[dict[str, Any]]:
            for i in range(count):
                pk = first + i
                unit_pk, path, ci = self.pick_unit()
                date = self.day()
                fmt = formats[rng.randrange(len(formats))]
                t = rng.randrange(len(TITLES))
                women = men = None
                total = views = shares = 0
                if fmt.is_online:
                    views, shares = rng.randrange(50, 5_000), rng.randrange(0, 300)
                elif fmt.is_meeting:
                    if rng.random() < 0.9:
                        women, men = rng.randrange(5, 80), rng.randrange(0, 25)
                        total = women + men
                    else:
                        total = rng.randrange(5, 100)
                else:
                    total = rng.randrange(0, 2_000)
                status = "planned" if date > self.today - dt.timedelta(days=7) or \
                    rng.random() < 0.02 else "done"
                if rng.random() < 0.15 and ci in self.speakers_by_commune:
                    pool = self.speakers_by_commune[ci]
                    links.append((pk, pool[rng.randrange(len(pool))]))
                if rng.random() < 0.3:
                    topic_links.append((pk, self.topic_ids[rng.randrange(len(self.topic_ids))]))
                yield {"id": pk, "unit_id": unit_pk, "unit_path": path,
                       "created_at": self.now, "updated_at": self.now, "date": date,
                       "status": status, "title": TITLES[t], "title_folded": folded[t],
                       "format_id": fmt.pk, "participants_women": women,
                       "participants_men": men, "participants_total": total,
                       "online_views": views, "online_shares": shares,
                       "materials_handed_out": rng.randrange(0, 60)}

        done = without_indexes(
            table.table,
            lambda: insert(table, rows(), say=self.say, label="activities", total=count),
            self.say)
        insert(speakers_table, ({"activity_id": a, "speaker_id": s} for a, s in links),
               say=self.say, label="activity speakers")
        insert(topics_table, ({"activity_id": a, "topic_id": t} for a, t in topic_links),
               say=self.say, label="activity topics")
        reset_sequences(Activity, Activity.speakers.through, Activity.topics.through)
        self.built.counts["activity_speakers"] = len(links)
        self.built.counts["activity_topics"] = len(topic_links)
        return done

    def clubs(self) -> int:
        table = Table(Club)
        types = list(ClubType.objects.filter(archived=False).order_by("pk"))
        law = next((t for t in types if t.code == "anti-trafficking"), types[0])
        first = next_id(Club)
        units = ([(c.pk, c.path) for c in self.communes for _ in range(3)]
                 + [(pk, path) for pk, path, _ci in self.branch_units if self.rng.random() < 0.5])
        founded_from = self.first - dt.timedelta(days=5 * 365)
        models_so_far: list[int] = []
        rng = self.rng
        # The dated history the indicators read (as ``community.actions`` writes it).
        changes: list[dict[str, Any]] = []
        counts: list[dict[str, Any]] = []

        def rows() -> Iterator[dict[str, Any]]:
            for i, (unit_pk, path) in enumerate(units):
                pk = first + i
                founded = founded_from + dt.timedelta(
                    days=rng.randrange((self.today - founded_from).days))
                is_model = rng.random() < 0.35
                r = rng.random()
                status, changed = "active", None
                if r < 0.2:
                    status = "dissolved" if r < 0.15 else "paused"
                    changed = founded + dt.timedelta(
                        days=rng.randrange(max(1, (self.today - founded).days)))
                replicated = None
                if is_model and models_so_far and rng.random() < 0.3:
                    replicated = models_so_far[rng.randrange(len(models_so_far))]
                if is_model:
                    models_so_far.append(pk)
                club_type = law if is_model else types[rng.randrange(len(types))]
                name = f"{'Mô hình' if is_model else 'CLB'} {club_type.name} {pk}"
                members = rng.randrange(8, 60)
                counts.append({"club_id": pk, "on": founded, "count": members})
                if changed is not None:
                    changes.append({"club_id": pk, "status": status, "on": changed,
                                    "reason": "", "recorded_at": self.now})
                yield {"id": pk, "unit_id": unit_pk, "unit_path": path,
                       "created_at": self.now, "updated_at": self.now, "name": name,
                       "name_folded": fold(name), "club_type_id": club_type.pk,
                       "is_prevention_model": is_model, "founded_on": founded,
                       "status": status, "status_changed_on": changed,
                       "member_count": members, "replicated_from_id": replicated}

        done = insert(table, rows(), say=self.say, label="clubs")
        insert(Table(ClubStatusChange, with_pk=False), changes, say=self.say,
               label="club status changes")
        insert(Table(ClubMemberCount, with_pk=False), counts, say=self.say,
               label="club member counts")
        reset_sequences(Club)
        self.club_ids = (first, first + done)
        return done

    def situations(self) -> int:
        # The deadlines are fixed as ``cases.actions`` fixes them: the rule in force when a
        # situation is received (and when it is escalated), stored on the situation.
        rule = deadlines.rule_reader()
        agencies = list(Agency.objects.filter(archived=False).order_by("pk")
                        .values_list("pk", flat=True))
        described = [crypto.encrypt(s) for s in SITUATIONS]
        table, events = Table(Situation), Table(SituationEvent)
        first, first_event = next_id(Situation), next_id(SituationEvent)
        first_referral = next_id(Referral)
        count = self.size["situations"]
        category = _weighted(self.rng, CATEGORY_WEIGHTS)
        urgency = _weighted(self.rng, {"normal": 70, "high": 20, "urgent": 10})
        event_rows: list[dict[str, Any]] = []
        referral_rows: list[dict[str, Any]] = []
        rng = self.rng
        parents = {c.pk: (c.parent_id or c.pk, c.path) for c in self.communes}
        branch_parent = {pk: self.communes[ci] for pk, _p, ci in self.branch_units}
        self.situation_units: dict[int, tuple[int, str]] = {}

        def rows() -> Iterator[dict[str, Any]]:
            eid = first_event
            rid = first_referral
            for i in range(count):
                pk = first + i
                if rng.random() < 0.7 or not self.branch_units:
                    c = self.communes[rng.randrange(len(self.communes))]
                    unit_pk, path = c.pk, c.path
                else:
                    unit_pk, path, _ci = self.branch_units[
                        rng.randrange(len(self.branch_units))]
                at = self.moment(self.day())
                cat, urg = category(), urgency()
                hours = rule(cat, urg)
                deadline_us, fixed = deadlines.fix(at, hours)
                due_at: dt.datetime | None = fixed
                handling_pk, handling_path = unit_pk, path
                state = "received"
                event_rows.append({"id": eid, "situation_id": pk, "kind": "received",
                                   "at": at, "to_unit_id": unit_pk})
                eid += 1
                if rng.random() < 0.35:
                    # escalated: mostly within the deadline, some late
                    late = rng.random() < 0.2
                    after = dt.timedelta(hours=hours * (1 + rng.random() if late
                                                        else rng.random()))
                    above = (branch_parent[unit_pk].pk if unit_pk in branch_parent
                             else parents.get(unit_pk, (unit_pk, path))[0])
                    above_path = (branch_parent[unit_pk].path if unit_pk in branch_parent
                                  else path.rsplit("/", 2)[0] + "/")
                    escalated_at = min(at + after, self.now)
                    event_rows.append({"id": eid, "situation_id": pk, "kind": "escalated",
                                       "at": escalated_at, "from_unit_id": unit_pk,
                                       "to_unit_id": above})
                    _us, due_at = deadlines.fix(escalated_at, hours)
                    eid += 1
                    handling_pk, handling_path, state = above, above_path, "escalated"
                if rng.random() < 0.15 and agencies:
                    on = min((at + dt.timedelta(days=rng.randrange(1, 20))).date(), self.today)
                    event_rows.append({"id": eid, "situation_id": pk, "kind": "referred",
                                       "at": min(at + dt.timedelta(days=(on - at.date()).days),
                                                 self.now)})
                    eid += 1
                    referral_rows.append({"id": rid, "situation_id": pk,
                                          "agency_id": agencies[rng.randrange(len(agencies))],
                                          "referred_on": on, "unit_path": path})
                    rid += 1
                    state = "referred"
                    due_at = None
                closed_at = None
                if at.date() < self.today - dt.timedelta(days=60) and rng.random() < 0.8:
                    closed_at = at + dt.timedelta(days=rng.randrange(5, 60))
                    event_rows.append({"id": eid, "situation_id": pk, "kind": "closed",
                                       "at": closed_at})
                    eid += 1
                    state = "closed"
                    due_at = None
                self.situation_units[pk] = (unit_pk, path)
                yield {"id": pk, "unit_id": unit_pk, "unit_path": path, "created_at": at,
                       "updated_at": at, "code": f"SY-{at.year}-T{pk:07d}", "category": cat,
                       "urgency": urg, "description": described[i % len(described)],
                       "occurred_on": at.date(), "source": rng.choice(
                           ["member", "officer", "public_form", "hotline"]),
                       "state": state, "handling_unit_id": handling_pk,
                       "handling_path": handling_path,
                       "due_at": due_at, "deadline_us": deadline_us,
                       "closed_at": closed_at}

        done = insert(table, rows(), say=self.say, label="situations", total=count)
        insert(events, iter(event_rows), say=self.say, label="situation events")
        self.referral_rows = referral_rows
        self.next_referral = first_referral + len(referral_rows)
        self.built.counts["situation_events"] = len(event_rows)
        reset_sequences(Situation, SituationEvent)
        return done

    def cases(self) -> int:
        count = self.size["cases"]
        rng = self.rng
        names = [f"{FAMILY[i % len(FAMILY)]} {GIVEN[(i * 7) % len(GIVEN)]}" for i in range(40)]
        tokens = [(crypto.encrypt(n), crypto.search_key(fold(n))) for n in names]
        persons, cases, services = Table(Person), Table(SupportCase), Table(Service)
        first_person, first_case = next_id(Person), next_id(SupportCase)
        first_service = next_id(Service)
        agencies = list(Agency.objects.filter(archived=False).order_by("pk")
                        .values_list("pk", flat=True))
        kind = _weighted(rng, CASE_KINDS)
        service_type = _weighted(rng, SERVICE_WEIGHTS)
        outcomes = ["reintegrated", "moved", "refused", "transferred"]
        case_rows: list[dict[str, Any]] = []
        service_rows: list[dict[str, Any]] = []

        def person_rows() -> Iterator[dict[str, Any]]:
            sid = first_service
            for i in range(count):
                unit_pk, path, _ci = self.pick_unit()
                if path.count("/") <= 3:  # a case is supervised by a commune or a branch
                    c = self.communes[rng.randrange(len(self.communes))]
                    unit_pk, path = c.pk, c.path
                token, key = tokens[rng.randrange(len(tokens))]
                opened = self.day()
                created = self.moment(opened)
                closed = outcome = None
                if rng.random() < 0.55:
                    closed = opened + dt.timedelta(days=rng.randrange(30, 700))
                    if closed >= self.today:
                        closed = None
                    else:
                        outcome = outcomes[rng.randrange(len(outcomes))]
                case_pk = first_case + i
                case_rows.append({
                    "id": case_pk, "unit_id": unit_pk, "unit_path": path,
                    "created_at": created, "updated_at": created,
                    "code": f"SY-{opened.year}-C{case_pk:07d}", "person_id": first_person + i,
                    "kind": kind(), "risk_factors": "[]", "opened_on": opened,
                    "closed_on": closed, "outcome": outcome or ""})
                last = closed or self.today
                for _ in range(rng.randrange(0, 7)):
                    t = service_type()
                    date = opened + dt.timedelta(days=rng.randrange((last - opened).days + 1))
                    r = rng.random()
                    status = ("planned" if date > self.today - dt.timedelta(days=3) or r < 0.12
                              else "cancelled" if r < 0.16 else "delivered")
                    amount = (rng.randrange(5, 50) * 1_000_000
                              if t in ("loan_support", "entrusted_loan") else None)
                    # the case's path, as the triggers (paused here) would keep it
                    service_rows.append({"id": sid, "case_id": case_pk, "case_path": path,
                                         "type": t,
                                         "provider": PROVIDERS[rng.randrange(len(PROVIDERS))],
                                         "date": date, "amount": amount, "status": status})
                    sid += 1
                if agencies and rng.random() < 0.1:
                    self.referral_rows.append({
                        "id": self.next_referral, "case_id": case_pk,
                        "agency_id": agencies[rng.randrange(len(agencies))],
                        "referred_on": min(opened + dt.timedelta(days=rng.randrange(1, 30)),
                                           self.today), "unit_path": path})
                    self.next_referral += 1
                yield {"id": first_person + i, "unit_id": unit_pk, "unit_path": path,
                       "created_at": created, "updated_at": created,
                       "code": f"SY-P{first_person + i:07d}", "full_name": token,
                       "birth_year": rng.randrange(1960, 2008),
                       "sex": "female" if rng.random() < 0.9 else "male", "name_key": key}

        done = insert(persons, person_rows(), say=self.say, label="persons", total=count)
        insert(cases, iter(case_rows), say=self.say, label="support cases")
        insert(services, iter(service_rows), say=self.say, label="services")
        insert(Table(Referral), iter(self.referral_rows), say=self.say, label="referrals")
        reset_sequences(Person, SupportCase, Service, Referral)
        self.built.counts["services"] = len(service_rows)
        self.built.counts["referrals"] = len(self.referral_rows)
        return done

    def commendations(self) -> int:
        table = Table(Commendation)
        first = next_id(Commendation)
        count = self.size["commendations"]
        rng = self.rng
        club_first, club_end = self.club_ids

        def rows() -> Iterator[dict[str, Any]]:
            for i in range(count):
                unit_pk, path, _ci = self.pick_unit()
                r = rng.random()
                kind = "unit" if r < 0.4 else "club" if r < 0.7 else "person"
                club = (rng.randrange(club_first, club_end)
                        if kind == "club" and club_end > club_first else None)
                if kind == "club" and club is None:
                    kind = "unit"
                decided = self.day()
                yield {"id": first + i, "unit_id": unit_pk, "unit_path": path,
                       "created_at": self.now, "updated_at": self.now,
                       "recipient_kind": kind, "club_id": club,
                       "person_name": (f"{rng.choice(FAMILY)} {rng.choice(GIVEN)}"
                                       if kind == "person" else ""),
                       "reason": "Làm tốt công tác phòng, chống mua bán người",
                       "level": rng.choice(["commune", "province", "central"]),
                       "decided_on": decided, "decision_number": f"{i + 1}/QĐ-HPN"}

        done = insert(table, rows(), say=self.say, label="commendations")
        reset_sequences(Commendation)
        return done


def build(scale: str, *, seed: int = 20261127, years: int = 5, activities: int | None = None,
          say: Callable[[str], None] = print) -> Built:
    """Build the synthetic data into the default database (see the module docstring)."""
    return Builder(scale, seed=seed, years=years, activities=activities, say=say).build()
