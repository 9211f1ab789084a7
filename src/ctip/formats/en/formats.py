"""The English interface shows dates and numbers as the Vietnamese one does (dd/mm/yyyy,
24-hour time, "1.234,5"): the records are Vietnamese whatever the language of the menus."""

from ctip.formats.vi.formats import *  # noqa: F403
