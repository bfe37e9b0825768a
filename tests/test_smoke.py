def test_cast_builds(cast):
    assert cast.pat_appointment.therapist == cast.tess
