from django.apps import AppConfig


class WaitlistConfig(AppConfig):
    name = "kneadwell.waitlist"
    label = "waitlist"
    verbose_name = "Waitlist"

    def ready(self) -> None:
        # A cancellation or a move frees a time (scheduling sits below this app and announces it); the
        # worker's tick expires offers and offers the time on (notifications' periodic signal).
        from kneadwell.notifications.worker import tick
        from kneadwell.scheduling import signals

        from . import receivers

        signals.appointment_cancelled.connect(receivers.on_cancelled, dispatch_uid="waitlist-cancelled")
        signals.appointment_changed.connect(receivers.on_changed, dispatch_uid="waitlist-changed")
        tick.connect(receivers.on_tick, dispatch_uid="waitlist-tick")
