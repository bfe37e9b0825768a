from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "kneadwell.accounts"
    label = "accounts"
    verbose_name = "Accounts and access"

    def ready(self) -> None:
        from . import signals

        signals.connect()
