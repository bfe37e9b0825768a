from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "kneadwell.clinic"
    label = "clinic"
    verbose_name = "Clinic"
