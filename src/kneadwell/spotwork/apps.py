from django.apps import AppConfig


class SpotworkConfig(AppConfig):
    name = "kneadwell.spotwork"
    label = "spotwork"
    verbose_name = "Spot work"

    def ready(self) -> None:
        # Scheduling sits below this app: hand it the host-visit lookup its spot-work rule needs.
        from kneadwell.scheduling.gates import register_host_visit_lookup

        from .selectors import host_visit_spans

        register_host_visit_lookup(host_visit_spans)
