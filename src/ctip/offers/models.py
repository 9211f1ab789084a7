"""The library of warning signs, kept by the Union's editors in the CMS (a Wagtail snippet).

No model here holds a pasted offer: the check runs in memory (``ctip.offers.check``).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalManyToManyField
from modelcluster.models import ClusterableModel

from ctip.cases import htcds
from ctip.offers.matching import pattern_problem

LINES_MAX = 200
LINE_MAX = 200


# The sign's fields naming codes of the trafficking process, with their code lists.
HTCDS_FIELDS: dict[str, type[models.TextChoices]] = {
    "recruitment_methods": htcds.RecruitmentMethod,
    "exploitation": htcds.Exploitation,
    "means_of_control": htcds.MeansOfControl,
}


def lines(value: str) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


class WarningSign(ClusterableModel):
    code = models.SlugField(_("code"), max_length=60, unique=True,
                            help_text=_("A short name without accents, used by the JSON "
                                        "interface (for example debt-bondage)."))
    title = models.CharField(_("title"), max_length=150)
    explanation = models.TextField(_("explanation"), max_length=1000,
                                   help_text=_("Why this sign matters, in plain words."))
    questions = models.TextField(
        _("questions to ask"), blank=True, max_length=2000,
        help_text=_("One question per line, shown under 'What to do'."))
    weight = models.PositiveSmallIntegerField(
        _("weight"), default=2, validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("1 (weak) to 5 (strong). An offer whose signs weigh 3 or more together is "
                    "a medium risk, 6 or more a high risk."))
    phrases = models.TextField(
        _("phrases"), blank=True, max_length=20_000,
        help_text=_("One phrase per line, written as people type it. Matching ignores accents, "
                    "case and punctuation and understands teencode (k, ko, lg, vc, sđt…)."))
    patterns = models.TextField(
        _("patterns"), blank=True, max_length=5000,
        help_text=_("Advanced: one regular expression per line, matched on the text without "
                    "accents, in lower case, teencode written out."))
    pay_threshold = models.PositiveIntegerField(
        _("pay threshold (million ₫ a month)"), null=True, blank=True,
        validators=[MaxValueValidator(10_000)],
        help_text=_("Also found when the offer promises at least this pay (2k$, 3 nghìn đô, "
                    "50tr/tháng…), if one of the context words below is in the text too."))
    pay_context = models.TextField(
        _("context words for the pay threshold"), blank=True, max_length=5000,
        help_text=_("One per line; empty: the pay alone is enough."))
    articles = ParentalManyToManyField(
        "portal.ArticlePage", blank=True, related_name="warning_signs",
        verbose_name=_("bulletin articles"))
    # What the sign warns of in the trafficking process recorded on cases (HTCDS codes of
    # ``ctip.cases.htcds``) and the topics of the outreach library that teach it: the
    # prevention figures show them next to the persons recruited, exploited or kept that way.
    recruitment_methods = models.JSONField(
        _("recruitment methods it warns of"), default=list, blank=True)
    exploitation = models.JSONField(_("types of exploitation it warns of"), default=list,
                                    blank=True)
    means_of_control = models.JSONField(_("means of control it warns of"), default=list,
                                        blank=True)
    topics = ParentalManyToManyField(
        "catalogues.Topic", blank=True, related_name="warning_signs",
        verbose_name=_("outreach topics that teach it"))
    active = models.BooleanField(_("in use"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("warning sign")
        verbose_name_plural = _("warning signs")

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        super().clean()
        errors: dict[str, list[Any]] = {}
        for name in ("phrases", "patterns", "questions", "pay_context"):
            found = lines(getattr(self, name))
            if len(found) > LINES_MAX:
                errors.setdefault(name, []).append(
                    _("At most %(n)d lines.") % {"n": LINES_MAX})
            if any(len(line) > LINE_MAX for line in found):
                errors.setdefault(name, []).append(
                    _("Each line may have at most %(n)d characters.") % {"n": LINE_MAX})
        messages = {
            "invalid": _("Line %(n)d is not a valid regular expression."),
            "nested": _("Line %(n)d repeats a repeated group, which can make the check "
                        "very slow: write it without the nested repetition."),
            "too_long": _("Line %(n)d is too long."),
        }
        for n, pattern in enumerate(lines(self.patterns), start=1):
            problem = pattern_problem(pattern)
            if problem:
                errors.setdefault("patterns", []).append(messages[problem] % {"n": n})
        for name, choices in HTCDS_FIELDS.items():
            value = getattr(self, name)
            if not isinstance(value, list) or not set(value) <= set(choices.values):
                errors.setdefault(name, []).append(_("Choose values from the list."))
        if not lines(self.phrases) and not lines(self.patterns) and not self.pay_threshold:
            errors.setdefault("phrases", []).append(
                _("Give at least one phrase, pattern or pay threshold."))
        if errors:
            raise ValidationError(errors)
