from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "ctip.cases"
    label = "cases"
    verbose_name = _("Situations and support cases")

    def ready(self) -> None:
        from ctip.accounts.signals import sign_in_locked
        from ctip.cases import checks  # noqa: F401  (registers the key check)
        from ctip.cases.notices import notify_administrators

        sign_in_locked.connect(notify_administrators, dispatch_uid="cases.notices.sign_in_locked")
