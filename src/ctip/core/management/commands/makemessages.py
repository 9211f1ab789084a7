"""Django's ``makemessages`` that also extracts the aliases the project uses for lazy
translation (``_l = gettext_lazy``), so no marked string escapes the catalogue (issue 15.6).
``tests/i18n`` checks that every marked string is in the Vietnamese catalogue."""

from __future__ import annotations

from django.core.management.commands import makemessages

# Aliases of gettext functions used in the code, as xgettext keywords.
EXTRA_KEYWORDS = ["--keyword=_l"]


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, *EXTRA_KEYWORDS]
