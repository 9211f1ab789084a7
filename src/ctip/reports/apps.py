from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate
from django.utils.translation import gettext_lazy as _

from ctip.figures import rollups as figures_rollups
from ctip.org.signals import paths_repaired, paths_rewriting


def _before_migrate(sender: Any, using: str = "default", plan: Any = None, **kwargs: Any
                    ) -> None:
    # reports.rollups imports models, which do not exist yet when apps.py is imported
    from ctip.reports import rollups

    rollups.before_migrate(using, plan)


def _after_migrate(sender: Any, using: str = "default", plan: Any = None, **kwargs: Any
                   ) -> None:
    # as in _before_migrate: reports.rollups imports models
    from ctip.reports import rollups

    rollups.after_migrate(using, plan)


def _paths_rewriting(sender: Any, *, rows: Any, sign: int, **kwargs: Any) -> None:
    """A rewrite of activities' paths that keeps their unit (``org.signals.paths_rewriting``):
    their sums leave the old paths and reach the new ones (``rollups.shift_activities``)."""
    if sender._meta.label == "outreach.Activity":
        # as in _before_migrate: reports.rollups imports models
        from ctip.reports import rollups

        rollups.shift_activities(rows, sign)


def _paths_repaired(sender: Any, *, count: int, **kwargs: Any) -> None:
    """Activities given their unit's path by ``ctip units check --repair``
    (``org.signals.paths_repaired``): where their sums stood is not known, so the roll-ups are
    made again from the records (``rollups.rebuild``, safe while the system runs)."""
    if sender._meta.label == "outreach.Activity":
        # as in _before_migrate: reports.rollups imports models
        from ctip.reports import rollups

        rollups.rebuild()


class ReportsConfig(AppConfig):
    name = "ctip.reports"
    label = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        # The roll-up triggers come off while migrations run and go back on after, with a
        # rebuild (see ``reports.rollups``).
        pre_migrate.connect(_before_migrate, sender=self,
                            dispatch_uid="ctip.reports.before_migrate")
        post_migrate.connect(_after_migrate, sender=self,
                             dispatch_uid="ctip.reports.after_migrate")
        paths_rewriting.connect(_paths_rewriting, dispatch_uid="ctip.reports.paths_rewriting")
        paths_repaired.connect(_paths_repaired, dispatch_uid="ctip.reports.paths_repaired")
        # The fact apps read the roll-ups through ``ctip.figures``, below them (decision 0053).
        figures_rollups.provide("activity_month", self.get_model("ActivityMonth")._default_manager)
