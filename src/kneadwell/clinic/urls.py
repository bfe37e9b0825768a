from django.urls import path

from . import views

urlpatterns = [
    path("settings/", views.admin_home, name="admin-home"),
]
