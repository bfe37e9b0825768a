"""The demo clinic that `kneadwell demo` (and `make run`) opens.

Three locations in two time zones (a hospital outpatient massage service in
New York, a chiropractic office and a physical-therapy clinic in Chicago),
nine therapists, 141 patients, three referring providers, about 1,500
appointments from six weeks back to four weeks ahead, and one login per role,
all with the password DEMO_PASSWORD.

Safety: `load_demo` refuses unless settings.DEMO is on (only KNEADWELL_DEMO=true
turns it on) and refuses a database that already holds clinic data that is
not the demo's, so pointing the demo at a real clinic's database does nothing.

Every appointment is booked through `scheduling.services.appointment_create`,
so the demo passes the same overlap, licence and working-hours checks as a
real booking; a slot the service refuses is simply skipped.

Deterministic: one seeded random generator drives every choice, and the
calendar is laid out relative to `today`, so the same date gives the same clinic.
Idempotent: a database that already holds the demo is left untouched."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from kneadwell.accounts.models import User
from kneadwell.accounts.passwords import DEMO_PASSWORD
from kneadwell.clinic.models import Location, Room
from kneadwell.lib.clock import now
from kneadwell.patients.models import Patient
from kneadwell.referrals.models import Referral, ReferringProvider
from kneadwell.scheduling.models import Appointment
from kneadwell.therapists.models import Therapist

from .builder import Builder
from .data import DEMO_LOGINS, HOSPITAL

# Printed by `make run`; the one definition is in accounts.passwords (refused outside the demo).
__all__ = ["DEMO_LOGINS", "DEMO_PASSWORD", "DemoSummary", "demo_loaded", "demo_summary", "load_demo"]


@dataclass(frozen=True)
class DemoSummary:
    created: bool
    locations: int
    rooms: int
    therapists: int
    patients: int
    referring_providers: int
    referrals: int
    appointments: int
    past_appointments: int
    future_appointments: int

    def lines(self) -> list[str]:
        return [
            f"{self.locations} locations, {self.rooms} rooms, {self.therapists} therapists",
            f"{self.patients} patients, {self.referring_providers} referring providers, "
            f"{self.referrals} referrals",
            f"{self.appointments} appointments ({self.past_appointments} past, "
            f"{self.future_appointments} upcoming)",
        ]


def load_demo(*, today: dt.date | None = None) -> DemoSummary:
    """Load the demo clinic unless it is already there. Only when settings.DEMO is on."""
    return _load_demo(today=today, allow=bool(getattr(settings, "DEMO", False)))


def _load_demo(*, today: dt.date | None, allow: bool) -> DemoSummary:
    """The loader behind load_demo; `allow` must be passed explicitly (tests pass True)."""
    if allow is not True:
        raise ImproperlyConfigured(
            "The demo clinic loads only with KNEADWELL_DEMO=true; it is never loaded into a real clinic."
        )
    if demo_loaded():
        return demo_summary(created=False)
    _refuse_non_empty_database()
    with transaction.atomic():
        Builder(today=today).build()
    return demo_summary(created=True)


def demo_loaded() -> bool:
    return Location.objects.filter(name=HOSPITAL).exists() and User.objects.filter(username="admin").exists()


def _refuse_non_empty_database() -> None:
    # A database with a clinic in it that is not the demo: never mix demo data into it.
    if (
        Location.objects.exists()
        or Therapist.objects.exists()
        or Patient.objects.exists()
        or User.objects.filter(username__in=[u for u, _ in DEMO_LOGINS]).exists()
    ):
        raise ImproperlyConfigured(
            "This database already holds clinic data that is not the demo clinic; "
            "the demo loads only into an empty database (set KNEADWELL_DATA_DIR or DATABASE_URL to a new one)."
        )


def demo_summary(*, created: bool) -> DemoSummary:
    instant = now()
    appointments = Appointment.objects.all()
    return DemoSummary(
        created=created,
        locations=Location.objects.count(),
        rooms=Room.objects.count(),
        therapists=Therapist.objects.count(),
        patients=Patient.objects.count(),
        referring_providers=ReferringProvider.objects.count(),
        referrals=Referral.objects.count(),
        appointments=appointments.count(),
        past_appointments=appointments.filter(start__lt=instant).count(),
        future_appointments=appointments.filter(start__gte=instant).count(),
    )
