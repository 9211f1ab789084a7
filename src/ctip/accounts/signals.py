"""Signals of the accounts, for the modules that act on what happens to an account."""

from django.dispatch import Signal

# Sent when sign-in for ``username`` from ``address`` is locked (``until``: when it opens
# again, or None). The cases app's notifications tell those who can reset the password
# (``ctip.cases.notices``), so accounts need not know where notifications live.
sign_in_locked = Signal()
