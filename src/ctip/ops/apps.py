from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operations over the whole system: backup and restore, ``ctip check``, ``ctip keys``.
    They read every app's data (the field keys, the rights notice, the audit checkpoints), so
    they sit above the domain apps (decision 0053)."""

    name = "ctip.ops"
    label = "ops"
    verbose_name = "Operations"
