"""The demo clinic's people and places: locations, therapists with their licences, trainings and hours,
referring providers, patients' names and conditions. Fixed data and a seeded choice of it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kneadwell.accounts.models import Role
from kneadwell.clinic.models import LocationKind
from kneadwell.knowledge.schemas import AreaIn, DiagnosisIn
from kneadwell.referrals.models import (
    ProviderKind,
    ReferralStatus,
)

SEED = 20261127


PAST_DAYS = 42  # six weeks back


FUTURE_DAYS = 28  # four weeks ahead


HOSPITAL = "Riverside Hospital — Outpatient Massage"


CHIRO = "Lakeside Chiropractic"


PT = "Northside Physical Therapy"


LOCATIONS: list[dict[str, Any]] = [
    {
        "name": HOSPITAL,
        "kind": LocationKind.HOSPITAL,
        "time_zone": "America/New_York",
        "jurisdiction": "US-NY",
        "address_line": "1200 Riverside Drive, Pavilion B, 2nd floor",
        "city": "New York, NY",
        "postal_code": "10032",
        "phone": "(212) 555-0140",
        "rooms": [
            ("Room A — Quiet room", ["massage_table", "dimmable_lighting", "music"]),
            ("Room B", ["massage_table", "accessible"]),
            ("Room C — Stretch studio", ["massage_table", "stretching_space", "accessible"]),
        ],
    },
    {
        "name": CHIRO,
        "kind": LocationKind.CHIROPRACTIC_OFFICE,
        "time_zone": "America/Chicago",
        "jurisdiction": "US-IL",
        "address_line": "455 N Lake Shore Dr, Suite 310",
        "city": "Chicago, IL",
        "postal_code": "60611",
        "phone": "(312) 555-0182",
        "rooms": [
            ("Treatment room 1", ["massage_table", "dimmable_lighting", "music"]),
            ("Spot-work bay", ["massage_table"]),
        ],
    },
    {
        "name": PT,
        "kind": LocationKind.PHYSICAL_THERAPY_CLINIC,
        "time_zone": "America/Chicago",
        "jurisdiction": "US-IL",
        "address_line": "3920 N Lincoln Ave",
        "city": "Chicago, IL",
        "postal_code": "60613",
        "phone": "(773) 555-0127",
        "rooms": [
            ("Quiet room", ["massage_table", "dimmable_lighting", "music", "accessible"]),
            ("Gym corner", ["massage_table", "stretching_space"]),
            ("Room 3", ["massage_table", "accessible"]),
        ],
    },
]


_T = dt.time


WEEKDAYS = (0, 1, 2, 3, 4)


# Working hours: (location, weekdays, [(start, end), ...]) in local wall-clock time.
# Licences: (jurisdiction, number, days until expiry; negative = already expired).
THERAPISTS: list[dict[str, Any]] = [
    {
        "key": "maya",
        "given_name": "Maya",
        "family_name": "Okafor",
        "gender": "female",
        "licences": [("US-NY", "031742", 640)],
        "trainings": [
            "swedish",
            "deep_tissue",
            "myofascial_release",
            "scar_mobilization",
            "lymphatic_drainage",
        ],
        "expertise": {"post_surgical_scar": 3, "frozen_shoulder": 2, "relaxation": 2},
        # The hospital's weekend outpatient clinic is hers: the `therapist`
        # login therefore has sessions whatever day the demo is opened.
        "hours": [
            (HOSPITAL, WEEKDAYS, [(_T(9), _T(12, 30)), (_T(13, 30), _T(17))]),
            (HOSPITAL, (5, 6), [(_T(10), _T(14))]),
        ],
    },
    {
        "key": "daniel",
        "given_name": "Daniel",
        "family_name": "Brooks",
        "gender": "male",
        "licences": [("US-NY", "027315", 410)],
        "trainings": ["deep_tissue", "trigger_point", "cross_fiber_friction", "swedish"],
        "expertise": {"low_back_pain": 3, "tendinopathy": 2, "strain_sprain": 2},
        "hours": [(HOSPITAL, (0, 1, 3), [(_T(8), _T(16))])],
        "time_off": [(-24, -20, "Vacation")],
    },
    {
        "key": "grace",
        "given_name": "Grace",
        "family_name": "Lindqvist",
        "gender": "female",
        # Expired a couple of weeks ago and not yet renewed: relaxation only since then.
        "licences": [("US-NY", "019884", -17)],
        "trainings": ["swedish", "lymphatic_drainage"],
        "expertise": {"relaxation": 3, "tension_headache": 1},
        "hours": [(HOSPITAL, (1, 2, 4), [(_T(10), _T(18))])],
    },
    {
        "key": "samir",
        "given_name": "Samir",
        "family_name": "Haddad",
        "gender": "male",
        "licences": [("US-NY", "034418", 890)],
        "trainings": ["swedish", "myofascial_release", "passive_stretching", "movement_therapy"],
        "expertise": {"whiplash": 2, "radiating_pain": 2, "strain_sprain": 1},
        "hours": [
            (HOSPITAL, (0, 2), [(_T(12), _T(20))]),
            (HOSPITAL, (5,), [(_T(9), _T(13))]),
        ],
    },
    {
        "key": "rosa",
        "given_name": "Rosa",
        "family_name": "Martínez",
        "gender": "female",
        "licences": [("US-IL", "227.018734", 760)],
        "trainings": ["trigger_point", "deep_tissue", "cross_fiber_friction", "intraoral_tmj"],
        "expertise": {"tmj_disorder": 3, "tension_headache": 3, "migraine": 2, "cluster_headache": 1},
        "hours": [
            (CHIRO, (0, 2, 4), [(_T(9), _T(17))]),
            (CHIRO, (5,), [(_T(9), _T(13))]),
        ],
        "time_off": [(-10, -10, "Continuing education: TMJ course")],
    },
    {
        "key": "jamal",
        "given_name": "Jamal",
        "family_name": "Carter",
        "gender": "male",
        "licences": [("US-IL", "227.021457", 520)],
        "trainings": ["movement_therapy", "resistive_stretching", "passive_stretching", "deep_tissue"],
        "expertise": {"strain_sprain": 3, "frozen_shoulder": 2, "repetitive_strain": 2},
        "hours": [
            (CHIRO, (1, 3), [(_T(9), _T(17))]),
            (PT, (0,), [(_T(8), _T(16))]),
        ],
    },
    {
        "key": "alex",
        "given_name": "Alex",
        "family_name": "Kim",
        "gender": "non_binary",
        "licences": [("US-IL", "227.016290", 300)],
        "trainings": ["myofascial_release", "scar_mobilization", "lymphatic_drainage", "swedish"],
        "expertise": {"post_surgical_scar": 3, "frozen_shoulder": 3, "low_back_pain": 1},
        "hours": [(PT, (0, 1, 2, 3), [(_T(8), _T(12)), (_T(12, 30), _T(16, 30))])],
    },
    {
        "key": "hannah",
        "given_name": "Hannah",
        "family_name": "Weiss",
        "gender": "female",
        "licences": [("US-IL", "227.023981", 980)],
        "trainings": ["swedish", "trigger_point", "cross_fiber_friction"],
        "expertise": {"repetitive_strain": 3, "tendinopathy": 3, "low_back_pain": 1},
        "hours": [(PT, (2, 3, 4), [(_T(10), _T(18))])],
        "time_off": [(8, 8, "Continuing education: tendinopathy workshop")],
    },
    {
        "key": "thomas",
        "given_name": "Thomas",
        "family_name": "Nguyen",
        "gender": "male",
        "licences": [("US-IL", "227.019906", 450)],
        "trainings": ["deep_tissue", "trigger_point", "passive_stretching"],
        "expertise": {"low_back_pain": 3, "whiplash": 3, "radiating_pain": 2, "sinus_headache": 1},
        "hours": [(CHIRO, (0, 1, 3), [(_T(12), _T(20))])],
    },
]


TRAINING_ISSUERS = [
    "Academy of Clinical Massage",
    "Lakeshore School of Massage",
    "Northeast Myofascial Institute",
    "Hudson Valley Manual Therapy Seminars",
]


def _words(text: str) -> list[str]:
    return text.split()


FEMALE = _words(
    "Olivia Emma Ava Sophia Isabella Mia Charlotte Amelia Harper Evelyn Abigail Emily Elizabeth "
    "Sofia Avery Ella Scarlett Grace Chloe Victoria Riley Aria Lily Aubrey Zoey Penelope Layla "
    "Nora Camila Hannah Priya Mei Fatima Aisha Lucia Ingrid Keisha Tamara Yesenia Beatriz"
)


MALE = _words(
    "Liam Noah William James Oliver Benjamin Elijah Lucas Mason Logan Alexander Ethan Jacob "
    "Michael Daniel Henry Jackson Sebastian Aiden Matthew Samuel David Joseph Carter Owen Wyatt "
    "John Jack Luke Gabriel Anthony Isaac Dylan Leo Mateo Hiroshi Rahul Kwame Dmitri Tomasz"
)


FAMILY = _words(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White "
    "Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres "
    "Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts "
    "Kowalski Okonkwo Chen Patel Sullivan Murphy O'Brien Schmidt Novak Yamamoto Haddad Larsen "
    "Dubois Rossi Kaur"
)


STREETS = {
    "ny": ["Amsterdam Ave", "W 168th St", "Broadway", "Fort Washington Ave", "St Nicholas Ave", "Haven Ave"],
    "chi": ["N Clark St", "W Belmont Ave", "N Southport Ave", "W Irving Park Rd", "N Ashland Ave"],
}


AREAS_TO_AVOID = [["abdomen"], ["feet"], ["face", "scalp"], ["left calf (DVT history)"], ["gluteal region"]]


# Referrals per provider kind: the reason as written, and the structured diagnosis
# (condition key, billable ICD-10-CM code, area(s)) the front desk would enter.
_N = None  # midline region: no side


REASONS: dict[str, list[tuple[str, str, str, list[tuple[str, str | None]]]]] = {
    ProviderKind.PHYSICIAN: [
        ("Chronic low back pain, non-specific; massage as adjunct to home exercise.", "low_back_pain", "M54.50", [("low_back", _N)]),
        ("Tension-type headaches with cervical muscle tenderness.", "tension_headache", "G44.209", [("neck", _N), ("head", _N)]),
        ("Post-operative scar adhesion, right knee arthroscopy 10 weeks ago.", "post_surgical_scar", "L90.5", [("knee", "right")]),
        ("Frozen shoulder (left), thawing phase; improve range of motion.", "frozen_shoulder", "M75.02", [("shoulder", "left")]),
        ("Neck and upper-back pain from long hours at a desk.", "repetitive_strain", "M54.2", [("neck", _N), ("upper_back", _N)]),
    ],
    ProviderKind.CHIROPRACTOR: [
        ("Whiplash-associated disorder after rear-end collision; soft-tissue work with adjustments.", "whiplash", "S13.4XXD", [("neck", _N)]),
        ("Lumbar strain; spot work on paraspinals before adjustments.", "strain_sprain", "S39.012D", [("low_back", _N)]),
        ("TMJ disorder with jaw clicking; assess for intraoral work.", "tmj_disorder", "M26.603", [("jaw", "bilateral")]),
        ("Tension-type headache; suboccipital trigger points.", "tension_headache", "G44.209", [("neck", _N)]),
        ("Mid-back pain from desk work.", "repetitive_strain", "M54.6", [("upper_back", _N)]),
    ],
    ProviderKind.PHYSICAL_THERAPIST: [
        ("Lateral epicondylalgia (tennis elbow); cross-fibre friction as tolerated.", "tendinopathy", "M77.11", [("forearm", "right")]),
        ("Achilles tendinopathy, in loading programme.", "tendinopathy", "M76.61", [("calf", "right"), ("ankle_foot", "right")]),
        ("Post-surgical scar, ACL reconstruction; scar mobilisation.", "post_surgical_scar", "L90.5", [("knee", "left")]),
        ("Repetitive strain, forearm flexors (warehouse work).", "repetitive_strain", "M70.831", [("forearm", "right")]),
        ("Sciatica-like radiating pain, improving; soft-tissue work to piriformis.", "radiating_pain", "M54.31", [("low_back", _N), ("hip_gluteal", "right")]),
    ],
}  # fmt: skip


def make_diagnosis(
    condition: str, icd10: str, areas: list[tuple[str, str | None]], onset: dt.date
) -> dict[str, object]:
    """The JSON a referral stores, validated exactly as an API or form entry would be."""
    return DiagnosisIn(
        condition=condition,
        icd10=icd10,
        onset=onset,
        # side is a plain str here; pydantic checks it against the Side literal.
        areas=tuple(AreaIn(region=r, side=side) for r, side in areas),  # type: ignore[arg-type]  # demo sides are valid Side literals; pydantic checks them
    ).model_dump(mode="json")


REFERRAL_STATUS_CYCLE = [
    ReferralStatus.RECEIVED,
    ReferralStatus.TRIAGED,
    ReferralStatus.SCHEDULED,
    ReferralStatus.IN_CARE,
    ReferralStatus.IN_CARE,
    ReferralStatus.DISCHARGED,
]


# Service mix per location kind: (code, weight).
SERVICE_MIX = {
    LocationKind.HOSPITAL: [
        ("therapeutic-60", 45),
        ("therapeutic-90", 12),
        ("therapeutic-30", 15),
        ("relaxation-60", 28),
    ],
    LocationKind.CHIROPRACTIC_OFFICE: [
        ("spot-work-15", 40),
        ("therapeutic-30", 25),
        ("therapeutic-60", 28),
        ("therapeutic-90", 7),
    ],
    LocationKind.PHYSICAL_THERAPY_CLINIC: [
        ("spot-work-15", 30),
        ("therapeutic-30", 25),
        ("therapeutic-60", 35),
        ("therapeutic-90", 10),
    ],
}


def with_npi_check_digit(base: str) -> str:
    """A 9-digit NPI stem plus its Luhn check digit (computed over the 80840 prefix)."""
    digits = [int(c) for c in "80840" + base]
    total = 0
    # The check digit will sit at position 0 from the right, so the stem's last digit is doubled.
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return base + str((10 - total % 10) % 10)


PROVIDERS: list[dict[str, Any]] = [
    {
        "key": "physician",
        "name": "Dr. Priya Raman, MD",
        "kind": ProviderKind.PHYSICIAN,
        "npi": with_npi_check_digit("148765902"),
        "organisation": "Riverside Hospital — Physical Medicine & Rehabilitation",
        "email": "priya.raman@riverside-hospital.example.org",
        "phone": "(212) 555-0163",
        "fax": "(212) 555-0164",
        "pool": "ny",
    },
    {
        "key": "chiropractor",
        "name": "Dr. Marcus Bell, DC",
        "kind": ProviderKind.CHIROPRACTOR,
        "npi": with_npi_check_digit("129384756"),
        "organisation": CHIRO,
        "email": "marcus.bell@lakeside-chiro.example.org",
        "phone": "(312) 555-0188",
        "fax": "(312) 555-0189",
        "pool": "chi",
    },
    {
        "key": "physical_therapist",
        "name": "Elena Vasquez, PT, DPT",
        "kind": ProviderKind.PHYSICAL_THERAPIST,
        "npi": with_npi_check_digit("157203948"),
        "organisation": PT,
        "email": "elena.vasquez@northside-pt.example.org",
        "phone": "(773) 555-0131",
        "fax": "(773) 555-0132",
        "pool": "chi",
    },
]


# One login per role, in the order `kneadwell demo` prints them.
DEMO_LOGINS: tuple[tuple[str, Role], ...] = (
    ("admin", Role.CLINIC_ADMIN),
    ("frontdesk", Role.FRONT_DESK),
    ("therapist", Role.THERAPIST),
    ("patient", Role.PATIENT),
    ("referrer", Role.REFERRER),
)
