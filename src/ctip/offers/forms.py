from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ctip.offers.check import READ_LIMIT, grouped


class OfferCheckForm(forms.Form):
    # No max_length: a longer paste is not refused, only its first READ_LIMIT characters are
    # read (and the page says so). Django's upload limit bounds the request itself.
    text = forms.CharField(
        label=_("Paste the offer here"), required=False, strip=True,
        widget=forms.Textarea(attrs={"rows": 9, "spellcheck": "false",
                                     "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["text"].help_text = _(
            "The message as you received it (Zalo, Facebook, Telegram, SMS…). Only the first "
            "%(n)s characters are read.") % {"n": grouped(READ_LIMIT)}
