"""A move, merger or split taking many records along runs in the background (decision 0103):
a province's would take longer than gunicorn gives a request (30 s), which stops the worker
and rolls the whole restructuring back. ``CTIP_RESTRUCTURING_IN_REQUEST`` is lowered here so
that the test tree's units count as many."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from ctip.audit.models import AuditEvent
from ctip.org.models import Unit
from ctip.units import jobs
from ctip.units.actions import merge_units
from ctip.units.models import Restructuring

QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def queued(settings: Any) -> Any:
    """Tasks wait in the database queue for a worker, as in production; none is running."""
    settings.TASKS = QUEUE
    settings.CTIP_RESTRUCTURING_IN_REQUEST = -1  # every one, even of a unit holding nothing
    return settings


def _move(client: Any, unit: Unit, new_parent: Unit) -> Any:
    return client.post(reverse("org:unit_move", args=[unit.pk]), {"new_parent": new_parent.pk})


def test_a_large_move_is_queued_then_done_once_by_the_worker(tree: Any, users: Any,
                                                             client_for: Any, queued: Any
                                                             ) -> None:
    officer = users["province_officer"]
    client = client_for(officer)
    old_path = tree.branch_a1.path
    response = _move(client, tree.branch_a1, tree.commune_b)
    job = Restructuring.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("org:restructuring", args=[job.pk])
    # nothing has moved yet: the request only queued it
    assert Unit.objects.get(pk=tree.branch_a1.pk).path == old_path
    assert Unit.objects.get(pk=tree.group_a1.pk).path.startswith(old_path)
    page = client.get(response["Location"])
    body = page.content.decode()
    assert page["Cache-Control"] == "no-store"
    # htmx asks again for its state (a link without JavaScript); nothing reloads by itself
    assert f'hx-get="{response["Location"]}?poll=1&amp;seen=queued-0"' in body
    assert 'hx-trigger="every 3s"' in body
    # asked again with nothing changed: nothing to swap, nothing read out again
    again = client.get(f'{response["Location"]}?poll=1&seen=queued-0', HTTP_HX_REQUEST="true")
    assert again.status_code == 204 and not again.content
    assert 'http-equiv="refresh"' not in body and "<noscript>" in body
    assert "Việc chuyển “Chi hội ấp Mỹ Lộc”" in body
    assert "chạy nền" in body
    # no worker has beaten its heart: she is told why it waits
    assert "Tiến trình chạy nền không hoạt động" in body

    # the same confirmation sent again while it waits finds the same job
    assert _move(client, tree.branch_a1, tree.commune_b)["Location"] == response["Location"]
    assert Restructuring.objects.count() == 1

    assert jobs.run(job.pk) == "done"  # what the worker runs
    moved = Unit.objects.get(pk=tree.branch_a1.pk)
    assert moved.parent_id == tree.commune_b.pk
    assert Unit.objects.get(pk=tree.group_a1.pk).path.startswith(moved.path)
    event = AuditEvent.objects.get(action="unit.moved")
    assert event.actor_id == officer.pk  # done as her
    fragment = client.get(f'{response["Location"]}?poll=1',
                          HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<div id="restructuring-state"')
    assert "hx-trigger" not in fragment
    assert "Mở “Chi hội ấp Mỹ Lộc”" in fragment
    assert reverse("org:unit_detail", args=[moved.pk]) in body

    # run again (a worker killed after the commit, its task retried): left alone
    assert jobs.run(job.pk) == "done"
    assert AuditEvent.objects.filter(action="unit.moved").count() == 1


def test_another_restructuring_of_a_waiting_unit_is_refused(tree: Any, users: Any,
                                                            client_for: Any, queued: Any
                                                            ) -> None:
    client = client_for(users["province_officer"])
    _move(client, tree.branch_a1, tree.commune_b)
    response = client.post(reverse("org:unit_merge", args=[tree.branch_a1.pk]), {
        "into": tree.branch_a2.pk, "effective_on": "01/01/2026"})
    assert response.status_code == 200
    assert "Một việc sắp xếp lại khác của đơn vị này đang chờ" in response.content.decode()
    assert Restructuring.objects.count() == 1
    assert Unit.objects.get(pk=tree.branch_a1.pk).is_open


def test_a_job_refused_when_it_runs_says_why_and_changes_nothing(tree: Any, users: Any,
                                                                 client_for: Any,
                                                                 queued: Any) -> None:
    officer = users["province_officer"]
    client = client_for(officer)
    old_path = tree.branch_a1.path
    location = _move(client, tree.branch_a1, tree.commune_b)["Location"]
    # while it waits, the unit it goes to is merged away
    merge_units(actor=officer, sources=[tree.commune_b], into=tree.commune_a,
                effective_on=dt.date(2026, 1, 1))
    assert jobs.run(Restructuring.objects.get().pk) == "failed"
    assert Unit.objects.get(pk=tree.branch_a1.pk).path == old_path
    body = client.get(location).content.decode()
    assert "chưa có gì thay đổi" in body and 'role="alert"' in body
    assert "Phường Tân An" in body  # the rule's own words: which unit is closed


def test_her_roles_are_read_again_when_it_runs(tree: Any, users: Any, client_for: Any,
                                               queued: Any) -> None:
    officer = users["province_officer"]
    _move(client_for(officer), tree.branch_a1, tree.commune_b)
    officer.role_assignments.all().delete()
    job = Restructuring.objects.get()
    assert jobs.run(job.pk) == "failed"
    job.refresh_from_db()
    assert "không còn giữ vai trò" in job.message
    assert Unit.objects.get(pk=tree.branch_a1.pk).parent_id == tree.commune_a.pk
    # her own page still tells her why
    page = client_for(officer).get(reverse("org:restructuring", args=[job.pk]))
    assert page.status_code == 200 and "không còn giữ vai trò" in page.content.decode()


def test_a_run_that_stops_half_way_leaves_nothing(tree: Any, users: Any, client_for: Any,
                                                  queued: Any, monkeypatch: Any) -> None:
    from ctip.units import actions

    _move(client_for(users["province_officer"]), tree.branch_a1, tree.commune_b)
    job = Restructuring.objects.get()
    old_paths = dict(Unit.objects.values_list("pk", "path"))

    def boom(**_kwargs: Any) -> None:  # after the paths were rewritten, before the commit
        raise RuntimeError("disk full")

    monkeypatch.setattr(actions, "record", boom)
    assert jobs.run(job.pk) == "failed"
    assert dict(Unit.objects.values_list("pk", "path")) == old_paths
    job.refresh_from_db()
    # the error's own words go to the log, not to her page
    assert job.message.startswith("Việc sắp xếp lại đã dừng vì có lỗi. Chưa có gì thay đổi")
    assert "disk full" not in job.message


def test_a_worker_killed_under_it_runs_it_again_or_says_so(tree: Any, users: Any,
                                                          client_for: Any,
                                                          queued: Any) -> None:
    _move(client_for(users["province_officer"]), tree.branch_a1, tree.commune_b)
    job = Restructuring.objects.get()
    # a worker killed while running it left it "running", with nothing committed
    Restructuring.objects.filter(pk=job.pk).update(status=Restructuring.Status.RUNNING)
    assert jobs.run(job.pk) == "done"
    assert Unit.objects.get(pk=tree.branch_a1.pk).parent_id == tree.commune_b.pk

    _move(client_for(users["province_officer"]), tree.branch_a2, tree.commune_b)
    second = Restructuring.objects.get(unit=tree.branch_a2)
    jobs._given_up([second.pk], {})  # every attempt's worker died
    second.refresh_from_db()
    assert second.status == Restructuring.Status.FAILED
    assert "Tiến trình chạy nền đã dừng" in second.message
    assert Unit.objects.get(pk=tree.branch_a2.pk).parent_id == tree.commune_a.pk


def test_a_restructuring_is_shown_to_the_one_who_asked_only(tree: Any, users: Any,
                                                            client_for: Any,
                                                            queued: Any) -> None:
    location = _move(client_for(users["province_officer"]), tree.branch_a1,
                     tree.commune_b)["Location"]
    for other in ("system_admin", "other_officer"):
        assert client_for(users[other]).get(location).status_code == 404
    assert client_for(users["viewer"]).get(location).status_code in {403, 404}


def test_a_merger_and_a_split_end_on_the_unit_they_made(tree: Any, users: Any,
                                                        client_for: Any, settings: Any
                                                        ) -> None:
    """With a worker taking the queue at once (the tests' immediate backend)."""
    settings.CTIP_RESTRUCTURING_IN_REQUEST = -1  # every one, even of a unit holding nothing
    client = client_for(users["province_officer"])
    response = client.post(reverse("org:unit_merge", args=[tree.branch_a2.pk]), {
        "into": tree.branch_b1.pk, "effective_on": "01/01/2026", "reason": "Nghị quyết"})
    body = client.get(response["Location"]).content.decode()
    assert "Việc sáp nhập “Chi hội" in body
    assert reverse("org:unit_detail", args=[tree.branch_b1.pk]) in body
    assert not Unit.objects.get(pk=tree.branch_a2.pk).is_open

    response = client.post(reverse("org:unit_split", args=[tree.commune_a.pk]), {
        "names": "Xã Đức Hòa Đông\nXã Đức Hòa <b>Tây</b>", "effective_on": "01/01/2026",
        f"child_{tree.branch_a1.pk}": 2, "records_to": 1})
    job = Restructuring.objects.get(kind="split")
    assert job.status == Restructuring.Status.DONE
    assert job.result_unit.name == "Xã Đức Hòa Đông"
    assert Unit.objects.get(pk=tree.branch_a1.pk).parent.name == "Xã Đức Hòa <b>Tây</b>"
    assert not Unit.objects.get(pk=tree.commune_a.pk).is_open
    assert client.get(response["Location"]).status_code == 200


def test_a_small_restructuring_still_answers_at_once(tree: Any, users: Any,
                                                     client_for: Any, queued: Any) -> None:
    queued.CTIP_RESTRUCTURING_IN_REQUEST = 1  # the branch's one group is few enough
    response = _move(client_for(users["province_officer"]), tree.branch_a1, tree.commune_b)
    assert response["Location"] == reverse("org:unit_detail", args=[tree.branch_a1.pk])
    assert Unit.objects.get(pk=tree.branch_a1.pk).parent_id == tree.commune_b.pk
    assert not Restructuring.objects.exists()


def test_the_units_page_leads_back_to_it(tree: Any, users: Any, client_for: Any,
                                         queued: Any) -> None:
    """She can leave its page: the unit's own leads back to it, and tells another officer
    who manages the unit that one waits (hers would be refused until it has finished)."""
    officer, admin = users["province_officer"], users["system_admin"]
    location = _move(client_for(officer), tree.branch_a1, tree.commune_b)["Location"]
    detail = reverse("org:unit_detail", args=[tree.branch_a1.pk])
    mine = client_for(officer).get(detail).content.decode()
    assert "Các việc sắp xếp lại đơn vị này" in mine and location in mine
    theirs = client_for(admin).get(detail).content.decode()
    assert "Các việc sắp xếp lại đơn vị này" in theirs and location not in theirs
    assert "do một cán bộ khác yêu cầu" in theirs and officer.full_name not in theirs
    for page in (mine, theirs):  # another one waits until it has finished: not offered
        assert reverse("org:unit_merge", args=[tree.branch_a1.pk]) not in page
    # only those who may restructure the unit are told
    assert "Các việc sắp xếp lại" not in client_for(users["viewer"]).get(detail).content.decode()

    jobs.run(Restructuring.objects.get().pk)
    assert location in client_for(officer).get(detail).content.decode()  # hers, this week
    assert "Các việc sắp xếp lại" not in client_for(admin).get(detail).content.decode()


def test_a_worker_stopped_in_the_middle_leaves_the_unit_free(tree: Any, users: Any,
                                                             client_for: Any, queued: Any,
                                                             monkeypatch: Any) -> None:
    """An exit the run cannot catch as an error (a second SIGTERM, ``sys.exit``): the job
    ends failed, so the unit can be restructured again, and the exit goes on."""
    from ctip.units import actions

    client = client_for(users["province_officer"])
    _move(client, tree.branch_a1, tree.commune_b)
    job = Restructuring.objects.get()

    def stopped(**_kwargs: Any) -> None:
        raise SystemExit(1)

    monkeypatch.setattr(actions, "record", stopped)
    with pytest.raises(SystemExit):
        jobs.run(job.pk)
    job.refresh_from_db()
    assert job.status == Restructuring.Status.FAILED
    assert "Tiến trình chạy nền đã dừng" in job.message
    assert Unit.objects.get(pk=tree.branch_a1.pk).parent_id == tree.commune_a.pk
    monkeypatch.undo()
    _move(client, tree.branch_a1, tree.commune_b)  # a new one is taken
    assert Restructuring.objects.filter(status=Restructuring.Status.QUEUED).count() == 1


def test_a_task_that_fails_outside_the_run_marks_its_job(tree: Any, users: Any,
                                                         client_for: Any, settings: Any,
                                                         monkeypatch: Any) -> None:
    """The task failed before the run could say anything (the tests' immediate backend runs
    it as it is queued): the library's "failed" reaches the job."""
    settings.CTIP_RESTRUCTURING_IN_REQUEST = -1

    def broken(job_id: int) -> str:
        raise ImportError("a module of the task is missing")

    monkeypatch.setattr(jobs, "run", broken)
    location = _move(client_for(users["province_officer"]), tree.branch_a1,
                     tree.commune_b)["Location"]
    job = Restructuring.objects.get()
    assert job.status == Restructuring.Status.FAILED, location
    assert Unit.objects.get(pk=tree.branch_a1.pk).parent_id == tree.commune_a.pk


def test_a_second_run_of_a_finished_merger_leaves_it_done(tree: Any, users: Any,
                                                          client_for: Any,
                                                          queued: Any) -> None:
    """Two runs at once (a worker thought dead): the second read the job before the first
    finished, then waited for its lock; it finds it done and says nothing else."""
    client = client_for(users["province_officer"])
    client.post(reverse("org:unit_merge", args=[tree.branch_a2.pk]), {
        "into": tree.branch_b1.pk, "effective_on": "01/01/2026"})
    stale = Restructuring.objects.select_related("owner").get()
    assert jobs.run(stale.pk) == "done"
    jobs._run(stale)  # read while it waited: the branch is closed by now
    assert Restructuring.objects.get().status == Restructuring.Status.DONE
    jobs._fail(stale, "late")
    assert Restructuring.objects.get().status == Restructuring.Status.DONE
    assert AuditEvent.objects.filter(action="unit.merged").count() == 1


def test_a_merger_whose_units_are_no_longer_at_one_level_is_refused(
        tree: Any, users: Any, client_for: Any, queued: Any) -> None:
    officer = users["province_officer"]
    client_for(officer).post(reverse("org:unit_merge", args=[tree.branch_a2.pk]), {
        "into": tree.branch_b1.pk, "effective_on": "01/01/2026"})
    from ctip.units.actions import move_subtree

    move_subtree(actor=officer, unit=tree.branch_b1, new_parent=tree.branch_a1)  # a level down
    job = Restructuring.objects.get()
    assert jobs.run(job.pk) == "failed"
    job.refresh_from_db()
    assert "không cùng cấp" in job.message
    assert Unit.objects.get(pk=tree.branch_a2.pk).is_open
