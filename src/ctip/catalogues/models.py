"""The catalogues shared by awareness work and the clubs: target groups, emulation movements and
the library's topics. Their tables are still named after ``outreach``, where they were first
kept (decision 0068)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from ctip.core.models import CatalogueEntry


class Audience(CatalogueEntry):
    class Meta(CatalogueEntry.Meta):
        db_table = "outreach_audience"
        verbose_name = _("audience")
        verbose_name_plural = _("audiences")


class Movement(models.Model):
    """An emulation movement (phong trào thi đua) or campaign (cuộc vận động)."""

    class Kind(models.TextChoices):
        MOVEMENT = "movement", _("emulation movement")
        CAMPAIGN = "campaign", _("campaign")

    name = models.CharField(_("name"), max_length=300)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices,
                            default=Kind.MOVEMENT)
    description = models.TextField(_("description"), blank=True)
    archived = models.BooleanField(_("archived"), default=False)

    class Meta:
        db_table = "outreach_movement"
        ordering = ["name"]
        verbose_name = _("movement")
        verbose_name_plural = _("movements")

    def __str__(self) -> str:
        return self.name


class Topic(models.Model):
    class Kind(models.TextChoices):
        LAW = "law", _("law and policy")
        TRICK = "trick", _("traffickers' tricks")
        HOTLINE = "hotline", _("hotline and help")
        MIGRATION = "migration", _("safe migration and work abroad")
        MARRIAGE = "marriage", _("marriage with foreigners")
        OTHER = "other", _("other")

    name = models.CharField(_("name"), max_length=300)
    name_folded = models.CharField(max_length=300, db_index=True, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    description = models.TextField(_("description"), blank=True)
    archived = models.BooleanField(_("archived"), default=False)

    class Meta:
        db_table = "outreach_topic"
        ordering = ["kind", "name"]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")

    def __str__(self) -> str:
        return self.name
