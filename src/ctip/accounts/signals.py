"""Signals of the accounts, for the modules that act on what happens to an account."""

from django.dispatch import Signal

# Sent when sign-in for ``username`` from ``address`` is locked (``until``: when it opens
# again, or None). The cases app's notifications tell those who can reset the password
# (``ctip.cases.notices``), so accounts need not know where notifications live.
sign_in_locked = Signal()

# Sent inside the transaction of a role revoked or an account deactivated, after the audit
# event: the cases app takes ``user`` off the cases her remaining roles no longer cover
# (``ctip.cases.actions.end_uncovered_assignments``), each removal audited by ``actor``;
# ``why`` ("role_revoked", "deactivated") goes into those events.
access_narrowed = Signal()

# Sent inside the transaction of a role granted or revoked: the bulletin puts ``user`` in the
# CMS groups her roles now give (``ctip.portal.permissions.sync_wagtail_groups``).
roles_changed = Signal()
