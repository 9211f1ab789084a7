"""Signals of the organisation tree, for the modules that keep something derived from it."""

from django.dispatch import Signal

# Sent inside the transaction of a move, merge or split, once the paths and closures are
# saved (``units``: the units moved, closed or created). Whatever is derived from where units
# sit in the tree or whether they are open (the bulletin's Wagtail groups, for one) is brought
# up to date in the same transaction.
units_restructured = Signal()

# Sent inside a merger's transaction for each unit merged (``source``) into ``into``, and in a
# split's for the unit split (``source``) and the part that takes its records (``into``),
# before the source closes: the apps whose records are handled at a unit now
# (``org.paths.PLACES``) hand the source's own over to its successor (its children have moved
# already).
unit_merged = Signal()

# Sent around a move's rewrite of the stored paths of ``sender``'s rows that keeps their unit:
# ``rows`` (a queryset) selects them before the rewrite with ``sign=-1``, and after it with
# ``sign=1``. What is summed by path from those rows (the activity roll-ups) is taken away
# from the old paths and added at the new ones in one statement each: the row triggers ignore
# a path that changes without its unit.
paths_rewriting = Signal()

# Sent after ``ctip units check --repair`` wrote their unit's path into ``count`` rows of
# ``sender`` whose stored path was another. Where their sums stood is not known (a move made
# before decision 0100 took them along; a path written by hand did not), so what is summed by
# path from them is made again from the records.
paths_repaired = Signal()
