from __future__ import annotations

import json
import os
import secrets

from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from ctip.accounts.actions import create_user, grant_role
from ctip.accounts.capabilities import ROLE_CAPABILITIES, Role
from ctip.accounts.enrolment import issue_code
from ctip.accounts.models import RoleAssignment, User
from ctip.org.models import Unit

# (username, full name, role, where: "province" | "commune" | "branch")
DEMO_USERS = [
    ("quantri", "Lê Thị Quản Trị", Role.SYSTEM_ADMIN, "province"),
    ("canbo.tinh", "Nguyễn Thị Hồng Nhung", Role.PROVINCE_OFFICER, "province"),
    ("canbo.xa", "Trần Thị Mỹ Duyên", Role.COMMUNE_OFFICER, "commune"),
    ("chihoi.truong", "Phạm Thị Lan", Role.BRANCH_HEAD, "branch"),
    ("baocaovien", "Võ Thị Thu Hà", Role.SPEAKER, "commune"),
    ("hotro.xa", "Đặng Thị Kim Oanh", Role.CASE_WORKER, "commune"),
    ("bientap", "Huỳnh Thị Bích Ngọc", Role.EDITOR, "province"),
    ("xuatban", "Lý Thị Thanh Tâm", Role.PUBLISHER, "province"),
    ("kiemtoan", "Đoàn Thị Minh Thư", Role.AUDITOR, "province"),
    ("xem", "Bùi Thị Ngọc Ánh", Role.VIEWER, "province"),
    ("anninh", "Mai Thị Thanh Bình", Role.SECURITY_OFFICER, "province"),
]


def _password() -> str:
    configured = os.environ.get("CTIP_DEMO_PASSWORD")
    if configured:
        return configured
    previous = settings.DATA_DIR / "demo-users.json"
    if previous.exists():
        rows = json.loads(previous.read_text())
        if rows and rows[0].get("password"):
            return str(rows[0]["password"])
    return "demo-" + secrets.token_urlsafe(9)


def build_users(province: Unit) -> list[dict[str, str]]:
    password = _password()
    commune = Unit.objects.get(parent=province, name="Xã Đức Hòa")
    branch = Unit.objects.get(parent=commune, name="Chi hội ấp Mỹ Lộc")
    places = {"province": province, "commune": commune, "branch": branch}
    logins = []
    for username, full_name, role, where in DEMO_USERS:
        unit = places[where]
        user = User.objects.filter(username=username).first()
        if user is None:
            user, _ = create_user(actor=None, username=username, full_name=full_name,
                                  home_unit=unit, role=role, password=password,
                                  must_change_password=False)
        else:
            user.set_password(password)
            user.is_active = True
            user.save(update_fields=["password", "is_active"])
            if not RoleAssignment.objects.active().filter(user=user, role=role,
                                                          unit=unit).exists():
                grant_role(actor=None, user=user, role=role, unit=unit)
        # Roles that see identities must register an authenticator app, which needs a
        # one-time enrolment code (as an administrator would issue it).
        code = ""
        if settings.CTIP_OTP_REQUIRED_CAPABILITY in ROLE_CAPABILITIES[role] and not (
                TOTPDevice.objects.filter(user=user, confirmed=True).exists()):
            code = issue_code(actor=None, user=user)
        logins.append({"username": username, "password": password,
                       "role": str(Role(role).label), "unit": unit.name,
                       "enrolment_code": code})
    return logins
