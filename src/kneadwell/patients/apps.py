from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "kneadwell.patients"
    label = "patients"
    verbose_name = "Patients"
