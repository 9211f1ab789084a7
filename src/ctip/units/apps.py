from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from ctip.imports import kinds


class UnitsConfig(AppConfig):
    """The pages, writes and imports of the organisation tree, and ``ctip units``. They check
    roles and record audit events, so they sit above ``accounts`` and ``audit``; the tree itself
    (models, paths, ``org.rules``) is the ``org`` app below them (decision 0053)."""

    name = "ctip.units"
    label = "units"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        # The branch import: its module is imported the first time it is used (decision 0072)
        kinds.declare("branches", "ctip.units.branch_import")
