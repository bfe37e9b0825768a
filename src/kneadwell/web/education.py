"""Public patient-education pages, and the ICD-10-CM hint used by the referral and call forms."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from kneadwell.accounts.models import CARE_ROLES, Role
from kneadwell.education.content import condition_page, index_entries
from kneadwell.knowledge import icd10
from kneadwell.knowledge.schemas import check_icd10
from kneadwell.web.base import AuthenticatedRequest


def icd10_hint(request: AuthenticatedRequest) -> HttpResponse:
    """Checks a typed ICD-10-CM code: its title, or why not and (for a header) its billable children."""
    if not request.user.is_authenticated or request.user.role not in (*CARE_ROLES, Role.REFERRER):
        raise Http404
    code = (request.GET.get("icd10") or request.GET.get(request.GET.get("field", ""), "") or "").strip()[:8]
    context: dict[str, Any] = {"code": code}
    if code:
        try:
            normalised = check_icd10(code)
            context["title"] = icd10.icd10_title(normalised)
            context["normalised"] = normalised
        except ValueError as exc:
            context["error"] = str(exc)
            found = icd10.icd10_lookup(code)
            context["children"] = [(c, icd10.icd10_title(c)) for c in found.children[:12]]
    return render(request, "intake/includes/icd10_hint.html", context)


def learn_index(request: AuthenticatedRequest) -> HttpResponse:
    return render(request, "education/index.html", {"entries": index_entries()})


def learn_condition(request: AuthenticatedRequest, key: str) -> HttpResponse:
    page = condition_page(key)
    if page is None:
        raise Http404("No such condition.")
    return render(request, "education/condition.html", {"page": page, "learn_index": reverse("learn-index")})
