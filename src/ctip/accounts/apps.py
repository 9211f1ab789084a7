from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "ctip.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        # ready(): the login events' receivers import models, which exist only once the apps
        # are loaded
        from ctip.accounts import auth_events  # noqa: F401  (records login events)
