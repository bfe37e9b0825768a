from django.urls import path

from . import views

urlpatterns = [
    path("referrer/", views.referrer_home, name="referrer-home"),
]
