from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from ctip.imports import kinds


class OutreachConfig(AppConfig):
    name = "ctip.outreach"
    label = "outreach"
    verbose_name = _("Outreach")

    def ready(self) -> None:
        # The kinds of import: their modules are imported the first time they are used
        # (decision 0072)
        kinds.declare("activities", "ctip.outreach.activity_import")
        kinds.declare("commendations", "ctip.outreach.commendation_import")

        # A club's page lists its meetings, activities recorded here above the clubs; ready():
        # both modules import models, which exist only once the apps are loaded.
        from ctip.community.selectors import find_meetings_with
        from ctip.outreach.selectors import club_meetings

        find_meetings_with(club_meetings)
