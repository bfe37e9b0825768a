"""The Django admin, audited: every changelist and change page read, every add, change and delete.

The admin can show and change any patient's data, so it is audited like the
rest of Kneadwell (channel "admin"). `AuditedAdminSite` is the project's
default admin site (settings: KneadwellAdminConfig); whatever ModelAdmin an app
registers, the site mixes `AuditedModelAdmin` into it, so no app has to
remember to.

Reads: a changelist records one event per patient on the page (rows that
concern no patient are counted in one event); a change, delete-confirmation
or history page records the object. Writes go through the admin's own
`log_addition`, `log_change` and `log_deletions` hooks, which the admin calls
for forms, list edits and bulk actions alike, before a deletion happens.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib import admin
from django.contrib.admin.options import ModelAdmin
from django.db import models
from django.http import HttpRequest, HttpResponse

from .audit import audit_record
from .models import AuditAction
from .subjects import object_label, patient_ids_of

CHANNEL = "admin"


class AuditedModelAdmin(ModelAdmin):
    """Records reads and writes made through this ModelAdmin in the audit trail."""

    def _audit(
        self,
        request: HttpRequest,
        action: AuditAction,
        objects: Sequence[models.Model],
        *,
        detail: dict[str, Any],
    ) -> None:
        model = self.model
        pks = [obj.pk for obj in objects]
        audit_record(
            actor=getattr(request, "user", None),
            action=action,
            object_type=model._meta.label_lower,
            object_id=object_label(objects[0]) if len(objects) == 1 else "",
            patient_ids=patient_ids_of(model, pks),
            channel=CHANNEL,
            request=request,
            detail=detail,
        )

    @staticmethod
    def _context(response: HttpResponse) -> dict[str, Any]:
        return getattr(response, "context_data", None) or {}

    # ---- reads

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        changelist = self._context(response).get("cl")
        if changelist is not None and response.status_code == 200:
            rows = list(changelist.result_list)
            self._audit(request, AuditAction.READ, rows, detail={"view": "changelist", "rows": len(rows)})
        return response

    def _read_one(self, request: HttpRequest, response: HttpResponse, view: str, key: str) -> None:
        obj = self._context(response).get(key)
        if isinstance(obj, models.Model) and response.status_code == 200:
            self._audit(request, AuditAction.READ, [obj], detail={"view": view})

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        self._read_one(request, response, "change", "original")
        return response

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().delete_view(request, object_id, extra_context)
        self._read_one(request, response, "delete_confirmation", "object")
        return response

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().history_view(request, object_id, extra_context)
        self._read_one(request, response, "history", "object")
        return response

    # ---- writes (the admin calls these for every add, change and delete it makes)

    def log_addition(self, request: HttpRequest, obj: models.Model, message: Any) -> Any:
        self._audit(request, AuditAction.CREATE, [obj], detail={"change": message or []})
        return super().log_addition(request, obj, message)

    def log_change(self, request: HttpRequest, obj: models.Model, message: Any) -> Any:
        self._audit(request, AuditAction.UPDATE, [obj], detail={"change": message or []})
        return super().log_change(request, obj, message)

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        objects = list(queryset)
        if objects:
            self._audit(
                request,
                AuditAction.DELETE,
                objects,
                detail={"deleted": [object_label(obj) for obj in objects[:200]], "count": len(objects)},
            )
        return super().log_deletions(request, queryset)


class AuditedAdminSite(admin.AdminSite):
    """The default admin site: every registered ModelAdmin is audited."""

    def register(
        self,
        model_or_iterable: type[models.Model] | Iterable[type[models.Model]],
        admin_class: type[ModelAdmin] | None = None,
        **options: Any,
    ) -> None:
        admin_class = admin_class or ModelAdmin
        if not issubclass(admin_class, AuditedModelAdmin):
            admin_class = type(
                admin_class.__name__,
                (AuditedModelAdmin, admin_class),
                {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__},
            )
        super().register(model_or_iterable, admin_class, **options)
