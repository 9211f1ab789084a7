from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunityConfig(AppConfig):
    name = "ctip.community"
    label = "community"
    verbose_name = _("Clubs and models")

    def ready(self) -> None:
        # The kinds of import register with the pipeline (``ctip.imports``); ready(): they
        # import models, which exist only once the apps are loaded.
        import ctip.community.member_import  # noqa: F401
