from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "ctip.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from ctip.accounts import auth_events  # noqa: F401  (records login events)
        # models exist once the apps are loaded: the snapshot module imports them
        from ctip.accounts import principal

        principal.connect()
