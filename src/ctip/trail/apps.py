from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrailConfig(AppConfig):
    """The audit trail's pages and readers: who may read which events, the list of events and
    its filters, and which auditors are told of each signed checkpoint. They ask about roles,
    so they sit above ``accounts``, which writes the trail; the trail itself (events, chain,
    keys, checkpoints, ``ctip audit``) is the ``audit`` app below both (decision 0058)."""

    name = "ctip.trail"
    label = "trail"
    verbose_name = _("Audit trail")

    def ready(self) -> None:
        # ready(): both modules import models, which exist only once the apps are loaded
        from ctip.audit.checkpoints import tell_checkpoints_to
        from ctip.trail.selectors import auditors_to_tell

        tell_checkpoints_to(auditors_to_tell)
