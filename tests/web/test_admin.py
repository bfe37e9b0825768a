"""The Django admin: every model registered and usable; the audit trail read-only even for superusers."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from kneadwell.accounts.models import AuditEvent, User
from kneadwell.accounts.services import audit_record

KNEADWELL_APPS = {"accounts", "clinic", "therapists", "patients", "referrals", "scheduling"}


def test_every_kneadwell_model_is_registered():
    from django.apps import apps

    models = [m for m in apps.get_models() if m._meta.app_label in KNEADWELL_APPS]
    missing = [m.__name__ for m in models if not admin.site.is_registered(m)]
    assert missing == []


@pytest.mark.parametrize(
    "model",
    [m for m in admin.site._registry if m._meta.app_label in KNEADWELL_APPS],
    ids=lambda m: m.__name__,
)
def test_changelist_and_change_pages_render(superuser_client, model):
    opts = model._meta
    assert (
        superuser_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")).status_code
        == 200
    )
    obj = model.objects.first()
    if obj is not None:
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        assert superuser_client.get(url).status_code == 200


def test_changelist_search_works(superuser_client):
    response = superuser_client.get(reverse("admin:patients_patient_changelist"), {"q": "Palmer"})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list.values_list("family_name", flat=True)) == ["Palmer"]


def test_user_admin_shows_and_filters_by_role(superuser_client):
    model_admin = admin.site._registry[User]
    assert "role" in model_admin.list_display
    assert "role" in model_admin.list_filter
    response = superuser_client.get(reverse("admin:accounts_user_changelist"), {"role__exact": "therapist"})
    assert sorted(u.username for u in response.context["cl"].result_list) == ["tess", "theo"]


def test_audit_events_cannot_be_added_changed_or_deleted_even_by_a_superuser(superuser_client, cast):
    audit_record(
        actor=cast.desk, action="read", object_type="patient", patient_ids=[cast.pat.public_id], channel="web"
    )
    event = AuditEvent.objects.get(channel="web")
    request = superuser_client.get(reverse("admin:index")).wsgi_request
    model_admin = admin.site._registry[AuditEvent]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)
    assert superuser_client.get(reverse("admin:accounts_auditevent_add")).status_code == 403
    assert (
        superuser_client.post(
            reverse("admin:accounts_auditevent_delete", args=[event.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert AuditEvent.objects.filter(channel="web").count() == 1


def test_appointments_cannot_be_added_in_the_admin(superuser_client):
    assert superuser_client.get(reverse("admin:scheduling_appointment_add")).status_code == 403


def test_admin_home_links_resolve(client, cast, admin_mfa):
    from kneadwell.web.clinic import ADMIN_LINKS

    client.force_login(admin_mfa)
    page = client.get(reverse("admin-home")).content.decode()
    for _label, url_name, _help in ADMIN_LINKS:
        assert f'href="{reverse(url_name)}"' in page
    assert f'href="{reverse("audit-log")}"' in page
