from django.urls import path

from kneadwell.intake import views as intake_views
from kneadwell.planning import views as planning_views

from . import views

# The care-pathway pages live here too (intake and planning have no URLConf of their own in the root).
urlpatterns = [
    path("me/", views.patient_home, name="patient-home"),
    path("me/intake/", intake_views.patient_intake, name="patient-intake"),
    path("me/intake/questions/", intake_views.patient_intake_questions, name="patient-intake-questions"),
    path("patients/", views.patient_search, name="patient-search"),
    path("patients/<str:public_id>/", views.patient_detail, name="patient-detail"),
    path("patients/<str:public_id>/care/", views.patient_care_sections, name="patient-care"),
    path(
        "patients/<str:public_id>/session-plan/",
        planning_views.session_plan_partial,
        name="patient-session-plan",
    ),
    path("patients/<str:public_id>/care-plan/", planning_views.care_plan_create, name="patient-care-plan"),
    path(
        "patients/<str:public_id>/care-plan/<str:plan_id>/approve/",
        planning_views.care_plan_approve_view,
        name="patient-care-plan-approve",
    ),
    path("patients/<str:public_id>/handoff/", planning_views.handoff_view, name="patient-handoff"),
    path(
        "patients/<str:public_id>/clearance-request/",
        planning_views.clearance_request_view,
        name="patient-clearance-request",
    ),
    path("desk/call/", intake_views.desk_call, name="desk-call"),
    path("desk/call/live/", intake_views.desk_call_live, name="desk-call-live"),
    path("desk/call/patients/", intake_views.desk_call_patients, name="desk-call-patients"),
    path("desk/call/done/<str:public_id>/", intake_views.desk_call_done, name="desk-call-done"),
    path("icd10/", intake_views.icd10_hint, name="icd10-hint"),
    path("learn/", intake_views.learn_index, name="learn-index"),
    path("learn/<str:key>/", intake_views.learn_condition, name="learn-condition"),
]
