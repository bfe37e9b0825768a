from django.urls import path

from . import views

urlpatterns = [
    path("settings/audit/", views.audit_log, name="audit-log"),
]
