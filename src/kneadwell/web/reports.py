"""Progress reports: the referrer's reports page, one report (page and PDF, each opening recorded),
and the clinic's "send a report now" / discharge summary."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from kneadwell.accounts.models import CARE_ROLES, AuditAction, Role, Viewer
from kneadwell.accounts.scoping import get_in_scope_or_404
from kneadwell.accounts.services import audit_record
from kneadwell.outcomes.models import DeliveryEvent, ProgressReport, ReportKind
from kneadwell.outcomes.reports import deliver, report_create, report_pdf
from kneadwell.referrals.selectors import referral_scope
from kneadwell.web.base import AuthenticatedRequest, role_required


def report_scope(user: Viewer) -> QuerySet[ProgressReport]:
    """Reports of the referrals `user` may see; a referrer sees only those sent to them."""
    qs = ProgressReport.objects.filter(referral__in=referral_scope(user)).select_related(
        "referral__provider", "patient"
    )
    if getattr(user, "role", None) == Role.REFERRER:
        qs = qs.filter(deliveries__event=DeliveryEvent.SENT).distinct()
    return qs


def _audit(
    request: AuthenticatedRequest, report: ProgressReport, action: AuditAction = AuditAction.READ
) -> None:
    audit_record(
        actor=request.user,
        action=action,
        object_type="progress_report",
        object_id=report.public_id,
        patient_ids=[report.patient.public_id],
        channel="web",
        request=request,
    )


@role_required(Role.REFERRER)
def referrer_reports(request: AuthenticatedRequest) -> HttpResponse:
    reports = list(report_scope(request.user).order_by("-created_at")[:100])
    if reports:
        audit_record(
            actor=request.user,
            action=AuditAction.READ,
            object_type="progress_report_list",
            patient_ids=sorted({str(r.patient.public_id) for r in reports}),
            channel="web",
            request=request,
        )
    opened = set(
        ProgressReport.objects.filter(
            pk__in=[r.pk for r in reports], deliveries__event=DeliveryEvent.OPENED
        ).values_list("pk", flat=True)
    )
    return render(request, "outcomes/referrer_reports.html", {"reports": reports, "opened": opened})


@role_required(*CARE_ROLES, Role.REFERRER, Role.PATIENT)
def report_page(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    report = get_in_scope_or_404(report_scope(request.user), public_id, request=request)
    if request.user.role == Role.REFERRER:
        deliver(report, event=DeliveryEvent.OPENED, by=request.user)
    _audit(request, report)
    return render(
        request,
        "outcomes/report.html",
        {
            "report": report,
            "c": report.content,
            "deliveries": report.deliveries.select_related("provider", "by"),
        },
    )


@role_required(*CARE_ROLES, Role.REFERRER, Role.PATIENT)
def report_pdf_view(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    report = get_in_scope_or_404(report_scope(request.user), public_id, request=request)
    if request.user.role == Role.REFERRER:
        deliver(report, event=DeliveryEvent.DOWNLOADED, by=request.user)
    _audit(request, report)
    response = HttpResponse(report_pdf(report), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="progress-report-{report.created_at:%Y-%m-%d}.pdf"'
    )
    return response


@require_POST
@role_required(*CARE_ROLES)
def referral_report_send(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    referral = get_in_scope_or_404(referral_scope(request.user), public_id, request=request)
    kind = request.POST.get("kind", ReportKind.ON_DEMAND)
    if kind not in (ReportKind.ON_DEMAND, ReportKind.NOT_IMPROVING, ReportKind.DISCHARGE):
        kind = ReportKind.ON_DEMAND
    report = report_create(actor=request.user, referral=referral, kind=kind)
    if not report.deliveries.filter(event=DeliveryEvent.SENT).exists():
        deliver(report, event=DeliveryEvent.SENT, by=request.user)
    _audit(request, report, AuditAction.CREATE)
    messages.success(request, f"{ReportKind(kind).label} sent to {referral.provider.name}'s portal.")
    return redirect("report-page", report.public_id)
