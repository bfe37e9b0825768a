from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "kneadwell.scheduling"
    label = "scheduling"
    verbose_name = "Scheduling"
