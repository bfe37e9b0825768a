"""Property-based fuzzing of the whole REST API against its own OpenAPI document (schemathesis).

Every operation in /api/v1/openapi.json gets generated requests, valid and
invalid, sent in-process to the Django WSGI application as a user who may use
it. Each answer must not be a server error, must have a status code and a
content type the operation declares, a body matching the declared schema, and
every 4xx must be the error envelope. One request in four is sent a second
time made lax (an unknown query parameter, `1`/`0` for its booleans): that one
must be a 422 naming each.

The run is bounded and deterministic (a fixed number of derandomized examples
per operation), so it can gate CI. By default it is short (a few examples per
operation, under a minute on two cores); `KNEADWELL_FUZZ_EXAMPLES=N` raises the
examples per operation and `KNEADWELL_FUZZ_COVERAGE=true` adds schemathesis's
coverage phase (every boundary of every field); `make fuzz` runs both
(docs/api.md, "Fuzzing"). It uses only the test database pytest-django sets up,
SQLite or PostgreSQL alike; the objects requests are aimed at are made once for
the module, and each generated request runs in a savepoint that is rolled back,
so requests do not see each other's writes.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
import zlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, transaction
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.checks import load_all_checks, not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from kneadwell.accounts.models import User
from kneadwell.accounts.services import token_create
from kneadwell.charting.services import consent_sign, note_start
from kneadwell.outcomes.services import rom_record
from kneadwell.planning.services import care_plan_draft
from kneadwell.referrals.models import ClearanceScope, Referral
from kneadwell.referrals.services import clearance_request
from kneadwell.scheduling.models import Appointment, Series, SeriesMode
from kneadwell.spotwork.models import HostVisit
from tests.cast import Cast, build_cast
from tests.records import treatable

from .conftest import API

# Everything here runs in pytest-django's test database, whichever engine DATABASE_URL names.
pytestmark = pytest.mark.django_db

load_all_checks()

# The test client's host: pytest-django's test environment allows it whatever ALLOWED_HOSTS says.
BASE_URL = "http://testserver"


def _envelope_on_client_errors(ctx: Any, response: Any, case: schemathesis.Case) -> None:
    """Every 4xx is `{"detail": str, "errors": [{"field": str | null, "message": str}, ...]}`."""
    if not 400 <= response.status_code < 500:
        return
    body = response.json()
    assert isinstance(body, dict), body
    assert isinstance(body.get("detail"), str), body
    errors = body.get("errors")
    assert isinstance(errors, list), body
    for error in errors:
        assert isinstance(error, dict), body
        assert {"field", "message"} <= set(error), body
        assert error["field"] is None or isinstance(error["field"], str), body
        assert isinstance(error["message"], str), body


# Examples per operation in the fuzzing phase, and whether the coverage phase runs (make fuzz: both).
EXAMPLES = int(os.environ.get("KNEADWELL_FUZZ_EXAMPLES") or 3)
COVERAGE = os.environ.get("KNEADWELL_FUZZ_COVERAGE", "").lower() in ("1", "true", "yes")

CHECKS = [
    not_a_server_error,
    _envelope_on_client_errors,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    ignored_auth,
]


# The coverage phase walks every boundary of every field deterministically. Its
# valid inputs reach the application's own logic; its invalid ones only ever
# meet pydantic's validation, which the fuzzing phase's invalid inputs (and
# tests/api) cover, so they are left out to keep the run short.
CONFIG = schemathesis.Config.from_dict(
    {"phases": {"coverage": {"enabled": COVERAGE, "generation": {"mode": "positive"}}}}
)

# Loaded once, at collection, from the application itself: the OpenAPI view reads no database.
APP = WSGIHandler()
schema = schemathesis.openapi.from_wsgi(f"{API}/openapi.json", APP, config=CONFIG)


@pytest.fixture
def in_test_transaction() -> Iterator[None]:
    """Let the WSGI handler answer inside the test's transaction.

    A real request closes "obsolete" database connections when it starts and
    ends; inside the test's transaction that would drop it. Django's own test
    client unhooks the same handler for the same reason.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _most(value: str) -> bool:
    """Whether to swap this generated value for a real one: three in four, the same each run."""
    # Salted, so that the empty string (CRC 0) is swapped too.
    return zlib.crc32(b"aim:" + value.encode("utf-8", "surrogatepass")) % 4 != 0


def _waitlist_offer(cast: Cast):  # type: ignore[no-untyped-def]
    from kneadwell.clinic.models import Service
    from kneadwell.waitlist.services import FreedTime, offer_freed_time, request_create

    request_create(
        actor=cast.desk,
        patient=cast.pat,
        service=Service.objects.get(code="therapeutic-60"),
        location=cast.hospital,
        first_day=dt.date(2026, 12, 3),
        last_day=dt.date(2026, 12, 3),
        weekdays=[3],
        earliest_time=dt.time(9),
        latest_time=dt.time(13),
        now=dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC),
    )
    start = dt.datetime(2026, 12, 3, 15, tzinfo=dt.UTC)
    offer = offer_freed_time(
        FreedTime(
            therapist=cast.tess,
            room=cast.hospital_room,
            location=cast.hospital,
            start=start,
            free_until=start + dt.timedelta(hours=2),
        ),
        now=dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC),
    )
    assert offer is not None
    return offer


class World:
    """Real objects and catalogue keys to aim generated requests at, and who sends each request.

    Generated ids name nothing and generated catalogue keys are not in the
    catalogue, so nearly every request would stop at a 404 or a 422. Three in
    four are swapped for real ones to reach the code behind the lookups; the
    rest keep the lookups' own refusals under test.
    """

    def __init__(self, cast: Cast) -> None:
        self.cast = cast
        referral = Referral.objects.get(patient=cast.pat)
        plan = care_plan_draft(
            actor=cast.admin, patient=cast.pat, therapist=cast.tess, conditions=["low_back_pain"]
        )
        clearance = clearance_request(
            actor=cast.admin, patient=cast.pat, provider=cast.rita, scope=ClearanceScope.GENERAL
        )
        # Session records (issue 11): a note being written, a consent, a measurement.
        treatable(cast)
        note = note_start(actor=cast.tess_user, appointment=cast.pat_appointment)
        consent = consent_sign(
            actor=cast.admin, patient=cast.pat, kind="treatment", signer_name="Pat Palmer", via="tablet"
        )
        measurement = rom_record(
            actor=cast.admin, patient=cast.pat, motion="neck_rotation", value=60, side="left"
        )
        series = Series.objects.create(
            care_plan=plan,
            patient=cast.pat,
            therapist=cast.tess,
            location=cast.hospital,
            service=cast.pat_appointment.service,
            pattern=[{"weekday": 1, "time": "10:00"}],
            starts_on=dt.date(2026, 12, 1),
            weeks=1,
            mode=SeriesMode.ALL_OR_NOTHING,
        )
        Appointment.objects.filter(pk=cast.pat_appointment.pk).update(series=series, series_index=0)
        # Spot work (issue 10): a host visit at the chiropractic office.
        start = dt.datetime(2026, 12, 2, 16, tzinfo=dt.UTC)
        host_visit = HostVisit.objects.create(
            patient=cast.pat,
            location=cast.chiro,
            start=start,
            end=start + dt.timedelta(minutes=30),
            provider_name="Dr Chen, DC",
        )
        # Waitlist (issue 10): Pat waits for a Thursday morning and is offered Thursday 10:00 with Tess.
        offer = _waitlist_offer(cast)
        # The first path segment after /api/v1 names the kind of object the id is for.
        self.ids: dict[str, uuid.UUID] = {
            "therapists": cast.tess.public_id,
            "patients": cast.pat.public_id,
            "appointments": cast.pat_appointment.public_id,
            "referrals": referral.public_id,
            "care-plans": plan.public_id,
            "clearances": clearance.public_id,
            "notes": note.public_id,
            "consents": consent.public_id,
            "measurements": measurement.public_id,
            "series": series.public_id,
            "host-visits": host_visit.public_id,
            "waitlist/requests": offer.request.public_id,
            "waitlist/offers": offer.public_id,
        }
        # Reference fields, in query strings and bodies alike, by name.
        self.references: dict[str, str] = {
            "patient": str(cast.pat.public_id),
            "therapist": str(cast.tess.public_id),
            "provider": str(cast.rita.public_id),
            "referral": str(referral.public_id),
            "from": str(cast.pat_appointment.public_id),
            "location": str(cast.hospital.public_id),
            "service": "therapeutic-60",
            "condition": "low_back_pain",
            "measure": "nprs",
            "motion": "neck_rotation",
            "instrument": "psfs",
            "appointment": str(cast.pat_appointment.public_id),
            "icd10": "M54.50",
            "host_visit": str(host_visit.public_id),
        }
        self._tokens: dict[int, str] = {}

    def user_for(self, path: str) -> User:
        # Only the referrer asked may decide a clearance; only the treating therapist approves a plan.
        if path.endswith("/decision"):
            return self.cast.rita_user
        if path.endswith("/approve"):
            return self.cast.tess_user
        # Only the session's own therapist starts, writes, signs and amends its note.
        if path.startswith(f"{API}/notes/") or path.endswith("/note"):
            return self.cast.tess_user
        return self.cast.admin

    def headers_for(self, user: User) -> dict[str, str]:
        if user.pk not in self._tokens:
            self._tokens[user.pk] = token_create(user=user).secret
        return {"Authorization": f"Bearer {self._tokens[user.pk]}"}

    def aim(self, case: schemathesis.Case) -> None:
        """Swap most generated ids and catalogue keys in the path, query and body for real ones."""
        value = (case.path_parameters or {}).get("id")
        # Decided on the whole request: the coverage phase sends one UUID with many bodies.
        if isinstance(value, str) and _is_uuid(value) and _most(f"{value}{case.query}{case.body}"):
            segments = case.path.removeprefix(API).split("/")
            # The waitlist's ids are of two kinds, named by the second segment.
            kind = "/".join(segments[1:3]) if segments[1] == "waitlist" else segments[1]
            case.path_parameters["id"] = str(self.ids[kind])
        if isinstance(case.query, dict):
            case.query = self._realistic(case.query)
        if isinstance(case.body, dict | list):
            case.body = self._realistic(case.body)

    def _realistic(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self._realistic(item) for item in value]
        if not isinstance(value, dict):
            return value
        result = {}
        for key, item in value.items():
            if isinstance(item, str) and _most(item):
                if key == "region":
                    # A paired region needs a side, a midline one must have none.
                    item = "knee" if value.get("side") else "neck"
                elif key in self.references:
                    item = self.references[key]
            elif key == "conditions" and isinstance(item, list) and item and _most(repr(item)):
                item = [self.references["condition"]]
            result[key] = self._realistic(item)
        return result


@pytest.fixture(scope="module")
def module_world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    """The objects every operation's requests aim at, made once for the module and rolled back after it.

    Made inside a transaction the tests' own (savepoints, then) nest in; the tokens are made here
    too, since a test's rollback would take one made during it away from the next test.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        world = World(build_cast())
        for user in (world.cast.admin, world.cast.rita_user, world.cast.tess_user):
            world.headers_for(user)
        yield world
        transaction.set_rollback(True)


@pytest.fixture
def world(module_world: World, db: None) -> World:
    return module_world


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_every_generated_request_as_documented(
    case: schemathesis.Case, world: World, in_test_transaction: None
) -> None:
    world.aim(case)
    # Outside the savepoint below, which rolls back everything the request wrote.
    headers = world.headers_for(world.user_for(case.path))
    with transaction.atomic():
        try:
            case.call_and_validate(base_url=BASE_URL, headers=headers, checks=CHECKS)
        finally:
            transaction.set_rollback(True)
    if not _most(f"lax:{case.method}{case.formatted_path}{case.query}{case.body}"):
        with transaction.atomic():
            try:
                _assert_lax_input_is_refused(case, headers)
            finally:
                transaction.set_rollback(True)


UNKNOWN = "kw_surprise"


def _assert_lax_input_is_refused(case: schemathesis.Case, headers: dict[str, str]) -> None:
    """The same request with an unknown query parameter and its top-level booleans as 1/0: a 422 naming each.

    Sent with Django's test client, so nothing schemathesis adds to a case (generated headers, its
    own auth probes) stands between the strict input check and this request.
    """
    lax = [UNKNOWN]
    query = {**(case.query or {}), UNKNOWN: "1"} if isinstance(case.query or {}, dict) else {UNKNOWN: "1"}
    body = case.body
    if isinstance(body, dict):
        lax += [key for key, value in body.items() if isinstance(value, bool)]
        body = {key: int(value) if isinstance(value, bool) else value for key, value in body.items()}
    client = Client(HTTP_AUTHORIZATION=headers["Authorization"])
    url = f"{case.formatted_path}?{urlencode(query, doseq=True)}"
    if case.method == "GET":
        response = client.get(url)
    else:
        data = json.dumps(body) if isinstance(body, dict | list) else "{}"
        response = client.generic(case.method, url, data, content_type="application/json")
    # Django's test client hooks these back up after each request (see in_test_transaction).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)

    assert response.status_code == 422, (case.method, url, body, response.content)
    named = {error["field"] for error in response.json()["errors"]}
    assert set(lax) <= named, (case.method, url, body, response.content)
