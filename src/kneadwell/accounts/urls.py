from django.urls import path

from . import views

urlpatterns = [
    path("settings/audit/", views.audit_log, name="audit-log"),
    path("session/status", views.session_status, name="session-status"),
]
