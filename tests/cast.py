"""The shared cast of personas every test uses.

Two locations in two zones; one of each role; and for every role that has
"own" objects, a second person whose objects must stay out of sight:

- Pat (patient) is treated by Tess (therapist) on Rita's (referrer) referral.
- Paula (patient) is treated by Theo on Rob's referral.

So Pat must never see Paula, Tess never Paula, Rita never Paula, and so on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kneadwell.accounts.models import Role, User
from kneadwell.clinic.models import Location, LocationKind, Room, Service
from kneadwell.patients.models import Patient
from kneadwell.referrals.models import Referral, ReferringProvider
from kneadwell.scheduling.models import Appointment, Channel
from kneadwell.therapists.models import Licence, Therapist, WorkingHours

PASSWORD = "correct-horse-battery"


@dataclass
class Cast:
    hospital: Location
    chiro: Location
    hospital_room: Room
    chiro_room: Room
    admin: User
    desk: User
    tess_user: User
    theo_user: User
    pat_user: User
    paula_user: User
    rita_user: User
    rob_user: User
    tess: Therapist
    theo: Therapist
    pat: Patient
    paula: Patient
    rita: ReferringProvider
    rob: ReferringProvider
    pat_appointment: Appointment
    paula_appointment: Appointment

    def user(self, role: str) -> User:
        return {
            "clinic_admin": self.admin,
            "front_desk": self.desk,
            "therapist": self.tess_user,
            "patient": self.pat_user,
            "referrer": self.rita_user,
        }[role]


def _user(username: str, role: Role, first: str, last: str, **extra: bool) -> User:
    return User.objects.create_user(
        username=username,
        email=f"{username}@example.org",
        password=PASSWORD,
        role=role,
        first_name=first,
        last_name=last,
        **extra,
    )


def _therapist(user: User, given: str, family: str, location: Location) -> Therapist:
    therapist = Therapist.objects.create(user=user, given_name=given, family_name=family, gender="female")
    therapist.locations.add(location)
    Licence.objects.create(
        therapist=therapist,
        jurisdiction=location.jurisdiction,
        number=f"LMT-{family.upper()}",
        title="LMT",
        issued=dt.date(2020, 1, 1),
        expires=dt.date(2030, 12, 31),
        verified=True,
    )
    for weekday in range(5):
        WorkingHours.objects.create(
            therapist=therapist,
            location=location,
            weekday=weekday,
            start_time=dt.time(8),
            end_time=dt.time(18),
            effective_from=dt.date(2020, 1, 1),
        )
    return therapist


def build_cast() -> Cast:
    hospital = Location.objects.create(
        name="Riverside Hospital Outpatient Massage",
        kind=LocationKind.HOSPITAL,
        time_zone="America/New_York",
        jurisdiction="US-NY",
    )
    chiro = Location.objects.create(
        name="Lakeside Chiropractic",
        kind=LocationKind.CHIROPRACTIC_OFFICE,
        time_zone="America/Chicago",
        jurisdiction="US-IL",
    )
    hospital_room = Room.objects.create(location=hospital, name="Room 1", features=["massage_table"])
    chiro_room = Room.objects.create(location=chiro, name="Spot room", features=["massage_table"])

    # Clinic admins run the Django admin too, as `kneadwell manage create_admin` sets them up.
    admin = _user("admin", Role.CLINIC_ADMIN, "Ada", "Admin", is_staff=True, is_superuser=True)
    desk = _user("desk", Role.FRONT_DESK, "Dana", "Desk")
    tess_user = _user("tess", Role.THERAPIST, "Tess", "Turner")
    theo_user = _user("theo", Role.THERAPIST, "Theo", "Tanaka")
    pat_user = _user("pat", Role.PATIENT, "Pat", "Palmer")
    paula_user = _user("paula", Role.PATIENT, "Paula", "Price")
    rita_user = _user("rita", Role.REFERRER, "Rita", "Reyes")
    rob_user = _user("rob", Role.REFERRER, "Rob", "Roth")

    tess = _therapist(tess_user, "Tess", "Turner", hospital)
    theo = _therapist(theo_user, "Theo", "Tanaka", hospital)

    pat = Patient.objects.create(
        user=pat_user, given_name="Pat", family_name="Palmer", birth_date=dt.date(1980, 5, 1)
    )
    paula = Patient.objects.create(
        user=paula_user, given_name="Paula", family_name="Price", birth_date=dt.date(1975, 3, 9)
    )
    rita = ReferringProvider.objects.create(user=rita_user, name="Dr Rita Reyes", kind="physician")
    rob = ReferringProvider.objects.create(user=rob_user, name="Rob Roth, DC", kind="chiropractor")
    Referral.objects.create(patient=pat, provider=rita, received_on=dt.date(2026, 11, 1), reason="Neck pain")
    Referral.objects.create(patient=paula, provider=rob, received_on=dt.date(2026, 11, 2), reason="Low back")

    service = Service.objects.get(code="therapeutic-60")
    pat_appointment = _appointment(
        pat, tess, hospital_room, service, dt.datetime(2026, 12, 1, 15, tzinfo=dt.UTC)
    )
    paula_appointment = _appointment(
        paula, theo, hospital_room, service, dt.datetime(2026, 12, 1, 17, tzinfo=dt.UTC)
    )
    return Cast(**{k: v for k, v in locals().items() if k in Cast.__dataclass_fields__})


def _appointment(
    patient: Patient, therapist: Therapist, room: Room, service: Service, start: dt.datetime
) -> Appointment:
    end = start + service.duration
    return Appointment.objects.create(
        patient=patient,
        therapist=therapist,
        room=room,
        location=room.location,
        service=service,
        start=start,
        end=end,
        blocked_until=end + service.buffer,
        channel=Channel.PHONE,
    )
