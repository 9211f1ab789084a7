from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UnitsConfig(AppConfig):
    """The pages, writes and imports of the organisation tree, and ``ctip units``. They check
    roles and record audit events, so they sit above ``accounts`` and ``audit``; the tree itself
    (models, paths, ``org.rules``) is the ``org`` app below them (decision 0053)."""

    name = "ctip.units"
    label = "units"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        # The branch import registers with the pipeline (``ctip.imports``); ready(): it imports
        # models, which exist only once the apps are loaded.
        import ctip.units.branch_import  # noqa: F401
