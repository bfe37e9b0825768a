from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "kneadwell.intake"
    label = "intake"
    verbose_name = "Intake and screening"
