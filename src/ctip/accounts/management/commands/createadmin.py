from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ctip.accounts.actions import create_user
from ctip.accounts.capabilities import Role
from ctip.accounts.enrolment import issue_code
from ctip.core.errors import ActionError
from ctip.org.models import Unit


class Command(BaseCommand):
    help = ("Create the first system administrator at a unit (by administrative code or id). "
            "Prints a temporary password that must be changed at the first sign-in, and the "
            "one-time code with which she registers her authenticator app.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--full-name", default="")
        where = parser.add_mutually_exclusive_group(required=True)
        where.add_argument("--unit-code", help="GSO code of the unit, e.g. 80 for Tây Ninh")
        where.add_argument("--unit-id", type=int)
        parser.add_argument(
            "--role", choices=["system_admin", "security_officer"], default="system_admin",
            help="security_officer: reviews the break-glass openings that have no level "
                 "above to review them (a system administrator's), at the top unit")

    def handle(self, *args: Any, **options: Any) -> None:
        lookup = ({"gso_code": options["unit_code"]} if options["unit_code"]
                  else {"pk": options["unit_id"]})
        unit = Unit.objects.filter(**lookup).first()
        if unit is None:
            raise CommandError("No such unit. Load the province first: "
                               "ctip units import --province <code>")
        try:
            user, password = create_user(
                actor=None, username=options["username"],
                full_name=options["full_name"] or options["username"], home_unit=unit,
                role=Role(options["role"]), must_change_password=True)
        except ActionError as exc:
            raise CommandError(str(exc)) from exc
        label = {"system_admin": "system administrator",
                 "security_officer": "security officer"}[options["role"]]
        self.stdout.write(f"Created {user.username}, {label} at {unit.name}.")
        code = issue_code(actor=None, user=user)
        self.stdout.write(f"Temporary password (shown once): {password}")
        self.stdout.write(f"Two-step enrolment code (shown once, valid "
                          f"{settings.CTIP_ENROLMENT_CODE_HOURS:g} hours): {code}")
