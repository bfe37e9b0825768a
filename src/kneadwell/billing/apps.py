from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "kneadwell.billing"
    label = "billing"
    verbose_name = "Billing"
