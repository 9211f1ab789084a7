from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from ctip.imports import kinds


class CommunityConfig(AppConfig):
    name = "ctip.community"
    label = "community"
    verbose_name = _("Clubs and models")

    def ready(self) -> None:
        # The kind of import: its module is imported the first time it is used (decision 0072)
        kinds.declare("club_members", "ctip.community.member_import")
