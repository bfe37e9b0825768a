from django.apps import AppConfig
from django.core import checks


class IntakeConfig(AppConfig):
    name = "kneadwell.intake"
    label = "intake"
    verbose_name = "Intake and screening"

    def ready(self) -> None:
        checks.register(catalogue_check)


def catalogue_check(app_configs: object, **kwargs: object) -> list[checks.CheckMessage]:
    """The clinical catalogue (shipped, or the clinic's KNEADWELL_CATALOGUE_DIR copy) must be consistent."""
    from kneadwell.knowledge import loader

    return [
        checks.Error(message, hint=f"Fix the data files in {loader.data_dir()}.", id="kneadwell.E001")
        for message in loader.load_errors()
    ]
