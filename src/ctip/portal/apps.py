from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "ctip.portal"
    label = "portal"
    verbose_name = _("Public bulletin")

    def ready(self) -> None:
        # ready(): these modules import the bulletin's and Wagtail's models, which exist only
        # once the apps are loaded
        from ctip.portal import (
            audit,
            caching,
            cms_scripts,
            notifications,
            permissions,
            slugs,
            unit_chooser,
        )

        slugs.use_vietnamese_slug_input()
        cms_scripts.install()
        unit_chooser.use_unit_tree_chooser()
        audit.connect_signals()
        caching.connect_signals()
        notifications.connect_signals()
        permissions.connect_signals()
        _label_wagtail_link_forms()


def _label_wagtail_link_forms() -> None:
    """Wagtail's link choosers leave these labels to Django, which makes them (in English)
    from the field names: give them translatable ones."""
    # ready(): Wagtail's admin forms import models, which exist only once the apps are loaded
    from wagtail.admin.forms import choosers

    labels = {
        choosers.ExternalLinkChooserForm: {"link_text": _("Link text")},
        choosers.AnchorLinkChooserForm: {"link_text": _("Link text")},
        choosers.EmailLinkChooserForm: {"email_address": _("Email address"),
                                        "link_text": _("Link text"),
                                        "subject": _("Email subject"),
                                        "body": _("Email body")},
        choosers.PhoneLinkChooserForm: {"phone_number": _("Phone number"),
                                        "link_text": _("Link text")},
    }
    for form, fields in labels.items():
        for name, label in fields.items():
            if name in form.base_fields and form.base_fields[name].label is None:
                form.base_fields[name].label = label
