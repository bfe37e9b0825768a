from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "kneadwell.notifications"
    label = "notifications"
    verbose_name = "Messages and calendars"
