from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "ctip.api"
    label = "api"
    verbose_name = "API"

    def ready(self) -> None:
        # ready(): these modules import models, which exist only once the apps are loaded
        from ctip.accounts.own_account import add_part
        from ctip.api.own_tokens import tokens_listed

        add_part("tokens", tokens_listed)  # the own-account page's token section
