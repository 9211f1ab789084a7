from django.apps import AppConfig


class HomeConfig(AppConfig):
    """The staff home page: a work list composed from the modules it shows. It sits above
    them (it imports cases, reports, outreach, portal; none of them imports it)."""

    name = "ctip.home"
    label = "home"
    verbose_name = "Home"
