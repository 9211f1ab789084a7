from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "ctip.portal"
    label = "portal"
    verbose_name = _("Public bulletin")

    def ready(self) -> None:
        from ctip.portal import caching

        caching.connect_signals()
