from django.apps import AppConfig


class WebConfig(AppConfig):
    """The HTML interface: pages for every role, above the domain apps (it owns no models)."""

    name = "kneadwell.web"
    label = "web"
