"""The organisation tree of the Union: units of any depth, with history.

Adjacency (``parent``) plus a stored materialised ``path`` and ``depth``: a subtree is one
``path__subtree`` query (see ``paths``). Units are never deleted: merges and splits close them
and link their successors, so facts recorded against a unit keep pointing at it.
"""

from __future__ import annotations

import operator
from functools import reduce
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ctip.org.paths import TreePathField, is_within

PATH_SEPARATOR = "/"

#: The areas a unit can be flagged in, each with the ``Unit`` flags that put it there (remote
#: counts the far-flung units too). A flag applies to the unit and every unit below it. The one
#: definition the selectors, the indicators and the roll-up triggers are built from.
AREA_FLAG_FIELDS: dict[str, tuple[str, ...]] = {
    "border": ("is_border",),
    "remote": ("is_remote", "is_far_flung"),
    "minority": ("is_ethnic_minority",),
}
#: Every area flag of a unit, in the order of ``AREA_FLAG_FIELDS``.
UNIT_AREA_FIELDS: tuple[str, ...] = tuple(f for fs in AREA_FLAG_FIELDS.values() for f in fs)


def flagged_q(fields: tuple[str, ...] = UNIT_AREA_FIELDS) -> Q:
    """Units carrying any of the flags ``fields`` themselves (every area flag by default)."""
    return reduce(operator.or_, (Q(**{name: True}) for name in fields))


class UnitType(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    level = models.PositiveSmallIntegerField(
        _("usual level"), default=0, help_text=_("Usual depth in the tree; only for ordering.")
    )
    is_historical = models.BooleanField(_("historical"), default=False)
    archived = models.BooleanField(_("archived"), default=False)

    class Meta:
        ordering = ["level", "name"]
        verbose_name = _("unit type")
        verbose_name_plural = _("unit types")

    def __str__(self) -> str:
        return self.name


class UnitQuerySet(models.QuerySet["Unit"]):
    def open(self) -> UnitQuerySet:
        return self.filter(closed_on__isnull=True)

    def subtree(self, path: str) -> UnitQuerySet:
        return self.filter(path__subtree=path)


class Unit(models.Model):
    name = models.CharField(_("name"), max_length=200)
    name_folded = models.CharField(max_length=200, db_index=True, editable=False)
    unit_type = models.ForeignKey(
        UnitType, on_delete=models.PROTECT, related_name="units", verbose_name=_("unit type")
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent unit"),
    )
    path = TreePathField(editable=False)
    depth = models.PositiveSmallIntegerField(editable=False, default=0)
    gso_code = models.CharField(
        _("administrative (GSO) code"), max_length=20, null=True, blank=True
    )
    village = models.CharField(_("village / hamlet / residential group"), max_length=200,
                               blank=True)
    is_border = models.BooleanField(_("border area"), default=False)
    is_remote = models.BooleanField(_("remote area"), default=False)
    is_far_flung = models.BooleanField(_("far-flung area"), default=False)
    is_ethnic_minority = models.BooleanField(_("ethnic minority area"), default=False)
    opened_on = models.DateField(_("opened on"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    closed_reason = models.CharField(_("reason for closing"), max_length=300, blank=True)
    successors = models.ManyToManyField(
        "self",
        through="Succession",
        through_fields=("predecessor", "successor"),
        symmetrical=False,
        related_name="predecessors",
        blank=True,
    )

    objects = UnitQuerySet.as_manager()

    class Meta:
        ordering = ["path"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        constraints = [
            models.UniqueConstraint(
                fields=["gso_code"],
                condition=Q(gso_code__isnull=False),
                name="org_unit_gso_code_unique",
            ),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(opened_on__isnull=True)
                | Q(closed_on__gte=models.F("opened_on")),
                name="org_unit_closed_after_opened",
            ),
        ]
        indexes = [models.Index(fields=["parent", "name_folded"], name="org_unit_parent_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.closed_on is None

    def is_within(self, path: str) -> bool:
        return is_within(self.path, path)

    def ancestor_ids(self) -> list[int]:
        return [int(p) for p in self.path.strip(PATH_SEPARATOR).split(PATH_SEPARATOR) if p]


class Succession(models.Model):
    """A unit that was closed by a merge or split, and the unit that carries on its work."""

    class Kind(models.TextChoices):
        MERGE = "merge", _("merged into")
        SPLIT = "split", _("split into")

    predecessor = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    successor = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    effective_on = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["predecessor", "successor"], name="org_succession_unique"
            ),
            models.CheckConstraint(
                condition=~Q(predecessor=models.F("successor")), name="org_succession_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.predecessor} → {self.successor} ({self.get_kind_display()})"


class UnitFact(models.Model):
    """A record of a unit, with a copy of the unit's path, so reports can sum any subtree with
    one range. ``PATH_PLACE`` says what the copy means when the unit moves in the tree
    (``paths.PLACES``): ``"now"``, something handled there now, which goes with its unit
    (``units.actions._repath_subtree``) and to its successor when it closes; ``"held"``,
    something that happened there, which goes with its unit and stays with it when it closes
    (decision 0100)."""

    PATH_PLACE: ClassVar[str | None] = None

    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("unit"))
    unit_path = TreePathField(editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+", editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True
