"""Regional documents ([002] socle): kept with their checksum; type and size checked, anything else refused."""

import datetime
import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cep.common.errors import RuleViolation
from cep.monitoring import services
from cep.monitoring.documents import MAX_BYTES
from cep.monitoring.models import RegionalDocument

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n"


def _add(analyst, exercise, filename="bilan.pdf", content=PDF, **extra):
    fields = {
        "title": "Bilan CEP 2022",
        "kind": "bilan",
        "source": "CREFOP",
        "published_on": datetime.date(2023, 3, 1),
    }
    return services.add_document(
        actor=analyst, exercise_id=exercise.pk, filename=filename, chunks=[content], **(fields | extra)
    )


def test_suivi_a_pdf_is_kept_with_its_checksum(analyst, exercise):
    document = _add(analyst, exercise)
    assert document.sha256 == hashlib.sha256(PDF).hexdigest()
    assert bytes(document.content) == PDF and document.size == len(PDF)
    assert document.content_type == "application/pdf"


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("outil.exe", b"MZ\x90\x00", "Type de fichier refusé"),
        ("bilan.pdf", b"MZ\x90\x00 not a pdf", "ne correspond pas à son extension"),
        ("tableau.xlsx", PDF, "ne correspond pas à son extension"),
        ("sans-extension", PDF, "Type de fichier refusé"),
        ("vide.pdf", b"", "vide"),
        ("gros.pdf", b"%PDF-" + b"0" * MAX_BYTES, "trop volumineux"),
    ],
)
def test_saisie_other_files_are_refused_and_nothing_is_kept(analyst, exercise, filename, content, message):
    with pytest.raises(RuleViolation) as refused:
        _add(analyst, exercise, filename=filename, content=content)
    assert message in refused.value.message and refused.value.field == "file"
    assert not RegionalDocument.objects.exists()


def test_suivi_the_same_file_twice_is_refused(analyst, exercise):
    _add(analyst, exercise)
    with pytest.raises(RuleViolation) as refused:
        _add(analyst, exercise, filename="copie.pdf", title="Copie")
    assert "déjà été déposé" in refused.value.message
    assert RegionalDocument.objects.count() == 1


def test_suivi_upload_and_download_through_the_pages(client, analyst, exercise, other_analyst, national):
    client.force_login(analyst)
    url = reverse("monitoring:document_add", args=[exercise.pk])
    upload = SimpleUploadedFile("Bilan régional.pdf", PDF, content_type="application/pdf")
    data = {"title": "Bilan", "kind": "bilan", "source": "CREFOP", "published_on": "01/03/2023", "file": upload}
    assert client.post(url, data).status_code == 302
    document = RegionalDocument.objects.get()
    page = client.get(reverse("monitoring:exercise", args=[exercise.pk])).content.decode()
    assert "Bilan régional.pdf" in page
    download = client.get(reverse("monitoring:document_download", args=[document.pk]))
    assert download.status_code == 200 and download.content == PDF
    assert download["Content-Disposition"].startswith("attachment;")
    client.force_login(national)
    assert client.get(reverse("monitoring:document_download", args=[document.pk])).content == PDF
    client.force_login(other_analyst)
    assert client.get(reverse("monitoring:document_download", args=[document.pk])).status_code == 404


def test_saisie_a_refused_file_is_an_error_on_its_field(client, analyst, exercise):
    client.force_login(analyst)
    url = reverse("monitoring:document_add", args=[exercise.pk])
    upload = SimpleUploadedFile("virus.pdf", b"MZ\x90\x00", content_type="application/pdf")
    data = {"title": "X", "kind": "bilan", "source": "Y", "published_on": "01/03/2023", "file": upload}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "ne correspond pas à son extension" in response.content.decode()
    assert not RegionalDocument.objects.exists()
