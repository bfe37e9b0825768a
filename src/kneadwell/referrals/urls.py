from django.urls import path

from . import views

urlpatterns = [
    path("referrer/", views.referrer_home, name="referrer-home"),
    path("referrer/referrals/new/", views.referrer_referral_new, name="referrer-referral-new"),
    path("referrer/clearances/<str:public_id>/decide/", views.clearance_decide_view, name="clearance-decide"),
    path(
        "referrer/patients/<str:public_id>/clearance/",
        views.referrer_clearance_grant,
        name="referrer-clearance",
    ),
    path("clearances/<str:public_id>/document/", views.clearance_document, name="clearance-document"),
    path("desk/referrals/", views.referral_inbox, name="referral-inbox"),
    path("desk/referrals/new/", views.desk_referral_new, name="desk-referral-new"),
    path("desk/referrals/<str:public_id>/triage/", views.referral_triage, name="referral-triage"),
]
