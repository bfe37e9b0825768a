import pytest

from kneadwell.accounts.models import AuditAction, AuditEvent
from kneadwell.accounts.services import audit_record


def _record(cast, **kw):
    audit_record(
        actor=cast.desk,
        action=AuditAction.READ,
        object_type="patient",
        object_id=cast.pat.public_id,
        channel="web",
        **kw,
    )


def test_it_records_who_read_which_patient(cast, rf):
    request = rf.get("/patients/x/", REMOTE_ADDR="10.1.2.3")
    _record(cast, patient_ids=[cast.pat.public_id], request=request)
    event = AuditEvent.objects.get()
    assert event.actor == cast.desk
    assert event.actor_username == "desk"
    assert event.patient_id == str(cast.pat.public_id)
    assert event.ip == "10.1.2.3"
    assert event.path == "/patients/x/"
    assert event.at is not None


def test_a_list_read_records_one_event_per_patient(cast):
    _record(cast, patient_ids=[cast.pat.public_id, cast.paula.public_id])
    assert set(AuditEvent.objects.values_list("patient_id", flat=True)) == {
        str(cast.pat.public_id),
        str(cast.paula.public_id),
    }


def test_an_event_cannot_be_changed(cast):
    _record(cast, patient_ids=[cast.pat.public_id])
    event = AuditEvent.objects.get()
    event.action = AuditAction.DELETE
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        AuditEvent.objects.update(action="delete")
    assert AuditEvent.objects.get().action == AuditAction.READ


def test_an_event_cannot_be_deleted(cast):
    _record(cast, patient_ids=[cast.pat.public_id])
    with pytest.raises(TypeError):
        AuditEvent.objects.get().delete()
    with pytest.raises(TypeError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.count() == 1


def test_the_record_survives_the_actor_being_deleted(cast):
    _record(cast, patient_ids=[cast.pat.public_id])
    cast.desk.delete()
    event = AuditEvent.objects.get()
    assert event.actor is None
    assert event.actor_username == "desk"
