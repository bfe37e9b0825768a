from django.apps import AppConfig


class TherapistsConfig(AppConfig):
    name = "kneadwell.therapists"
    label = "therapists"
    verbose_name = "Therapists"
