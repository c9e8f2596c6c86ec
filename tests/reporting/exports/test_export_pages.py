"""The « Fichiers mensuels » pages: produce with a progress bar, validation report, download, transmit, return."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cep.accounts.rights import Role
from cep.common.months import last_complete_month
from cep.reporting.exports.contract import version_for_month
from cep.reporting.exports.models import BatchStatus, ExportBatch, JobState, LineState, Scope
from tests.factories import UserFactory
from tests.reporting.exports.export_fixtures import *  # noqa: F401,F403

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_manager(client, manager):
    client.force_login(manager)
    return client


def _produce(client, month) -> ExportBatch:
    response = client.post(reverse("reporting:export_request"), {"month": f"{month:%Y-%m}"})
    assert response.status_code == 302, response.content.decode()[:2000]
    batch = ExportBatch.objects.latest("pk")
    assert response.url == reverse("reporting:export_detail", args=[batch.pk])
    return batch


def test_manager_produces_downloads_and_transmits_last_months_file(signed_manager, month_data, month, structure):
    page = signed_manager.get(reverse("reporting:exports"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Produire le fichier du mois" in html and f'value="{last_complete_month():%Y-%m}"' in html
    batch = _produce(signed_manager, month)
    assert (batch.scope, batch.structure_id, batch.job_state) == (Scope.STRUCTURE, structure.pk, JobState.DONE)
    detail = signed_manager.get(reverse("reporting:export_detail", args=[batch.pk])).content.decode()
    version = version_for_month(month).version  # 1.1.0 until 11/2026, 1.2.0 from 12/2026
    assert "Validé" in detail and f"respectent le contrat d'interface {version}" in detail
    assert "Marquer comme transmis" in detail and batch.sha256 in detail
    for file in batch.files.all():
        response = signed_manager.get(reverse("reporting:export_download", args=[batch.pk, file.resource]))
        body = b"".join(response.streaming_content)
        assert response["Content-Disposition"] == f'attachment; filename="{file.name}"'
        assert hashlib.sha256(body).hexdigest() == file.sha256 == response["X-Checksum-SHA256"]
    response = signed_manager.post(reverse("reporting:export_transmit", args=[batch.pk]), follow=True)
    assert "Le lot est marqué « Transmis »." in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.TRANSMITTED

    upload = SimpleUploadedFile("retour.csv", b"1;0000;OK\n2;E201;Date incoherente\n", content_type="text/csv")
    response = signed_manager.post(
        reverse("reporting:export_return", args=[batch.pk]), {"resource": "entrees", "file": upload}, follow=True
    )
    html = response.content.decode()
    assert "1 ligne(s) traitée(s), 1 ligne(s) rejetée(s)" in html
    assert "E201" in html and "Date incoherente" in html and "Rejetée" in html
    batch.refresh_from_db()
    assert batch.status == BatchStatus.ACKNOWLEDGED
    assert batch.lines.get(resource="entrees", line_number=2).state == LineState.REJECTED
    rejected_only = signed_manager.get(reverse("reporting:export_detail", args=[batch.pk]), {"etat": "rejected"})
    assert rejected_only.content.decode().count("<td>entrees</td>") == 1


def test_refused_file_lists_the_errors_and_cannot_be_transmitted(signed_manager, month_data, month):
    month_data["a"].__class__.objects.filter(pk=month_data["a"].pk).update(orientation_source_id="opca")
    batch = _produce(signed_manager, month)
    html = signed_manager.get(reverse("reporting:export_detail", args=[batch.pk])).content.decode()
    assert "Généré – 1 erreur" in html and "aiguilleur" in html
    assert "n&#x27;est pas une valeur autorisée" in html or "n'est pas une valeur autorisée" in html
    assert "Marquer comme transmis" not in html
    response = signed_manager.post(reverse("reporting:export_transmit", args=[batch.pk]), follow=True)
    assert "Seul un lot « Validé » peut être transmis" in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.GENERATED


def test_bad_month_is_a_french_form_error(signed_manager, structure):
    for month, message in (("2026-13", "mm/aaaa"), ("", "obligatoire"), ("2019-05", "Aucune version du contrat")):
        response = signed_manager.post(reverse("reporting:export_request"), {"month": month})
        assert response.status_code == 400
        assert message in response.content.decode()
    assert not ExportBatch.objects.exists()


def test_progress_is_polled_while_the_job_runs(signed_manager, structure):
    batch = ExportBatch.objects.create(
        scope=Scope.STRUCTURE,
        structure=structure,
        month=last_complete_month(),
        contract_version="1.1.0",
        job_state=JobState.RUNNING,
        job_step="Contrôle des fichiers et calcul des empreintes",
        progress_done=250,
        progress_total=1000,
    )
    url = reverse("reporting:export_progress", args=[batch.pk])
    detail = signed_manager.get(reverse("reporting:export_detail", args=[batch.pk])).content.decode()
    assert f'hx-get="{url}"' in detail and 'hx-trigger="every 1s"' in detail
    partial = signed_manager.get(url, HTTP_HX_REQUEST="true")
    html = partial.content.decode()
    assert (
        '<progress class="cep-progress"' in html and 'value="25"' in html and "250 lignes contrôlées sur 1000" in html
    )
    assert "HX-Refresh" not in partial
    ExportBatch.objects.filter(pk=batch.pk).update(job_state=JobState.DONE, progress_done=1000)
    done = signed_manager.get(url, HTTP_HX_REQUEST="true")
    assert done["HX-Refresh"] == "true" and "hx-trigger" not in done.content.decode()


@pytest.mark.parametrize("role", [Role.COUNSELOR, Role.REGIONAL_OBSERVER, Role.NATIONAL_OBSERVER])
def test_counselors_and_observers_cannot_see_the_monthly_files(client, structure, role, month):
    batch = ExportBatch.objects.create(
        scope=Scope.STRUCTURE, structure=structure, month=month, contract_version="1.1.0"
    )
    user = UserFactory(
        username=f"u_{role}",
        role=role,
        structure=structure if role == Role.COUNSELOR else None,
        region_id="94" if role == Role.REGIONAL_OBSERVER else None,
    )
    client.force_login(user)
    assert client.get(reverse("reporting:exports")).status_code == 403
    assert client.get(reverse("reporting:export_detail", args=[batch.pk])).status_code == 403
    assert client.post(reverse("reporting:export_request"), {"month": f"{month:%Y-%m}"}).status_code == 403
    assert not ExportBatch.objects.exclude(pk=batch.pk).exists()


def test_another_structures_batch_is_404(signed_manager, other_structure, month):
    batch = ExportBatch.objects.create(
        scope=Scope.STRUCTURE, structure=other_structure, month=month, contract_version="1.1.0"
    )
    for name in ("reporting:export_detail", "reporting:export_progress"):
        assert signed_manager.get(reverse(name, args=[batch.pk])).status_code == 404
    assert signed_manager.get(reverse("reporting:export_download", args=[batch.pk, "entrees"])).status_code == 404
    assert signed_manager.get(reverse("reporting:export_download_all", args=[batch.pk])).status_code == 404
    assert signed_manager.post(reverse("reporting:export_transmit", args=[batch.pk])).status_code == 404


def test_pages_queries_do_not_grow_with_batches(signed_manager, structure, month, django_assert_max_num_queries):
    for _ in range(30):
        ExportBatch.objects.create(
            scope=Scope.STRUCTURE, structure=structure, month=month, contract_version="1.1.0", job_state=JobState.DONE
        )
    with django_assert_max_num_queries(8):
        page = signed_manager.get(reverse("reporting:exports"))
    html = page.content.decode()
    assert html.count("Lot n° ") == 20 and "Lots plus anciens" in html
    last = ExportBatch.objects.order_by("pk").first()
    with django_assert_max_num_queries(12):
        detail = signed_manager.get(reverse("reporting:export_detail", args=[last.pk]))
    assert detail.status_code == 200


def test_all_files_in_one_streamed_zip_and_hashes_folded_under_technical_details(
    signed_manager, client, counselor, month_data, month
):
    import io
    import zipfile

    from cep.audit.models import AuditEntry

    batch = _produce(signed_manager, month)
    detail = signed_manager.get(reverse("reporting:export_detail", args=[batch.pk])).content.decode()
    assert "Tout télécharger (zip)" in detail and reverse("reporting:export_download_all", args=[batch.pk]) in detail
    technical = detail[detail.index("Détails techniques") :]
    assert batch.sha256 in technical and "Temps de calcul" in technical
    files = list(batch.files.all())
    assert all(f.sha256 in technical for f in files)
    assert batch.sha256 not in detail[: detail.index("Détails techniques")]  # hashes only under the details
    downloads = AuditEntry.objects.filter(action="download_export_file").count()
    response = signed_manager.get(reverse("reporting:export_download_all", args=[batch.pk]))
    assert response.streaming and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert sorted(archive.namelist()) == sorted(f.name for f in files)
    for f in files:
        assert hashlib.sha256(archive.read(f.name)).hexdigest() == f.sha256
    assert AuditEntry.objects.filter(action="download_export_file").count() == downloads + len(files)
    # the right is checked: a counselor (no « Produire le fichier mensuel ») is refused
    client.force_login(counselor)
    assert client.get(reverse("reporting:export_download_all", args=[batch.pk])).status_code == 403
