"""The tailoring engine's rules: every rationale a session plan can carry, with where it comes from
(a catalogue source, the source article, or a clinic setting), and the clinical constants they use."""

from __future__ import annotations

from kneadwell.planning.settings import CLINIC_SETTING

ROLES = ("focus", "related", "general")


# The source document (A1): tailoring, stretches → loose clothing, spot work, ambience, feedback.
ARTICLE = "A1"


# Techniques whose catalogue description ties them to the problem site itself (the scar, the
# inside of the jaw, the tendon insertion): planned only on focus segments where the condition
# that lists them applies, never on related or general work.
SITE_SPECIFIC = frozenset({"scar_mobilization", "intraoral_tmj", "cross_fiber_friction"})


# Intraoral work reaches the masseter and pterygoids, which the catalogue files under `jaw`.
INTRAORAL_REGION = "jaw"


SWEDISH = "swedish"


# Deep transverse friction is never the only technique at an area: a Cochrane review found
# insufficient evidence of benefit for it in tendinopathy (Loew 2014 [R39], REFERENCE §10).
NOT_ALONE = frozenset({"cross_fiber_friction"})


NOT_ALONE_SOURCE = "R39"


# Every rationale entry a plan can carry, for docs/clinical-rules.md. `source` is where the rule
# comes from: a catalogue source id, "clinic_setting", "catalogue" (the condition's own cited basis,
# named in each plan), or "screening" (the finding's sources). Screening findings passed through
# to a blocked plan carry the rule id `screening.<rule>` of the screening registry.
RULES: dict[str, tuple[str, str]] = {
    "tailoring.family.therapeutic": (
        ARTICLE,
        "Therapeutic: most time on the areas of concern, other muscle groups with the rest (S10, S14).",
    ),
    "tailoring.family.spot_work": (
        ARTICLE,
        "Spot work: the single primary area of concern, all the time (S15).",
    ),
    "tailoring.family.whole_body": (
        ARTICLE,
        "A therapeutic visit whose only condition is relaxation, with no area of concern, covers the whole body "
        "without a focus.",
    ),
    "tailoring.family.relaxation": (
        CLINIC_SETTING,
        "Relaxation: the clinic's whole-body template, Swedish work.",
    ),
    "tailoring.blocked.screening": (
        "screening",
        "Screening holds the visit (refer out, defer, or a clearance the whole visit waits for): no plan, "
        "with the holding findings and what would unblock them.",
    ),
    "tailoring.blocked.no_workable_region": (
        "screening",
        "Every candidate region is restricted, avoided or has no trained technique: no plan.",
    ),
    "tailoring.restricted_area": (
        "screening",
        "A region screening restricts (or the patient avoids) is never planned.",
    ),
    "tailoring.restricted_side": (
        "screening",
        "A bilateral area with one restricted side keeps the other side.",
    ),
    "tailoring.focus.from_conditions": (
        "catalogue",
        "No area recorded: focus on the diagnosed conditions' listed regions (by the diagnosis code's "
        "anatomy where the catalogue has a variant).",
    ),
    "tailoring.focus.all_restricted": (
        "screening",
        "All areas of concern restricted: related and general work only, said in the reasons.",
    ),
    "tailoring.spot_work.primary": (ARTICLE, "Spot work covers the first workable area of concern only."),
    "tailoring.allocation.focus_share": (
        CLINIC_SETTING,
        "Focus regions get the majority of the minutes (default 67 %, to the nearest minute).",
    ),
    "tailoring.allocation.priority": (
        CLINIC_SETTING,
        "Focus minutes are split by the order of the areas of concern.",
    ),
    "tailoring.allocation.merged": (
        CLINIC_SETTING,
        "A non-focus share below the minimum segment goes to the focus regions.",
    ),
    "tailoring.allocation.focus_only": (
        CLINIC_SETTING,
        "No related or general region can be worked: all minutes to the focus.",
    ),
    "tailoring.allocation.general": (
        CLINIC_SETTING,
        "No workable related muscle group: the rest goes to general Swedish work.",
    ),
    "tailoring.allocation.dropped": (
        CLINIC_SETTING,
        "Regions that do not fit at the minimum segment length are left out, lowest priority first.",
    ),
    "tailoring.regions.variant": (
        "catalogue",
        "The diagnosis code picks the regions (cervical or lumbar radiculopathy, carpal tunnel syndrome).",
    ),
    "tailoring.techniques.focus": (
        "catalogue",
        "Focus techniques: listed by the condition, trained, not forbidden by screening at the area.",
    ),
    "tailoring.techniques.related": (
        "catalogue",
        "Related techniques: Swedish plus the condition's techniques, trained and allowed; no site-specific work.",
    ),
    "tailoring.techniques.general": (
        CLINIC_SETTING,
        "General and relaxation work: Swedish, if trained and allowed.",
    ),
    "tailoring.techniques.untrained": (
        ARTICLE,
        "No trained and allowed technique for an area: it is not planned; the plan names colleagues who "
        "are trained for it (S12).",
    ),
    "tailoring.techniques.not_alone": (
        NOT_ALONE_SOURCE,
        "Cross-fibre friction is never the only technique at an area (insufficient evidence, Loew 2014).",
    ),
    "tailoring.techniques.no_sustained_pressure": (
        "catalogue",
        "No sustained-pressure technique where the diagnosis' variant rules it out (carpal tunnel).",
    ),
    "tailoring.techniques.order": (
        CLINIC_SETTING,
        "Techniques ordered warm-up → specific → stretching → finishing (clinic convention).",
    ),
    "tailoring.stage": (
        "catalogue",
        "The condition's stage or chronicity adapts the work at its areas (techniques left out, a lower "
        "pressure ceiling): freezing-stage frozen shoulder, acute whiplash.",
    ),
    "tailoring.pressure.preference": (
        CLINIC_SETTING,
        "Pressure range: the preferred level and one level below it.",
    ),
    "tailoring.pressure.feedback": (
        ARTICLE,
        "Last session's 'too deep' lowers the range one level; 'too light' raises it (S17).",
    ),
    "tailoring.pressure.cap": ("screening", "The range never exceeds screening's pressure cap."),
    "tailoring.pressure.segment": (
        "catalogue",
        "A segment keeps a lower ceiling where screening, the stage or its techniques ask for one "
        "(lymphatic drainage is always light).",
    ),
    "tailoring.instructions.loose_clothing": (
        ARTICLE,
        "Stretching planned → wear loose-fitting clothing or active-wear (S16).",
    ),
    "tailoring.instructions.first_visit": (
        CLINIC_SETTING,
        "First visit → bring the referral and arrive early.",
    ),
    "tailoring.instructions.spot_work_timing": (
        ARTICLE,
        "Spot work → timing instructions next to the host visit (S15).",
    ),
    "tailoring.instructions.screening": (
        "screening",
        "Instructions screening asks for (side-lying in later pregnancy; drainage proximal to a swollen "
        "injury) are carried into the plan.",
    ),
    "tailoring.ambience": (
        ARTICLE,
        "Lighting and music from the patient's preference, else the clinic default (S13).",
    ),
    "tailoring.precaution": (
        "screening",
        "Precautions and clearances from screening are shown with the plan.",
    ),
    # Consents and what the last signed note says (planning/consents.py, planning/learning.py).
    "tailoring.consent.technique": (
        CLINIC_SETTING,
        "A technique that needs a consent the patient has not given is not planned (clinic consent policy).",
    ),
    "tailoring.consent.region": (
        CLINIC_SETTING,
        "A sensitive area is not planned without the patient's consent to work there (clinic consent policy).",
    ),
    "tailoring.learn.focus": (
        ARTICLE,
        "A finding in the last signed note (trigger point, tone, adhesion, tenderness, pain) makes its region a focus.",
    ),
    "tailoring.learn.painful": (
        ARTICLE,
        "A technique that raised pain at a region last session is not used first there this time.",
    ),
}
