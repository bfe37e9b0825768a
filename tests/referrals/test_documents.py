"""A clearance's letter: only real PDF/PNG/JPEG files are kept, and only those who may see the clearance get it."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kneadwell.accounts.models import AuditEvent
from kneadwell.lib.errors import DomainError
from kneadwell.referrals.models import Clearance
from kneadwell.referrals.services import clearance_grant
from tests.cast import PASSWORD


def _pdf() -> bytes:
    """A real one-page PDF, as the upload check opens it with pypdf."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


PDF = _pdf()


@pytest.fixture
def letter_clearance(cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return clearance_grant(
        actor=cast.rita_user,
        patient=cast.pat,
        scope="general",
        document=SimpleUploadedFile("letter.pdf", PDF, content_type="application/pdf"),
    )


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("letter.exe", b"MZ\x90\x00"),
        ("letter.pdf", b"<script>alert(1)</script>"),  # a PDF name on something else
        ("letter.html", b"<html></html>"),
    ],
)
def test_only_real_documents_are_accepted(cast, name, content):
    with pytest.raises(DomainError) as exc:
        clearance_grant(
            actor=cast.rita_user,
            patient=cast.pat,
            scope="general",
            document=SimpleUploadedFile(name, content),
        )
    assert exc.value.field == "document"
    assert not Clearance.objects.exists()


def test_the_referrer_uploads_a_letter_from_the_portal(client, cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.login(username="rita", password=PASSWORD)
    response = client.post(
        reverse("referrer-clearance", args=[cast.pat.public_id]),
        {"clear_scope": "general", "document": SimpleUploadedFile("letter.pdf", PDF)},
    )
    assert response.status_code == 302
    assert Clearance.objects.get().document.read() == PDF


@pytest.mark.parametrize(
    ("username", "status"),
    [("tess", 200), ("desk", 200), ("rita", 200), ("theo", 404), ("rob", 404), ("paula", 404)],
)
def test_the_letter_is_served_only_within_scope(client, cast, letter_clearance, username, status):
    client.login(username=username, password=PASSWORD)
    response = client.get(reverse("clearance-document", args=[letter_clearance.public_id]))
    assert response.status_code == status
    if status == 200:
        assert b"".join(response.streaming_content) == PDF
        assert AuditEvent.objects.filter(object_type="clearance_document", actor__username=username).exists()
