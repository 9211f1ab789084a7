from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CataloguesConfig(AppConfig):
    """The catalogues that awareness work and the clubs share: target groups (audiences),
    emulation movements and the library's topics. Below both ``community`` and ``outreach``,
    so that a club names its target groups and an activity names its club without a cycle
    (decision 0068). Their tables keep the names they had in ``outreach``."""

    name = "ctip.catalogues"
    label = "catalogues"
    verbose_name = _("Catalogues")
