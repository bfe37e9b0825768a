from django.apps import AppConfig


class ChartingConfig(AppConfig):
    name = "kneadwell.charting"
    label = "charting"
    verbose_name = "Session records and consents"
