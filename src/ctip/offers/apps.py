from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OffersConfig(AppConfig):
    name = "ctip.offers"
    label = "offers"
    verbose_name = _("Job-offer check")

    def ready(self) -> None:
        # ready(): both modules import models, which exist only once the apps are loaded
        from ctip.offers.library import prevention_signs
        from ctip.reports.prevention import provide_signs

        provide_signs(prevention_signs)
