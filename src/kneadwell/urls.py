from django.contrib import admin
from django.urls import include, path, re_path

from kneadwell.api import errors as api_errors
from kneadwell.api.v1 import urls as api_urls
from kneadwell.health import healthz
from kneadwell.web.base import home

admin.site.site_header = "Kneadwell administration"
admin.site.site_title = "Kneadwell"

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api_urls()),
    re_path(r"^api(?:/(?P<rest>.*))?$", api_errors.not_found),
    path("", include("kneadwell.web.urls")),
]

# Under /api/ these answer in the API's JSON error envelope, elsewhere with Django's pages.
handler400 = api_errors.bad_request
handler403 = api_errors.permission_denied
handler404 = api_errors.page_not_found
handler500 = api_errors.server_error
