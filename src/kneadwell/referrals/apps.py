from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "kneadwell.referrals"
    label = "referrals"
    verbose_name = "Referrals"
