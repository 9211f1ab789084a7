"""Who may do what in outreach (activities, campaigns, the topic and material library,
speakers): one function per rule, called by the pages and the reads.

- Recording activities: ``activity.manage`` (any activity of the units below), or
  ``activity.log_own`` (a speaker's own talks, herself among the speakers).
- Campaigns and speakers: ``activity.manage`` over their unit.
- The library (topics, materials, movements): read with ``activity.view`` anywhere; kept
  (archived entries shown, entries changed) with ``catalogue.manage``.

Whether an existing activity may be changed is ``actions.can_edit_activity``'s.
"""

from __future__ import annotations

from typing import Any

from ctip.accounts.policy import NotInScope, has_capability
from ctip.outreach.models import Campaign, Speaker


def can_log(user: Any) -> bool:
    """Whether ``user`` records activities somewhere: all of them, or her own talks."""
    return has_capability(user, "activity.manage") or has_capability(user, "activity.log_own")


def manages_somewhere(user: Any) -> bool:
    """``activity.manage`` over some unit: she creates campaigns and speakers and records
    others' activities (without it, only her own talks)."""
    return has_capability(user, "activity.manage")


def can_manage_campaign(user: Any, campaign: Campaign) -> bool:
    return has_capability(user, "activity.manage", campaign.unit)


def require_campaign_manager(user: Any, campaign: Campaign) -> None:
    """``can_manage_campaign`` for a page that changes the campaign: 404 otherwise."""
    if not can_manage_campaign(user, campaign):
        raise NotInScope("activity.manage")


def can_manage_speaker(user: Any, speaker: Speaker) -> bool:
    return has_capability(user, "activity.manage", speaker.unit)


def can_keep_library(user: Any) -> bool:
    """Whether ``user`` keeps the topic and material library and the movements."""
    return has_capability(user, "catalogue.manage")


def require_library(viewer: Any) -> None:
    """The library is read by holders of ``activity.view`` anywhere: 404 otherwise."""
    if not has_capability(viewer, "activity.view"):
        raise NotInScope("activity.view")
