from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "ctip.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        # models exist once the apps are loaded: both modules import them
        from ctip.accounts import (
            auth_events,  # noqa: F401  (records login events)
            principal,  # keeps the signed-in users' snapshots up to date
        )

        principal.connect()
