from django.urls import path

from . import views

urlpatterns = [
    path("desk/today/", views.desk_today, name="desk-today"),
    path("therapist/day/", views.therapist_day, name="therapist-day"),
]
