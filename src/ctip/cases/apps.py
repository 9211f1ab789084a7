from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from ctip.imports import kinds
from ctip.org.signals import unit_merged, units_restructured


class CasesConfig(AppConfig):
    name = "ctip.cases"
    label = "cases"
    verbose_name = _("Situations and support cases")

    def ready(self) -> None:
        # ready(): these modules import models, which exist only once the apps are loaded
        from ctip.accounts.signals import access_narrowed, sign_in_locked
        from ctip.cases import checks  # noqa: F401  (registers the key check)
        from ctip.cases.notices import notify_administrators

        # the kind of import: its module is imported the first time it is used (decision 0072)
        kinds.declare("situations", "ctip.cases.situation_import")
        sign_in_locked.connect(notify_administrators, dispatch_uid="cases.notices.sign_in_locked")
        access_narrowed.connect(_end_uncovered, dispatch_uid="cases.actions.access_narrowed")
        unit_merged.connect(_hand_over, dispatch_uid="cases.handover.unit_merged")
        units_restructured.connect(_restructured, dispatch_uid="cases.handover.restructured")


def _restructured(sender: Any, *, units: Any, **kwargs: Any) -> None:
    from ctip.cases.handover import after_restructuring  # models: loaded after the apps

    after_restructuring(units=list(units))


def _hand_over(sender: Any, *, actor: Any, source: Any, into: Any, **kwargs: Any) -> None:
    from ctip.cases.handover import hand_over  # models: loaded after the apps

    hand_over(actor=actor, source=source, into=into)


def _end_uncovered(sender: Any, *, actor: Any, user: Any, why: str, **kwargs: Any) -> None:
    from ctip.cases.actions import end_uncovered_assignments  # models: loaded after the apps

    end_uncovered_assignments(actor=actor, user=user, why=why)
