"""No framework leftovers in what people read (issue 15.4).

Django labels the empty choice of every select "---------" (``BLANK_CHOICE_DASH`` for model
fields with choices, ``ModelChoiceField``'s ``empty_label``). ``register`` replaces both, once
at start-up, with a translated "— Choose —", so every form gets it without each declaring it.
Django's own validator messages whose Vietnamese translation reads badly ("... bằng với 0 .")
are translated again in our catalogue, which ``LOCALE_PATHS`` puts before Django's.
"""

from __future__ import annotations

from django.db.models import fields
from django.forms import models as form_models
from django.utils.translation import gettext_lazy as _

EMPTY_CHOICE = _("— Choose —")


def register() -> None:
    # the list object is the default argument of Field.get_choices: change it in place
    fields.BLANK_CHOICE_DASH[:] = [("", EMPTY_CHOICE)]  # type: ignore[list-item]
    defaults = form_models.ModelChoiceField.__init__.__kwdefaults__
    if defaults is not None and defaults.get("empty_label") == "---------":
        defaults["empty_label"] = EMPTY_CHOICE
