"""No identity leaks: three persons with distinctive names, phones and identity-card numbers
are seeded through the actions with cases, services, visits, follow-ups, referrals, a
withdrawal and a break-glass opening. Then

- every role without ``identity.view`` requests every case and situation page, export and
  action it could try, and none of the values appears in any answer (body or headers), nor in
  the log output of the whole run (all loggers at DEBUG, SQL included), nor on stdout/stderr;
- the assigned case worker's pages do not show them until she asks by POST;
- the raw rows of every table hold none of them in plaintext.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import unicodedata
from typing import Any

from django.db import connection
from django.urls import get_resolver, reverse
from django.utils import timezone

from ctip.accounts.capabilities import Role
from ctip.cases import actions, case_urls
from ctip.cases.models import Agency, BreakGlass, Person, SupportCase
from ctip.core.text import fold
from tests.cases.case_helpers import CONSENT_DAY
from tests.conftest import make_user

PERSONS = [
    {"full_name": "Quàng Thị Huyền Trang", "phone": "0977123401", "id_number": "011198765401",
     "address": "Số 77 đường Hoa Sứ Tím", "other_names": "Trang Quàng",
     "guardian": "Quàng Văn Khởi, bố"},
    {"full_name": "Đèo Thị Ngọc Bích", "phone": "0977123402", "id_number": "011198765402",
     "address": "Số 88 đường Hoa Ban Trắng", "other_names": "", "guardian": ""},
    {"full_name": "Mùa Thị Sao Mai", "phone": "0977123403", "id_number": "011198765403",
     "address": "Số 99 đường Hoa Mận Đỏ", "other_names": "", "guardian": ""},
]
ROLES_WITHOUT_IDENTITY = ["province_officer", "commune_officer", "branch_head", "speaker",
                          "auditor", "viewer", "editor", "publisher"]
BREAK_GLASS_REASON = "Người hỗ trợ chính nghỉ phép, cần gọi cho gia đình"


def secrets() -> list[str]:
    """Every identity value, in the forms it could leak in: as typed, decomposed, folded,
    and JSON-escaped."""
    values = []
    for person in PERSONS:
        for key in ("full_name", "phone", "id_number", "address", "other_names", "guardian"):
            value = person[key]
            if not value:
                continue
            values += [value, unicodedata.normalize("NFD", value), json.dumps(value)[1:-1]]
            if key in ("full_name", "address", "guardian"):
                values.append(fold(value))
    return sorted(set(values))


def assert_clean(label: str, blob: str) -> None:
    for secret in secrets():
        assert secret not in blob, f"{secret!r} leaked in {label}"


def seed(tree: Any, users: Any) -> dict[str, Any]:
    worker = users["case_worker"]
    other_worker = make_user("hotro.tanan", Role.CASE_WORKER, tree.commune_b)
    colleague = make_user("hotro2", Role.CASE_WORKER, tree.commune_a)
    health = Agency.objects.get(code="so-y-te")
    units = [tree.commune_a, tree.commune_a, tree.commune_b]
    workers = [worker, worker, other_worker]
    persons, cases = [], []
    for values, unit, assigned in zip(PERSONS, units, workers, strict=True):
        person = actions.create_person(actor=assigned, unit=unit, birth_year=1999, **values)
        for purpose, agency in (("support", None), ("referral", health),
                                ("share_above", None)):
            actions.record_consent(actor=assigned, person=person, purpose=purpose,
                                   agency=agency, given_on=CONSENT_DAY, given_by="person")
        case = actions.open_case(actor=None, unit=unit, person=person,
                                 kind="returned_victim", workers=[assigned],
                                 risk_factors=["no_job"], needs="Cần học nghề và việc làm",
                                 plan="Học nghề may, vay vốn ủy thác",
                                 opened_on=dt.date(2026, 1, 10))
        actions.add_service(actor=assigned, case=case, type="hardship_allowance",
                            provider="UBND xã", date=dt.date(2026, 1, 12), amount=1_500_000,
                            status="delivered")
        actions.add_service(actor=assigned, case=case, type="vocational",
                            provider="Trung tâm dạy nghề", date=dt.date(2026, 3, 1))
        actions.log_visit(actor=assigned, case=case, kind="visit", date=dt.date(2026, 1, 15),
                          notes="Gia đình đồng ý cho đi học nghề")
        actions.add_follow_up(actor=assigned, case=case, what="Thăm lại sau khóa học",
                              due_on=timezone.localdate() + dt.timedelta(days=3))
        referral = actions.refer(actor=assigned, case=case, agency=health,
                                 referred_on=dt.date(2026, 1, 20), contact="BS. Lê Văn An")
        actions.record_answer(actor=assigned, referral=referral, answer="Đã khám sức khỏe",
                              answered_on=dt.date(2026, 1, 22))
        persons.append(person)
        cases.append(case)
    # a withdrawal, a closed case, a situation with the people in it, a break-glass opening
    actions.withdraw_consent(actor=workers[2], consent=persons[2].consents.get(
        purpose="share_above"))
    actions.close_case(actor=worker, case=cases[1], outcome="reintegrated",
                       reason="Đã có việc làm ổn định", closed_on=dt.date(2026, 3, 5))
    situation = actions.create_situation(
        actor=users["branch_head"], unit=tree.branch_a1, category="returned",
        description="Hai chị em trở về từ nước ngoài, cần hỗ trợ", source="member",
        persons=persons[:2])
    actions.view_identity(actor=colleague, person=persons[0], reason=BREAK_GLASS_REASON,
                          category="unreachable", case=cases[0])
    request = actions.request_anonymisation(actor=worker, person=persons[0],
                                            reason="Theo yêu cầu của chị ngày 10/03/2026")
    return {"persons": persons, "cases": cases, "situation": situation, "request": request}


def requests(seeded: dict[str, Any], tree: Any) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(url name, method, url, data) for every page, export and action a user could try."""
    p, c = seeded["persons"], seeded["cases"]
    s = seeded["situation"]
    service = c[0].services.first()
    follow_up = c[0].follow_ups.first()
    referral = c[0].referrals.first()
    consent = p[0].consents.first()
    flag = BreakGlass.objects.first()
    found: list[tuple[str, str, str, dict[str, Any]]] = []

    def add(name: str, method: str, args: list[Any], data: dict[str, Any] | None = None,
            query: str = "") -> None:
        found.append((name, method, reverse(f"cases:{name}", args=args) + query, data or {}))

    add("case_list", "get", [])
    add("case_list", "get", [], query="?status=all")
    add("case_list", "get", [], query="?status=closed&kind=returned_victim")
    add("case_counts", "get", [])
    add("unit_case_counts", "get", [tree.commune_a.pk])
    add("breakglass_list", "get", [], query="?state=all")
    add("breakglass_review", "post", [flag.pk])
    add("anonymisation_list", "get", [])
    add("anonymisation_decide", "post", [seeded["request"].pk], {"decision": "reject"})
    add("person_create", "get", [])
    add("person_create", "post", [], {"unit": tree.commune_a.pk,
                                      "full_name": PERSONS[0]["full_name"].upper(),
                                      "birth_year": 1999, "sex": "female"})
    for case in c:
        add("case_detail", "get", [case.pk])
        for name in ("case_edit", "case_workers", "service_add", "visit_add", "follow_up_add",
                     "case_refer", "case_close", "trafficking_add"):
            add(name, "get", [case.pk])
    from ctip.cases.actions import record_trafficking_event

    event = record_trafficking_event(actor=None, case=c[0])
    add("trafficking_edit", "get", [c[0].pk, event.pk])
    add("service_status", "get", [c[0].pk, service.pk])
    add("follow_up_done", "post", [c[0].pk, follow_up.pk])
    add("case_referral_answer", "get", [c[0].pk, referral.pk])
    for person in p:
        add("person_detail", "get", [person.pk])
        add("person_identity", "post", [person.pk], {"reason": BREAK_GLASS_REASON,
                                                     "category": "unreachable"})
        add("person_correct", "post", [person.pk], {"full_name": "x", "sex": "female"})
        add("person_anonymise", "get", [person.pk])
        add("consent_add", "get", [person.pk])
        add("case_open", "get", [person.pk])
        for name in ("person_export_json", "person_export_pdf", "person_export_print"):
            add(name, "post", [person.pk])
    add("consent_evidence", "post", [p[0].pk, consent.pk])
    add("consent_withdraw", "post", [p[0].pk, consent.pk])
    # the situation pages and the inbox, where persons and follow-ups appear too
    add("situation_list", "get", [])
    add("situation_detail", "get", [s.pk])
    add("inbox", "get", [], query=f"?unit={tree.commune_a.pk}")
    add("unit_inbox", "get", [tree.branch_a1.pk])
    found += [("audit", "get", reverse("audit:event_list"), {}),
              ("audit", "get", reverse("audit:event_list") + "?action=person", {}),
              ("home", "get", reverse("core:home"), {})]
    return found


def test_every_case_route_is_tried() -> None:
    names = {p.name for p in case_urls.urlpatterns}
    tried = {"case_list", "case_counts", "unit_case_counts", "breakglass_list", "breakglass_review",
             "anonymisation_list", "anonymisation_decide",
             "person_create", "case_detail", "case_edit", "case_workers", "service_add",
             "visit_add", "follow_up_add", "case_refer", "case_close", "service_status",
             "follow_up_done", "case_referral_answer", "person_detail", "person_identity",
             "person_correct", "person_anonymise", "consent_add", "case_open",
             "person_export_json", "person_export_pdf", "person_export_print",
             "consent_evidence", "consent_withdraw", "trafficking_add", "trafficking_edit"}
    assert names == tried
    get_resolver()  # the URLconf loads


def test_no_identity_reaches_roles_without_it_nor_the_logs(
        tree: Any, users: Any, client_for: Any, caplog: Any, capsys: Any,
        monkeypatch: Any) -> None:
    # Every SQL statement with its parameters, whatever the loggers above it say: Django's
    # own configuration leaves "django" at INFO, where the SQL log (DEBUG) is dropped.
    sql_log = logging.getLogger("django.db.backends")
    monkeypatch.setattr(sql_log, "disabled", False)
    monkeypatch.setattr(sql_log, "propagate", True)
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger=sql_log.name)
    connection.force_debug_cursor = True
    try:
        seeded = seed(tree, users)
        reached: dict[str, set[str]] = {}
        for role in ROLES_WITHOUT_IDENTITY:
            client = client_for(users[role])
            for name, method, target, data in requests(seeded, tree):
                response = getattr(client, method)(target, data)
                body = b"".join(response.streaming_content) if response.streaming \
                    else response.content
                assert_clean(f"{role} {method.upper()} {target} ({response.status_code})",
                             body.decode(errors="replace") + repr(sorted(response.items())))
                if response.status_code == 200:
                    reached.setdefault(role, set()).add(name)
    finally:
        connection.force_debug_cursor = False
    # the test saw real pages, not only refusals
    assert {"case_list", "case_detail", "person_detail", "case_counts", "inbox",
            "situation_detail"} <= reached["commune_officer"]
    assert {"case_list", "case_detail", "case_counts"} <= reached["province_officer"]
    assert "case_counts" in reached["viewer"] and "case_detail" not in reached["viewer"]
    assert "audit" in reached["auditor"] and "case_list" not in reached["auditor"]
    assert "situation_detail" in reached["branch_head"]
    for role in ROLES_WITHOUT_IDENTITY:
        assert not {"person_identity", "person_export_json", "person_export_print",
                    "consent_evidence"} & reached.get(role, set()), role
    # nothing was changed by them either
    assert not Person.objects.filter(anonymised_at__isnull=False).exists()
    assert seeded["cases"][0].follow_ups.get().done_on is None

    statements = [r for r in caplog.records if r.name == sql_log.name]
    assert len(statements) > 100  # the SQL log was on
    assert any("INSERT INTO" in r.getMessage() for r in statements)
    logged = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    assert_clean("the log output", logged)
    out = capsys.readouterr()
    assert_clean("stdout/stderr", out.out + out.err)


def test_the_assigned_worker_sees_no_identity_until_she_posts(
        tree: Any, users: Any, client_for: Any) -> None:
    seeded = seed(tree, users)
    client = client_for(users["case_worker"])
    person, case = seeded["persons"][0], seeded["cases"][0]
    pages = [reverse("cases:case_list"), reverse("cases:case_list") + "?status=all",
             reverse("cases:case_detail", args=[case.pk]),
             reverse("cases:person_detail", args=[person.pk]),
             reverse("cases:breakglass_list") + "?state=all",
             reverse("cases:inbox") + f"?unit={tree.commune_a.pk}",
             reverse("cases:situation_detail", args=[seeded["situation"].pk]),
             reverse("cases:case_open", args=[person.pk]),
             reverse("cases:person_anonymise", args=[person.pk]),
             reverse("cases:case_edit", args=[case.pk])]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        assert_clean(page, response.content.decode())
    shown = client.post(reverse("cases:person_identity", args=[person.pk]))
    html = shown.content.decode()
    assert PERSONS[0]["full_name"] in html and PERSONS[0]["phone"] in html
    assert PERSONS[0]["id_number"] in html
    assert "no-store" in shown["Cache-Control"]
    # and only hers: the other persons' values are not on her page
    for other in PERSONS[1:]:
        assert other["full_name"] not in html


def test_no_plaintext_identity_in_any_table(tree: Any, users: Any) -> None:
    seed(tree, users)
    assert Person.objects.count() == 3 and SupportCase.objects.count() == 3
    dumped = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            dumped.append(f"{table}: {cursor.fetchall()!r}")
    raw = "\n".join(dumped)
    assert "cases_person" in raw and PERSONS[0]["full_name"] not in raw
    for secret in secrets():
        assert secret not in raw, secret
    # the narratives are not stored in plaintext either
    for narrative in ("Cần học nghề và việc làm", "Gia đình đồng ý", "Đã khám sức khỏe",
                      "Đã có việc làm ổn định"):
        assert narrative not in raw, narrative
