from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "kneadwell.planning"
    label = "planning"
    verbose_name = "Plans of care"
