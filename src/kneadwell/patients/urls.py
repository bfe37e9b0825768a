from django.urls import path

from . import views

urlpatterns = [
    path("me/", views.patient_home, name="patient-home"),
    path("patients/", views.patient_search, name="patient-search"),
    path("patients/<str:public_id>/", views.patient_detail, name="patient-detail"),
]
