from django.contrib import admin
from django.urls import include, path, re_path

from kneadwell.api.v1 import api, not_found
from kneadwell.health import healthz
from kneadwell.web.base import home

admin.site.site_header = "Kneadwell administration"
admin.site.site_title = "Kneadwell"

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    re_path(r"^api/(?P<rest>.*)$", not_found),
    path("", include("kneadwell.web.urls")),
]
