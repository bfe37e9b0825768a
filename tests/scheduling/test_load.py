"""Under load, through a real server: 32 clients at once, on SQLite and on PostgreSQL (the suite runs on
both). Bookings of the same and overlapping slots for different patients, then reschedules racing new
bookings. Afterwards: no 5xx, every refusal a 409 explained by a winner, and zero overlaps in the
database. Outcomes only: no timing is asserted here (figures are `make bench`'s job)."""

from __future__ import annotations

import datetime as dt
import json
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from itertools import combinations

import pytest
import time_machine
from django.contrib.staticfiles.handlers import StaticFilesHandler as _StaticFilesHandler
from django.core.servers.basehttp import ThreadedWSGIServer
from django.test.testcases import LiveServerThread

from kneadwell.accounts.services import token_create
from kneadwell.clinic.models import Room, Service
from kneadwell.lib.zones import local_to_utc
from kneadwell.scheduling.models import ACTIVE_STATUSES, Appointment
from kneadwell.scheduling.services import appointment_book
from tests.cast import Cast, build_cast

from . import builders as b
from .conftest import add_default_services

NY = "America/New_York"
CLIENTS = 32
NOW = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)  # Monday 09:00 in New York
WEDNESDAY = dt.date(2026, 11, 25)
# Starts 15 minutes apart: a 60-minute session (and its 15-minute turnover) overlaps its neighbours.
STARTS = [local_to_utc(WEDNESDAY, dt.time(10, 15 * k), NY) for k in range(4)]


@dataclass
class Answer:
    index: int
    status: int
    body: dict


class _RoomyServer(ThreadedWSGIServer):
    # Django's server listens with a backlog of 10: thirty-two clients connecting at once would be
    # reset by the kernel before the application ever saw them.
    request_queue_size = 128


class _ServerThread(LiveServerThread):
    server_class = _RoomyServer


@pytest.fixture
def server_clinic(transactional_db):  # type: ignore[no-untyped-def]
    """A real threaded HTTP server on the test database, and the cast committed for its threads to read,
    with the clock frozen on Monday morning (the process's clock: the server's threads share it)."""
    add_default_services()
    server = _ServerThread("127.0.0.1", _StaticFilesHandler)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    try:
        with time_machine.travel(NOW, tick=False):
            cast = build_cast()
            Room.objects.create(location=cast.hospital, name="Room 2", features=["massage_table"])
            yield cast, f"http://127.0.0.1:{server.port}"
    finally:
        server.terminate()


def _race(url: str, requests: list[tuple[str, str, dict]], token: str) -> list[Answer]:
    """Send every request at once (a barrier), one thread each; collect status and body."""
    barrier = threading.Barrier(len(requests))
    answers: list[Answer] = []
    lock = threading.Lock()

    def send(index: int, method: str, path: str, body: dict) -> None:
        request = urllib.request.Request(
            url + "/api/v1" + path,
            data=json.dumps(body).encode(),
            method=method,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        barrier.wait()
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                answer = Answer(index, response.status, json.loads(response.read()))
        except urllib.error.HTTPError as error:
            answer = Answer(index, error.code, json.loads(error.read() or b"{}"))
        except OSError as error:  # no answer at all: recorded, and the test fails on it
            answer = Answer(index, -1, {"error": repr(error)})
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=send, args=(i, *r)) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(answers, key=lambda a: a.index)


def _assert_no_overlaps() -> None:
    rows = list(
        Appointment.objects.filter(status__in=ACTIVE_STATUSES).values(
            "therapist", "room", "patient", "start", "end", "blocked_until"
        )
    )
    for a, c in combinations(rows, 2):
        held = a["start"] < c["blocked_until"] and c["start"] < a["blocked_until"]
        assert not (a["therapist"] == c["therapist"] and held), (a, c)
        assert not (a["room"] == c["room"] and held), (a, c)
        assert not (a["patient"] == c["patient"] and a["start"] < c["end"] and c["start"] < a["end"]), (a, c)


def _explained(start: dt.datetime, therapist_pk: int, winners: list[Appointment], rooms: int) -> bool:
    """A refusal is explained by winners: the therapist held then, or every room held then."""
    held_until = start + dt.timedelta(minutes=75)
    overlapping = [w for w in winners if w.start < held_until and start < w.blocked_until]
    return (
        any(w.therapist_id == therapist_pk for w in overlapping)
        or len({w.room_id for w in overlapping}) >= rooms
    )


def _book(cast: Cast, patient_pk: str, therapist_pk: str, start: dt.datetime) -> tuple[str, str, dict]:
    return (
        "POST",
        "/appointments",
        {
            "patient": patient_pk,
            "service": "therapeutic-60",
            "location": str(cast.hospital.public_id),
            "therapist": therapist_pk,
            "start": start.isoformat(),
        },
    )


@pytest.mark.django_db(transaction=True)
def test_32_clients_booking_the_same_and_overlapping_slots(server_clinic):
    cast, url = server_clinic
    Appointment.objects.all().delete()
    patients = [b.patient(f"Racer{i}") for i in range(CLIENTS)]
    therapists = [cast.tess, cast.theo]
    plan = [(patients[i], therapists[i % 2], STARTS[i % len(STARTS)]) for i in range(CLIENTS)]
    token = token_create(user=cast.desk).secret

    answers = _race(url, [_book(cast, str(p.public_id), str(t.public_id), s) for p, t, s in plan], token)

    assert len(answers) == CLIENTS
    assert sorted({a.status for a in answers}) in ([201, 409], [201]), [
        a for a in answers if a.status not in (201, 409)
    ]
    assert all(a.status < 500 for a in answers)
    winners = list(Appointment.objects.filter(status__in=ACTIVE_STATUSES))
    assert len(winners) == sum(a.status == 201 for a in answers)
    assert len({(w.therapist_id, w.start) for w in winners}) == len(winners)  # one winner per slot
    for answer in answers:
        if answer.status == 409:
            _patient, therapist, start = plan[answer.index]
            assert _explained(start, therapist.pk, winners, rooms=2), answer
            assert "alternatives" in answer.body
    _assert_no_overlaps()


@pytest.mark.django_db(transaction=True)
def test_32_clients_rescheduling_and_booking_into_the_same_slots(server_clinic):
    cast, url = server_clinic
    Appointment.objects.all().delete()
    service = Service.objects.get(code="therapeutic-60")
    movers = []
    with time_machine.travel(NOW, tick=False):
        # Sixteen booked visits on Thursday, each with its own patient, therapist and room.
        for i in range(CLIENTS // 2):
            where_room = Room.objects.create(
                location=cast.hospital, name=f"Thursday {i}", features=["massage_table"]
            )
            therapist = b.therapist(cast.hospital, start=dt.time(8), end=dt.time(18))
            movers.append(
                appointment_book(
                    actor=cast.desk,
                    patient=b.patient(f"Mover{i}"),
                    service=service,
                    location=cast.hospital,
                    therapist=therapist,
                    room=where_room,
                    start=local_to_utc(dt.date(2026, 11, 26), dt.time(9), NY),
                ).appointment
            )
    token = token_create(user=cast.desk).secret
    requests = []
    for i, appointment in enumerate(movers):
        # Each mover tries to move to Wednesday with Tess or Theo, as a new booking does.
        therapist = (cast.tess, cast.theo)[i % 2]
        start = STARTS[i % len(STARTS)]
        requests.append(
            (
                "POST",
                f"/appointments/{appointment.public_id}/reschedule",
                {"start": start.isoformat(), "therapist": str(therapist.public_id)},
            )
        )
        requests.append(_book(cast, str(b.patient(f"Booker{i}").public_id), str(therapist.public_id), start))

    answers = _race(url, requests, token)

    assert len(answers) == CLIENTS
    assert all(a.status in (200, 201, 409) for a in answers), [
        a for a in answers if a.status not in (200, 201, 409)
    ]
    winners = list(Appointment.objects.filter(status__in=ACTIVE_STATUSES, start__in=STARTS))
    assert len(winners) == sum(a.status in (200, 201) for a in answers)
    for answer, appointment in zip(answers[0::2], movers, strict=True):
        appointment.refresh_from_db()
        if answer.status == 409:  # a refused move changes nothing
            assert appointment.start == local_to_utc(dt.date(2026, 11, 26), dt.time(9), NY)
            assert appointment.status == "booked"
        else:
            assert appointment.start in STARTS
    for answer in answers:
        if answer.status == 409:
            _method, _path, body = requests[answer.index]
            therapist = cast.tess if body["therapist"] == str(cast.tess.public_id) else cast.theo
            start = dt.datetime.fromisoformat(body["start"])
            assert _explained(start, therapist.pk, winners, rooms=2 + CLIENTS // 2), answer
    _assert_no_overlaps()
