from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "kneadwell.notifications"
    label = "notifications"
    verbose_name = "Messages and calendars"

    def ready(self) -> None:
        # Booking announces what happened (scheduling sits below this app); the patient hears of it.
        from kneadwell.scheduling import signals

        from . import receivers

        signals.appointment_booked.connect(receivers.on_booked, dispatch_uid="notify-booked")
        signals.appointment_changed.connect(receivers.on_changed, dispatch_uid="notify-changed")
        signals.appointment_cancelled.connect(receivers.on_cancelled, dispatch_uid="notify-cancelled")
