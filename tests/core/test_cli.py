from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from ctip.accounts.capabilities import Role
from ctip.accounts.models import RoleAssignment, User
from ctip.org.models import Unit
from tests.conftest import at

TEST_FIELD_KEY = "Y3RpcC10ZXN0cy1vbmx5LWZpZWxkLWtleS0wMDAwMDA="


@pytest.fixture
def demo_env(settings: Any, tmp_path: Path, monkeypatch: Any) -> Path:
    settings.DATA_DIR = tmp_path
    monkeypatch.setenv("CTIP_DEMO_PASSWORD", "demo-password-for-tests")
    return tmp_path


@pytest.mark.django_db
def test_demo_builds_tay_ninh_and_one_user_per_role_and_is_safe_to_run_again(
        demo_env: Path, capsys: Any) -> None:
    """Built on 2 January, half an hour after midnight in Vietnam: the demo's days of the year
    (July's peak, a March training, August's commendations) are the latest ones already past,
    so it builds on any day (from 1 January to 9 September it once stopped on a club meeting
    dated later in the year). The test reads the demo on the same clock."""
    moment = dt.datetime(timezone.localdate().year, 1, 1, 17, 30, tzinfo=dt.UTC)
    with at(moment, running=True):
        _demo_on_the_clock(demo_env, capsys)


def _demo_on_the_clock(demo_env: Path, capsys: Any) -> None:
    call_command("demo", no_serve=True)
    province = Unit.objects.get(gso_code="80")
    assert Unit.objects.filter(parent=province).count() == 96
    assert Unit.objects.filter(unit_type__code="branch").count() >= 5
    assert Unit.objects.filter(unit_type__code="group").count() >= 5
    held = set(RoleAssignment.objects.active().values_list("role", flat=True))
    assert held == set(Role.values)
    logins = json.loads((demo_env / "demo-users.json").read_text())
    assert {row["username"] for row in logins} == set(User.objects.values_list("username",
                                                                             flat=True))
    assert all(row["password"] == "demo-password-for-tests" for row in logins)
    out = capsys.readouterr().out
    # The roles that must use two-step sign-in get an enrolment code, printed with the logins.
    codes = {row["username"]: row["enrolment_code"] for row in logins}
    assert codes["quantri"] and codes["hotro.xa"] and not codes["canbo.xa"]
    assert codes["hotro.xa"] in out
    assert "canbo.xa" in out and "Xã Đức Hòa" in out
    user = User.objects.get(username="canbo.xa")
    assert user.check_password("demo-password-for-tests")
    # outreach, clubs and models with lineage, situations in every state, support cases

    from ctip.cases.models import Situation, SupportCase
    from ctip.community.models import Club, Exchange
    from ctip.outreach.models import Activity, Campaign, CampaignTarget, Material

    assert Activity.objects.count() >= 300
    assert Campaign.objects.filter(starts_on__lte=timezone.localdate(),
                                   ends_on__gte=timezone.localdate()).exists()
    assert CampaignTarget.objects.count() >= 96
    assert Material.objects.count() >= 3
    assert Club.objects.filter(replicated_from__replicated_from__isnull=False).exists()
    assert Exchange.objects.exists()
    assert set(Situation.objects.values_list("state", flat=True)) == set(Situation.State.values)
    assert Situation.objects.filter(due_at__lt=timezone.now()).exists()
    assert SupportCase.objects.filter(services__isnull=False, visits__isnull=False).exists()
    # the public bulletin: its sections and about thirty articles, some scheduled, one in review
    from wagtail.models import WorkflowState

    from ctip.portal.models import ArticlePage, SectionPage

    assert SectionPage.objects.live().count() >= 4
    assert ArticlePage.objects.count() >= 28
    assert ArticlePage.objects.live().count() >= 20
    assert ArticlePage.objects.filter(live=False, go_live_at__gt=timezone.now()).exists()
    assert WorkflowState.objects.filter(status=WorkflowState.STATUS_IN_PROGRESS).exists()
    assert "Bulletin:" in out

    # safe to run again: the second run adds nothing (in the same test, so that the demo is
    # built twice and not three times; decision 0062)
    def counts() -> tuple[int, ...]:
        return (Unit.objects.count(), User.objects.count(), RoleAssignment.objects.count(),
                ArticlePage.objects.count())

    before = counts()
    call_command("demo", no_serve=True)
    assert counts() == before


def test_ctip_command_runs_django_commands_and_makes_a_secret_key(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DATABASE_URL"}}
    env["CTIP_DATA_DIR"] = str(tmp_path / "data")
    env["CTIP_FIELD_KEYS"] = TEST_FIELD_KEY
    run = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "ctip.cli", "migrate", "--plan"],
        env=env, capture_output=True, text=True, check=False, timeout=120)
    assert run.returncode == 0, run.stderr
    key = (tmp_path / "data" / "secret_key").read_text()
    assert len(key) >= 50
    assert oct((tmp_path / "data" / "secret_key").stat().st_mode)[-3:] == "600"
    # a second run reuses the key
    subprocess.run([sys.executable, "-m", "ctip.cli", "migrate", "--plan"],  # noqa: S603
                   env=env, capture_output=True, check=True, timeout=120)
    assert (tmp_path / "data" / "secret_key").read_text() == key


def test_ctip_check_runs_deploy_and_own_checks(tmp_path: Path, install_migrated: Any) -> None:
    install_migrated(tmp_path / "data")  # a copy of the run's migrated database
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL"}}
    env["CTIP_DATA_DIR"] = str(tmp_path / "data")
    env["SECRET_KEY"] = "x" * 60
    env["CTIP_FIELD_KEYS"] = TEST_FIELD_KEY
    subprocess.run([sys.executable, "-m", "ctip.cli", "migrate"], env=env,  # noqa: S603
                   capture_output=True, check=True, timeout=300)
    run = subprocess.run([sys.executable, "-m", "ctip.cli", "check"],  # noqa: S603
                         env=env, capture_output=True, text=True, check=False, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "The unit tree is consistent" in run.stdout
    assert "The audit trail is intact" in run.stdout
    assert "The report roll-ups agree with the records." in run.stdout


@pytest.mark.django_db
def test_createadmin_makes_a_system_administrator(tree: Any, capsys: Any) -> None:
    call_command("createadmin", "--username", "quantri.moi", "--unit-code", "80")
    user = User.objects.get(username="quantri.moi")
    assert user.must_change_password
    assert user.role_assignments.get().role == Role.SYSTEM_ADMIN
    password = capsys.readouterr().out.split("(shown once): ")[1].splitlines()[0].strip()
    assert user.check_password(password)
    with pytest.raises(CommandError):
        call_command("createadmin", "--username", "x", "--unit-code", "99999")


@pytest.mark.django_db
def test_createadmin_makes_the_security_officer(tree: Any, capsys: Any) -> None:
    call_command("createadmin", "--role", "security_officer", "--username", "anninh",
                 "--unit-code", "80")
    user = User.objects.get(username="anninh")
    assert user.role_assignments.get().role == Role.SECURITY_OFFICER
    assert "security officer" in capsys.readouterr().out
