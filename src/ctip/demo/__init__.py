"""Demo data for ``ctip demo``: written fresh for the demo, safe to build again."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import translation

from ctip.accounts.models import User
from ctip.demo.cases import build_cases
from ctip.demo.community import build_community
from ctip.demo.org import build_org
from ctip.demo.outreach import build_outreach
from ctip.demo.portal import build_portal
from ctip.demo.users import build_users


def build(stdout: Any = None) -> list[dict[str, str]]:
    with transaction.atomic(), translation.override("vi"):
        province = build_org(stdout)
        logins = build_users(province)
        officer = User.objects.get(username="canbo.tinh")
        build_outreach(province, officer)
        build_community(province, officer)
        build_cases(province, officer)
        build_portal(province, stdout)
        return logins
