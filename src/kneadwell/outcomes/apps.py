from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "kneadwell.outcomes"
    label = "outcomes"
    verbose_name = "Outcome measures and progress reports"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects the progress-report-when-due receiver)
