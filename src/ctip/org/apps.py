from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "ctip.org"
    label = "org"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        # ready(): the module reads the models, which exist only once the apps are loaded;
        # a copy of a unit's path is checked against the unit when written (decision 0102)
        from ctip.org import held

        held.connect()
