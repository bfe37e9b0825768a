"""The spot-work board page: staff only; host visits entered and imported (a bad file refused whole,
with its lines), requests added, the plan previewed and applied."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from kneadwell.scheduling.models import Appointment
from kneadwell.spotwork.models import HostVisit, SpotWorkRequest, SpotWorkStatus

from .conftest import DAY, at

URL = "/desk/spot-work/"


def _post(client, spot, **data):  # type: ignore[no-untyped-def]
    return client.post(URL, {"location": str(spot.cast.chiro.public_id), "date": str(DAY), **data})


def test_only_the_clinic_staff_open_the_board(client, spot):
    client.force_login(spot.cast.tess_user)
    assert client.get(URL).status_code == 403
    client.force_login(spot.cast.desk)
    page = client.get(URL, {"location": str(spot.cast.chiro.public_id), "date": str(DAY)})
    assert page.status_code == 200
    assert "Spot work at Lakeside Chiropractic" in page.content.decode()


def test_a_host_visit_entered_on_the_board_is_stored_in_the_locations_zone(client, spot):
    client.force_login(spot.cast.desk)
    response = _post(
        client,
        spot,
        action="host_visit",
        patient=str(spot.cast.pat.public_id),
        start="10:00",
        end="10:30",
        provider_name="Dr Chen",
    )
    assert response.status_code == 302
    assert HostVisit.objects.get().start == at(10)


def test_an_overlapping_host_visit_is_422_and_nothing_is_written(client, spot):
    spot.host_visit(spot.cast.pat, at(10))
    client.force_login(spot.cast.desk)
    response = _post(
        client,
        spot,
        action="host_visit",
        patient=str(spot.cast.pat.public_id),
        start="10:15",
        end="10:45",
        provider_name="Dr Chen",
    )
    assert response.status_code == 422
    assert "two host visits at once" in response.content.decode()
    assert HostVisit.objects.count() == 1


def test_a_bad_import_is_refused_whole_with_its_line_numbers(client, spot):
    client.force_login(spot.cast.desk)
    content = (
        "patient,start,end,provider\n"
        f"{spot.cast.pat.public_id},2026-12-02 10:00,2026-12-02 10:30,Dr Chen\n"
        "nobody,2026-12-02 11:00,2026-12-02 11:30,Dr Chen\n"
    ).encode()
    response = _post(client, spot, action="import", file=SimpleUploadedFile("day.csv", content, "text/csv"))
    assert response.status_code == 422
    body = response.content.decode()
    assert "Line 3" in body
    assert "unknown patient" in body.lower()
    assert not HostVisit.objects.exists()


def test_requests_previewed_then_applied_book_the_spot_work(client, spot):
    client.force_login(spot.cast.desk)
    for patient, hour in ((spot.cast.pat, 10), (spot.cast.paula, 11)):
        visit = spot.host_visit(patient, at(hour))
        assert (
            _post(client, spot, action="request", host_visit=str(visit.public_id), region="neck").status_code
            == 302
        )
    assert SpotWorkRequest.objects.count() == 2

    preview = _post(client, spot, action="preview")
    assert preview.status_code == 200
    assert "Preview:" in preview.content.decode()
    assert "2 placed, 0 left out" in preview.content.decode()
    assert not Appointment.objects.filter(service__code="spot-work-15").exists()

    applied = _post(client, spot, action="apply")
    assert applied.status_code == 200
    assert "Booked:" in applied.content.decode()
    assert Appointment.objects.filter(service__code="spot-work-15").count() == 2
    assert set(SpotWorkRequest.objects.values_list("status", flat=True)) == {SpotWorkStatus.BOOKED}
