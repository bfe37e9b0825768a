"""Builds the demo clinic into an empty database: every appointment through the booking service."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password

from kneadwell.accounts.models import AuditAction, Role, User
from kneadwell.accounts.passwords import DEMO_PASSWORD
from kneadwell.accounts.services import audit_record
from kneadwell.clinic.models import Location, LocationKind, Room, Service, ServiceFamily
from kneadwell.demo.booking import book_series, keep_one_for_a_no_show, settle_story
from kneadwell.demo.data import (
    AREAS_TO_AVOID,
    DEMO_LOGINS,
    FAMILY,
    FEMALE,
    FUTURE_DAYS,
    HOSPITAL,
    LOCATIONS,
    MALE,
    PAST_DAYS,
    PROVIDERS,
    REASONS,
    REFERRAL_STATUS_CYCLE,
    SEED,
    SERVICE_MIX,
    STREETS,
    THERAPISTS,
    TRAINING_ISSUERS,
    make_diagnosis,
)
from kneadwell.demo.notifications import add_delivery_log, mark_as_sent
from kneadwell.demo.records import load_demo_records
from kneadwell.demo.waitlist import add_waitlist
from kneadwell.lib.clock import now
from kneadwell.lib.errors import DomainError
from kneadwell.lib.zones import local_day_bounds, local_to_utc, zone
from kneadwell.notifications.models import Message
from kneadwell.patients.models import Patient
from kneadwell.referrals.models import (
    Clearance,
    ClearanceScope,
    ClearanceStatus,
    Referral,
    ReferralStatus,
    ReferringProvider,
)
from kneadwell.scheduling.models import Appointment, AppointmentStatus, Channel, Series
from kneadwell.scheduling.services import appointment_create
from kneadwell.therapists.models import Expertise, Licence, Therapist, TimeOff, Training, WorkingHours

from .spotwork import add_spot_work_day, host_visit_for


@dataclass
class _PatientSlot:
    patient: Patient
    pool: str
    weight: int
    first_day: dt.date | None  # None: may not be booked at all (referral not yet scheduled)
    last_day: dt.date | None
    referred: bool = False

    def bookable_on(self, day: dt.date) -> bool:
        if self.first_day is None:
            return False
        return self.first_day <= day and (self.last_day is None or day <= self.last_day)


@dataclass
class _Occupancy:
    """Busy intervals by (resource, local day), mirrored in Python to pick plausible slots."""

    busy: dict[tuple[object, dt.date], list[tuple[dt.datetime, dt.datetime]]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def clash(self, key: object, day: dt.date, start: dt.datetime, end: dt.datetime) -> dt.datetime | None:
        """The end of the first interval overlapping [start, end), or None."""
        for s, e in self.busy[(key, day)]:
            if s < end and start < e:
                return e
        return None

    def add(self, key: object, day: dt.date, start: dt.datetime, end: dt.datetime) -> None:
        self.busy[(key, day)].append((start, end))


class Builder:
    def __init__(self, *, today: dt.date | None) -> None:
        # Demo data, not secrets: a seeded generator makes the clinic reproducible.
        self.rng = random.Random(SEED)  # noqa: S311
        if today is None:
            self.as_of = now()
            self._fixed_today: dt.date | None = None
        else:
            # A given date: the demo is built as if it were noon in New York on that day.
            self.as_of = local_to_utc(today, dt.time(12), "America/New_York")
            self._fixed_today = today
        self.occupancy = _Occupancy()
        self.patient_days: set[tuple[int, dt.date]] = set()
        self.planned: list[tuple[Appointment, str | None]] = []  # (appointment, fixed status or None)

    def today_at(self, location: Location) -> dt.date:
        if self._fixed_today is not None:
            return self._fixed_today
        return self.as_of.astimezone(zone(location.time_zone)).date()

    # ---- steps

    def build(self) -> None:
        self.services = {s.code: s for s in Service.objects.filter(active=True)}
        self._locations()
        self._users()
        self._therapists()
        self._patients()
        self._referrals()
        self._featured_bookings()
        self.spot_work_day = add_spot_work_day(self)  # issue 10: host visits, requests, an applied plan
        book_series(self)  # a plan of care's weekly series, under way (demo/booking.py)
        self._fill_calendar()
        no_show = keep_one_for_a_no_show(self)
        self._set_statuses()
        settle_story(self, no_show)  # a no-show and a late cancellation, through the services
        load_demo_records(as_of=self.as_of)  # notes, measures, reports (demo/records.py)
        # The spot-work plan and the late cancellation went through the services, which queue messages.
        mark_as_sent(Message.objects.all(), at=self.as_of)
        add_delivery_log(as_of=self.as_of)
        add_waitlist(as_of=self.as_of)  # requests ranked by priority and one open offer (demo/waitlist.py)
        audit_record(
            actor=None,
            action=AuditAction.CREATE,
            object_type="demo_clinic",
            patient_ids=[slot.patient.public_id for slot in self.patient_slots],
            channel="cli",
            detail={"note": "demo clinic loaded"},
        )

    def _locations(self) -> None:
        self.locations: dict[str, Location] = {}
        self.rooms: dict[str, list[Room]] = {}
        for spec in LOCATIONS:
            fields = {k: v for k, v in spec.items() if k != "rooms"}
            location = Location(**fields)
            location.full_clean()
            location.save()
            self.locations[location.name] = location
            rooms = []
            for name, features in spec["rooms"]:
                room = Room(location=location, name=name, features=features)
                room.full_clean()
                room.save()
                rooms.append(room)
            self.rooms[location.name] = rooms

    def _users(self) -> None:
        names = {
            "admin": ("Alex", "Morgan"),
            "frontdesk": ("Fran", "Delgado"),
            "therapist": ("Maya", "Okafor"),
            "patient": ("Olivia", "Bennett"),
            "referrer": ("Priya", "Raman"),
        }
        password = make_password(DEMO_PASSWORD)  # hashed once: hashing is deliberately slow
        self.users: dict[str, User] = {}
        for username, role in DEMO_LOGINS:
            first, last = names[username]
            user = User(
                username=username,
                role=role,
                first_name=first,
                last_name=last,
                email=f"{username}@kneadwell-demo.example.org",
                password=password,
                is_staff=role == Role.CLINIC_ADMIN,
                is_superuser=role == Role.CLINIC_ADMIN,
            )
            user.full_clean()
            user.save()
            # A verified address: allauth asks for one before TOTP can be activated.
            EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
            self.users[username] = user

    def _therapists(self) -> None:
        rng = self.rng
        ref_today = self.today_at(self.locations[HOSPITAL])
        self.therapists: dict[str, Therapist] = {}
        self.hours: dict[str, list[tuple[Location, tuple[int, ...], list[tuple[dt.time, dt.time]]]]] = {}
        self.time_off: dict[str, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
        trainings, expertise, hours = [], [], []
        for spec in THERAPISTS:
            key = spec["key"]
            therapist = Therapist(
                user=self.users["therapist"] if key == "maya" else None,
                given_name=spec["given_name"],
                family_name=spec["family_name"],
                gender=spec["gender"],
            )
            therapist.full_clean()
            therapist.save()
            spec_hours = [(self.locations[loc], days, blocks) for loc, days, blocks in spec["hours"]]
            therapist.locations.set({loc for loc, _, _ in spec_hours})
            for jurisdiction, number, days_left in spec["licences"]:
                expires = ref_today + dt.timedelta(days=days_left)
                licence = Licence(
                    therapist=therapist,
                    jurisdiction=jurisdiction,
                    number=number,
                    title="LMT",
                    issued=expires - dt.timedelta(days=3 * 365),
                    expires=expires,
                    verified=True,
                )
                licence.full_clean()
                licence.save()
            for technique in spec["trainings"]:
                certified = ref_today - dt.timedelta(days=rng.randint(200, 3000))
                trainings.append(
                    Training(
                        therapist=therapist,
                        technique=technique,
                        certified_on=certified,
                        issuer=rng.choice(TRAINING_ISSUERS),
                    )
                )
            for condition, level in spec["expertise"].items():
                expertise.append(Expertise(therapist=therapist, condition=condition, level=level))
            effective_from = dt.date(ref_today.year - 2, 1, 1)
            for location, days, blocks in spec_hours:
                for weekday in days:
                    for start, end in blocks:
                        hours.append(
                            WorkingHours(
                                therapist=therapist,
                                location=location,
                                weekday=weekday,
                                start_time=start,
                                end_time=end,
                                effective_from=effective_from,
                            )
                        )
            tz_name = spec_hours[0][0].time_zone
            for first, last, reason in spec.get("time_off", []):
                start, _ = local_day_bounds(ref_today + dt.timedelta(days=first), tz_name)
                _, end = local_day_bounds(ref_today + dt.timedelta(days=last), tz_name)
                TimeOff.objects.create(therapist=therapist, start=start, end=end, reason=reason)
                self.time_off[key].append((start, end))
            self.therapists[key] = therapist
            self.hours[key] = spec_hours
        for row in [*trainings, *expertise, *hours]:
            row.full_clean(exclude=["therapist", "location"])
        Training.objects.bulk_create(trainings)
        Expertise.objects.bulk_create(expertise)
        WorkingHours.objects.bulk_create(hours)
        # Licences prefetched once: appointment_create asks for the valid one per booking.
        fresh = Therapist.objects.prefetch_related("licences").in_bulk(
            [t.pk for t in self.therapists.values()]
        )
        self.therapists = {key: fresh[t.pk] for key, t in self.therapists.items()}

    def _patients(self) -> None:
        rng = self.rng
        ref_today = self.today_at(self.locations[HOSPITAL])
        used: set[tuple[str, str]] = {("Olivia", "Bennett")}
        rows: list[tuple[Patient, str]] = []
        featured = Patient(
            user=self.users["patient"],
            given_name="Olivia",
            family_name="Bennett",
            birth_date=dt.date(1979, 4, 18),
            email="olivia.bennett@example.com",
            phone="(212) 555-0117",
            address_line="612 W 171st St, Apt 4C",
            city="New York, NY",
            postal_code="10032",
            pressure="medium",
            lighting="soft",
            music="calm",
            therapist_gender="female",
            areas_to_avoid=["right shoulder incision"],
        )
        rows.append((featured, "ny"))
        for pool, count in (("ny", 60), ("chi", 80)):
            for _ in range(count):
                gender = rng.choice(["female", "female", "male"])
                given = rng.choice(FEMALE if gender == "female" else MALE)
                family = rng.choice(FAMILY)
                while (given, family) in used:
                    family = rng.choice(FAMILY)
                used.add((given, family))
                area_codes = ["212", "718", "917", "646"] if pool == "ny" else ["312", "773", "872"]
                has_email = rng.random() < 0.8
                slug = f"{given}.{family}".lower().replace("'", "")
                patient = Patient(
                    given_name=given,
                    family_name=family,
                    birth_date=dt.date(rng.randint(1944, 2006), rng.randint(1, 12), rng.randint(1, 28)),
                    email=f"{slug}@example.{rng.choice(['com', 'net', 'org'])}" if has_email else "",
                    phone=f"({rng.choice(area_codes)}) 555-01{rng.randint(0, 99):02d}",
                    address_line=f"{rng.randint(10, 4999)} {rng.choice(STREETS[pool])}",
                    city="New York, NY" if pool == "ny" else "Chicago, IL",
                    postal_code=rng.choice(["10031", "10032", "10033", "10040"])
                    if pool == "ny"
                    else rng.choice(["60613", "60614", "60618", "60640", "60657"]),
                    pressure=rng.choices(["light", "medium", "firm", "deep"], [2, 5, 3, 1])[0],
                    lighting=rng.choice(["", "", "soft", "bright"]),
                    music=rng.choice(["", "", "calm", "none"]),
                )
                r = rng.random()
                if r < 0.12:
                    patient.therapist_gender = "female"
                    patient.therapist_gender_required = rng.random() < 0.5
                elif r < 0.16:
                    patient.therapist_gender = "male"
                if rng.random() < 0.08:
                    patient.areas_to_avoid = rng.choice(AREAS_TO_AVOID)
                rows.append((patient, pool))
        # Exactly one patient with an oil allergy, so the warning is easy to find.
        rows[5][0].oil_allergies = "Nut oils (almond, walnut): use hypoallergenic lotion"
        for patient, _ in rows:
            patient.full_clean(exclude=["user"])
        Patient.objects.bulk_create([p for p, _ in rows])
        # bulk_create sets pks on SQLite and PostgreSQL.
        first_day = ref_today - dt.timedelta(days=PAST_DAYS)
        self.patient_slots = [
            _PatientSlot(
                patient=p,
                pool=pool,
                weight=rng.choice([1, 1, 2, 3, 5]),
                first_day=first_day,
                last_day=None,
            )
            for p, pool in rows
        ]
        self.featured_patient = self.patient_slots[0]
        self.featured_patient.first_day = None  # booked only by _featured_bookings

    def _referrals(self) -> None:
        rng = self.rng
        ref_today = self.today_at(self.locations[HOSPITAL])
        self.providers: dict[str, ReferringProvider] = {}
        referrals: list[Referral] = []
        for spec in PROVIDERS:
            provider = ReferringProvider(
                user=self.users["referrer"] if spec["key"] == "physician" else None,
                **{k: v for k, v in spec.items() if k not in ("key", "pool")},
            )
            provider.full_clean()
            provider.save()
            self.providers[spec["key"]] = provider
            candidates = [
                s for s in self.patient_slots if s.pool == spec["pool"] and not s.referred and s.first_day
            ]
            chosen = rng.sample(candidates, 7)
            for i, slot in enumerate(chosen):
                status = REFERRAL_STATUS_CYCLE[i % len(REFERRAL_STATUS_CYCLE)]
                received = {
                    ReferralStatus.RECEIVED: 1,
                    ReferralStatus.TRIAGED: 3,
                    ReferralStatus.SCHEDULED: 6,
                    ReferralStatus.IN_CARE: rng.randint(20, 45),
                    ReferralStatus.DISCHARGED: rng.randint(55, 70),
                }[status]
                reason, condition, icd10, areas = rng.choice(REASONS[spec["kind"]])
                received_on = ref_today - dt.timedelta(days=received)
                onset = received_on - dt.timedelta(weeks=rng.randint(3, 30))
                diagnosis = make_diagnosis(condition, icd10, areas, onset)
                referrals.append(
                    Referral(
                        patient=slot.patient,
                        provider=provider,
                        received_on=received_on,
                        channel=rng.choice(["portal", "fax", "phone"]),
                        reason=reason,
                        diagnoses=[diagnosis],
                        areas=diagnosis["areas"],
                        requested_sessions=rng.choice([6, 8, 10]),
                        requested_frequency_per_week=rng.choice([None, 1, 2]),
                        status=status,
                    )
                )
                slot.referred = True
                # Book each referred patient only where their referral stands.
                if status in (ReferralStatus.RECEIVED, ReferralStatus.TRIAGED):
                    slot.first_day = None
                elif status == ReferralStatus.SCHEDULED:
                    slot.first_day = ref_today + dt.timedelta(days=1)
                elif status == ReferralStatus.IN_CARE:
                    slot.first_day = ref_today - dt.timedelta(days=received - 4)
                else:
                    slot.last_day = ref_today - dt.timedelta(days=5)
        featured = Referral(
            patient=self.featured_patient.patient,
            provider=self.providers["physician"],
            received_on=ref_today - dt.timedelta(days=PAST_DAYS + 5),
            reason="Scar tissue and shoulder stiffness after right rotator-cuff repair, 8 weeks post-op.",
            diagnoses=[
                make_diagnosis(
                    "post_surgical_scar",
                    "L90.5",
                    [("shoulder", "right")],
                    ref_today - dt.timedelta(days=PAST_DAYS + 5 + 56),
                )
            ],
            areas=[{"region": "shoulder", "side": "right"}],
            requested_sessions=10,
            requested_frequency_per_week=1,
            status=ReferralStatus.IN_CARE,
        )
        self.featured_patient.referred = True
        referrals.append(featured)
        for referral in referrals:
            referral.full_clean()
        Referral.objects.bulk_create(referrals)
        self._clearances(featured, referrals)

    def _clearances(self, featured: Referral, referrals: list[Referral]) -> None:
        """The featured patient's surgeon cleared scar work; one knee-scar request waits in the referrer's portal."""
        Clearance.objects.create(
            patient=featured.patient,
            provider=featured.provider,
            referral=featured,
            scope=ClearanceScope.SCAR_WORK,
            region="shoulder",
            side="right",
            status=ClearanceStatus.GRANTED,
            granted_on=featured.received_on,
            note="Incision closed and dry; scar work approved.",
        )
        waiting = next(
            (
                r
                for r in referrals
                if r.provider == self.providers["physician"]
                and r.diagnoses[0]["condition"] == "post_surgical_scar"
                and r is not featured
            ),
            None,
        )
        if waiting is not None:
            area = waiting.diagnoses[0]["areas"][0]
            Clearance.objects.create(
                patient=waiting.patient,
                provider=waiting.provider,
                referral=waiting,
                scope=ClearanceScope.SCAR_WORK,
                region=area["region"],
                side=area["side"] or "",
                status=ClearanceStatus.REQUESTED,
                requested_by=self.users["frontdesk"],
                note="May we start scar mobilisation at the knee?",
            )

    # ---- booking

    def _book(
        self,
        *,
        slot: _PatientSlot,
        therapist_key: str,
        room: Room,
        service: Service,
        start: dt.datetime,
        channel: str,
        status: str | None = None,
        series: Series | None = None,
        series_index: int | None = None,
    ) -> Appointment | None:
        therapist = self.therapists[therapist_key]
        booked_by = self.users["frontdesk"] if channel != Channel.ONLINE else slot.patient.user
        host_visit = None
        if service.family == ServiceFamily.SPOT_WORK:
            # Spot work is booked only beside a host visit: the patient's adjustment right after it.
            end = start + service.duration
            host_visit = host_visit_for(
                slot.patient, room.location, start, end, gap_minutes=5 * (start.minute % 3)
            )
        try:
            appointment = appointment_create(
                patient=slot.patient,
                therapist=therapist,
                room=room,
                service=service,
                start=start,
                channel=channel,
                booked_by=booked_by,
                series=series,
                series_index=series_index,
            )
        except DomainError:  # Conflict included: the slot is skipped, as a real booking would be refused
            if host_visit is not None:
                host_visit.delete()
            return None
        day = start.astimezone(zone(room.location.time_zone)).date()
        self.occupancy.add(("therapist", therapist_key), day, appointment.start, appointment.blocked_until)
        self.occupancy.add(("room", room.pk), day, appointment.start, appointment.blocked_until)
        self.patient_days.add((slot.patient.pk, day))
        self.planned.append((appointment, status))
        return appointment

    def _free_room(
        self, location: Location, day: dt.date, start: dt.datetime, until: dt.datetime, prefer: int
    ) -> Room | None:
        rooms = self.rooms[location.name]
        ordered = rooms[prefer % len(rooms) :] + rooms[: prefer % len(rooms)]
        for room in ordered:
            if self.occupancy.clash(("room", room.pk), day, start, until) is None:
                return room
        return None

    def _featured_bookings(self) -> None:
        """The calendar the `therapist` and `patient` logins open on: booked before the random fill."""
        hospital = self.locations[HOSPITAL]
        today = self.today_at(hospital)
        tz = hospital.time_zone
        t60 = self.services["therapeutic-60"]
        # The patient login: weekly with Maya, past and upcoming (one in two days).
        for offset in [*range(-PAST_DAYS, 0, 7), 2, 9, 16, 23]:
            day = today + dt.timedelta(days=offset)
            start = local_to_utc(day, dt.time(11), tz)
            room = self._free_room(hospital, day, start, start + t60.duration + t60.buffer, prefer=0)
            if room is None:
                continue
            if offset < 0:
                status = AppointmentStatus.CANCELLED if offset == -21 else AppointmentStatus.COMPLETED
                channel = Channel.REFERRAL if offset == -PAST_DAYS else Channel.PHONE
            else:
                status, channel = AppointmentStatus.BOOKED, Channel.ONLINE
            self._book(
                slot=self.featured_patient,
                therapist_key="maya",
                room=room,
                service=t60,
                start=start,
                channel=channel,
                status=status,
            )
        # The therapist login: two sessions today, whatever the weekday.
        regulars = [s for s in self.patient_slots if s.pool == "ny" and s.bookable_on(today)]
        for wall in (dt.time(10), dt.time(14) if today.weekday() < 5 else dt.time(11, 15)):
            start = local_to_utc(today, wall, tz)
            room = self._free_room(hospital, today, start, start + t60.duration + t60.buffer, prefer=0)
            slot = next(s for s in regulars if (s.patient.pk, today) not in self.patient_days)
            if room is not None:
                self._book(
                    slot=slot,
                    therapist_key="maya",
                    room=room,
                    service=t60,
                    start=start,
                    channel=Channel.PHONE,
                    status=self._status_by_time(start, start + t60.duration),
                )

    def _status_by_time(self, start: dt.datetime, end: dt.datetime) -> str:
        if end <= self.as_of:
            return AppointmentStatus.COMPLETED
        if start <= self.as_of:
            return AppointmentStatus.CHECKED_IN
        return AppointmentStatus.BOOKED

    def _fill_calendar(self) -> None:
        for index, (key, spec_hours) in enumerate(self.hours.items()):
            for location, weekdays, blocks in spec_hours:
                today = self.today_at(location)
                for offset in range(-PAST_DAYS, FUTURE_DAYS + 1):
                    day = today + dt.timedelta(days=offset)
                    if day.weekday() not in weekdays:
                        continue
                    self._fill_day(key, index, location, day, blocks)

    def _fill_day(
        self, key: str, index: int, location: Location, day: dt.date, blocks: list[tuple[dt.time, dt.time]]
    ) -> None:
        rng = self.rng
        therapist = self.therapists[key]
        tz = location.time_zone
        day_start, day_end = local_day_bounds(day, tz)
        if any(s < day_end and day_start < e for s, e in self.time_off[key]):
            return
        clinical_ok = therapist.valid_licence(location.jurisdiction, day) is not None
        mix = [
            (self.services[code], weight)
            for code, weight in SERVICE_MIX[LocationKind(location.kind)]
            if code in self.services
            and self.services[code].offered_at(location)
            and (clinical_ok or self.services[code].family == ServiceFamily.RELAXATION)
        ]
        if not mix:
            return
        pool = "ny" if location.time_zone == "America/New_York" else "chi"
        candidates = [s for s in self.patient_slots if s.pool == pool and s.bookable_on(day)]
        target = rng.randint(4, 6)
        spans = [(local_to_utc(day, a, tz), local_to_utc(day, b, tz)) for a, b in blocks]
        booked = sum(
            1 for s, _ in self.occupancy.busy[(("therapist", key), day)] if any(a <= s < b for a, b in spans)
        )
        for block_index, (block_start, block_end) in enumerate(spans):
            cursor = block_start
            while booked < target:
                remaining = (block_end - cursor) + sum(
                    (b - a for a, b in spans[block_index + 1 :]), dt.timedelta()
                )
                need = dt.timedelta(minutes=75) * (target - booked)
                slack_minutes = max(0, int((remaining - need).total_seconds() // 60))
                gap = rng.randint(0, slack_minutes // (target - booked + 1))
                service = rng.choices([s for s, _ in mix], [w for _, w in mix])[0]
                cursor = _round_up(
                    cursor + dt.timedelta(minutes=gap), 5 if service.duration_minutes < 30 else 15
                )
                if cursor + service.duration > block_end:
                    fitting = [s for s, _ in mix if cursor + s.duration <= block_end]
                    if not fitting:
                        break
                    service = min(fitting, key=lambda s: s.duration_minutes)
                until = cursor + service.duration + service.buffer
                busy_until = self.occupancy.clash(("therapist", key), day, cursor, until)
                if busy_until is not None:
                    cursor = busy_until
                    continue
                room = self._free_room(location, day, cursor, until, prefer=index)
                if room is None:
                    cursor += dt.timedelta(minutes=15)
                    continue
                slot = self._pick_patient(candidates, therapist, day)
                if slot is None:
                    return
                channel = rng.choices(
                    [Channel.PHONE, Channel.ONLINE, Channel.REFERRAL],
                    [5, 3, 3 if slot.referred else 0],
                )[0]
                if self._book(
                    slot=slot, therapist_key=key, room=room, service=service, start=cursor, channel=channel
                ):
                    booked += 1
                    cursor = until
                else:
                    cursor += dt.timedelta(minutes=15)

    def _pick_patient(
        self, candidates: list[_PatientSlot], therapist: Therapist, day: dt.date
    ) -> _PatientSlot | None:
        eligible, weights = [], []
        for slot in candidates:
            if (slot.patient.pk, day) in self.patient_days:
                continue  # one visit a day per patient
            wanted = slot.patient.therapist_gender
            weight = slot.weight
            if wanted and wanted != therapist.gender:
                if slot.patient.therapist_gender_required:
                    continue
                weight = max(1, weight // 3)
            eligible.append(slot)
            weights.append(weight)
        if not eligible:
            return None
        return self.rng.choices(eligible, weights)[0]

    def _set_statuses(self) -> None:
        by_status: dict[str, list[int]] = defaultdict(list)
        for appointment, fixed in self.planned:
            r = self.rng.random()  # drawn for every row so the sequence never depends on the clock
            if fixed is not None:
                status = fixed
            elif appointment.end <= self.as_of:
                status = (
                    AppointmentStatus.NO_SHOW
                    if r < 0.05
                    else AppointmentStatus.CANCELLED
                    if r < 0.13
                    else AppointmentStatus.COMPLETED
                )
            elif appointment.start <= self.as_of:
                status = AppointmentStatus.CHECKED_IN
            else:
                status = AppointmentStatus.CANCELLED if r < 0.04 else AppointmentStatus.BOOKED
            if status != AppointmentStatus.BOOKED:
                by_status[status].append(appointment.pk)
        for status, pks in by_status.items():
            Appointment.objects.filter(pk__in=pks).update(status=status)


def _round_up(instant: dt.datetime, minutes: int) -> dt.datetime:
    step = minutes * 60
    seconds = int(instant.timestamp())
    rounded = -(-seconds // step) * step
    return dt.datetime.fromtimestamp(rounded, tz=dt.UTC)
