from django.apps import AppConfig


class ChartingConfig(AppConfig):
    name = "kneadwell.charting"
    label = "charting"
    verbose_name = "Session records and consents"

    def ready(self) -> None:
        # Scheduling sits below this app: it announces a moved appointment, and the note follows.
        from kneadwell.scheduling import signals

        from . import receivers

        signals.appointment_moved.connect(receivers.on_moved, dispatch_uid="charting-note-start")
