"""Every page's URL. Names are prefixed by area (desk-, patient-, referrer-), not namespaced."""

from django.urls import path

from . import billing as billing_pages
from . import (
    boards,
    booking,
    calendars,
    call,
    care,
    checks,
    clinic,
    contact,
    days,
    delivery,
    education,
    notes,
    patients,
    portal,
    progress,
    referrals,
    waitlist,
)
from . import reports as report_pages
from . import spotwork as spotwork_pages

urlpatterns = [
    # Front desk
    path("desk/today/", days.desk_today, name="desk-today"),
    path("desk/call/", call.desk_call, name="desk-call"),
    path("desk/call/live/", call.desk_call_live, name="desk-call-live"),
    path("desk/call/patients/", call.desk_call_patients, name="desk-call-patients"),
    path("desk/call/done/<str:public_id>/", call.desk_call_done, name="desk-call-done"),
    path("desk/referrals/", referrals.referral_inbox, name="referral-inbox"),
    path("desk/referrals/new/", referrals.desk_referral_new, name="desk-referral-new"),
    path("desk/referrals/<str:public_id>/triage/", referrals.referral_triage, name="referral-triage"),
    path("desk/messages/", delivery.message_log_view, name="desk-messages"),
    path("desk/spot-work/", spotwork_pages.spot_work_board, name="spot-work-board"),
    path("desk/messages/<str:public_id>/retry/", delivery.message_retry_view, name="desk-message-retry"),
    path(
        "desk/messages/<str:public_id>/handled/", delivery.message_handled_view, name="desk-message-handled"
    ),
    path("desk/waitlist/", waitlist.desk_waitlist, name="desk-waitlist"),
    path("patients/<str:public_id>/waitlist/", waitlist.desk_waitlist_add, name="patient-waitlist-add"),
    path("waitlist/<str:public_id>/cancel/", waitlist.request_cancel_view, name="waitlist-request-cancel"),
    path(
        "waitlist/offers/<str:public_id>/accept/",
        waitlist.offer_answer_view,
        {"answer": "accept"},
        name="waitlist-offer-accept",
    ),
    path(
        "waitlist/offers/<str:public_id>/decline/",
        waitlist.offer_answer_view,
        {"answer": "decline"},
        name="waitlist-offer-decline",
    ),
    # Therapist
    path("therapist/day/", days.therapist_day, name="therapist-day"),
    path("therapist/calendar-feed/", calendars.therapist_feed_create, name="therapist-feed-create"),
    # Patients (staff and carers)
    path("patients/", patients.patient_search, name="patient-search"),
    path("patients/<str:public_id>/", patients.patient_detail, name="patient-detail"),
    path("patients/<str:public_id>/care/", patients.patient_care_sections, name="patient-care"),
    path("patients/<str:public_id>/visits/", patients.patient_visits, name="patient-visits"),
    path("patients/<str:public_id>/merge/", patients.patient_merge_view, name="patient-merge"),
    path("patients/<str:public_id>/unmerge/", patients.patient_unmerge_view, name="patient-unmerge"),
    path("patients/<str:public_id>/session-plan/", care.session_plan_partial, name="patient-session-plan"),
    path("patients/<str:public_id>/care-plan/", care.care_plan_create, name="patient-care-plan"),
    path(
        "patients/<str:public_id>/care-plan/<str:plan_id>/approve/",
        care.care_plan_approve_view,
        name="patient-care-plan-approve",
    ),
    path("patients/<str:public_id>/handoff/", care.handoff_view, name="patient-handoff"),
    path("patients/<str:public_id>/messages/", contact.patient_messages_view, name="patient-messages"),
    path("patients/<str:public_id>/contact/", contact.staff_patient_contact, name="patient-contact-staff"),
    path(
        "patients/<str:public_id>/calendar-feed/", calendars.patient_feed_create, name="patient-feed-create"
    ),
    path("patients/<str:public_id>/care-team/", care.care_team_add_view, name="patient-care-team"),
    path(
        "patients/<str:public_id>/clearance-request/",
        care.clearance_request_view,
        name="patient-clearance-request",
    ),
    path(
        "patients/<str:public_id>/inflammation-check/",
        checks.inflammation_check_view,
        name="patient-inflammation-check",
    ),
    # The patient's own portal
    path("me/", portal.patient_home, name="patient-home"),
    path("me/intake/", portal.patient_intake, name="patient-intake"),
    path("me/intake/questions/", portal.patient_intake_questions, name="patient-intake-questions"),
    path("me/contact/", contact.patient_contact, name="patient-contact"),
    path("me/waitlist/", waitlist.patient_waitlist, name="patient-waitlist"),
    path("me/calendar-feed/", calendars.patient_own_feed_create, name="patient-own-feed-create"),
    # Referring providers
    path("referrer/", referrals.referrer_home, name="referrer-home"),
    path("referrer/referrals/new/", referrals.referrer_referral_new, name="referrer-referral-new"),
    path(
        "referrer/clearances/<str:public_id>/decide/",
        referrals.clearance_decide_view,
        name="clearance-decide",
    ),
    path(
        "referrer/patients/<str:public_id>/clearance/",
        referrals.referrer_clearance_grant,
        name="referrer-clearance",
    ),
    path("clearances/<str:public_id>/document/", referrals.clearance_document, name="clearance-document"),
    # Clinic admin
    path("settings/", clinic.admin_home, name="admin-home"),
    path("settings/audit/", clinic.audit_log, name="audit-log"),
    path("session/status", clinic.session_status, name="session-status"),
    # Session records, outcomes, reports and superbills (issue 11)
    path("appointments/<str:public_id>/plan/", notes.appointment_plan_page, name="appointment-plan"),
    path("appointments/<str:public_id>/note/", notes.note_editor, name="appointment-note"),
    path(
        "appointments/<str:public_id>/superbill/", billing_pages.superbill_page, name="appointment-superbill"
    ),
    path(
        "appointments/<str:public_id>/superbill.pdf",
        billing_pages.superbill_pdf_view,
        name="appointment-superbill-pdf",
    ),
    path("notes/<str:public_id>/history/", notes.note_history, name="note-history"),
    path("patients/<str:public_id>/progress/", progress.patient_progress_page, name="patient-progress"),
    path("patients/<str:public_id>/consents/", progress.tablet_consents, name="patient-consents"),
    path(
        "patients/<str:public_id>/questionnaires/<str:key>/",
        progress.tablet_questionnaire,
        name="patient-questionnaire",
    ),
    path("me/progress/", progress.my_progress, name="my-progress"),
    path("me/consents/", progress.my_consents, name="my-consents"),
    path("me/questionnaires/<str:key>/", progress.my_questionnaire, name="my-questionnaire"),
    path("referrer/reports/", report_pages.referrer_reports, name="referrer-reports"),
    path("reports/<str:public_id>/", report_pages.report_page, name="report-page"),
    path("reports/<str:public_id>/pdf/", report_pages.report_pdf_view, name="report-pdf"),
    path("referrals/<str:public_id>/report/", report_pages.referral_report_send, name="referral-report-send"),
    # Calendars: a visit's .ics (anyone who may see it), feeds by their secret address (no sign-in)
    path(
        "appointments/<str:public_id>/calendar.ics",
        calendars.appointment_calendar_file,
        name="appointment-ics",
    ),
    path("calendar-feeds/<str:public_id>/revoke/", calendars.feed_revoke, name="feed-revoke"),
    path("calendar/<str:secret>.ics", calendars.calendar_feed, name="calendar-feed"),
    # Booking pages (issue 8 item 4): find a time, confirm, move, cancel, status; series; boards
    path("patients/<str:public_id>/book/", booking.patient_book, name="patient-book"),
    path(
        "patients/<str:public_id>/care-plan/<str:plan_id>/series/",
        boards.series_dialog,
        name="patient-series",
    ),
    path("appointments/<str:public_id>/booked/", booking.appointment_booked, name="appointment-booked"),
    path("appointments/<str:public_id>/move/", booking.appointment_move, name="appointment-move"),
    path("appointments/<str:public_id>/cancel/", booking.appointment_cancel_view, name="appointment-cancel"),
    path("appointments/<str:public_id>/status/", booking.appointment_status_view, name="appointment-status"),
    path("me/book/", booking.my_book, name="my-book"),
    path("desk/board/", boards.day_board, name="desk-board"),
    path("therapist/week/", boards.therapist_week, name="therapist-week"),
    # Everyone
    path("icd10/", education.icd10_hint, name="icd10-hint"),
    path("learn/", education.learn_index, name="learn-index"),
    path("learn/<str:key>/", education.learn_condition, name="learn-condition"),
]
