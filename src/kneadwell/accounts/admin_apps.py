"""The admin app with the audited site (its own module: apps.py may declare one default AppConfig)."""

from django.contrib.admin.apps import AdminConfig


class KneadwellAdminConfig(AdminConfig):
    """django.contrib.admin with the audited site as `admin.site` (accounts/admin_site.py)."""

    default_site = "kneadwell.accounts.admin_site.AuditedAdminSite"
