"""Pages of the import: upload → dry-run report → confirm → result; refused lines (keyset); undo; templates.
Their SQL query counts are pinned and do not grow with the file."""

import html
import io
import re

import pytest
from django.urls import reverse

from cep.accounts.rights import Role
from cep.beneficiaries.models import Beneficiary
from cep.imports import services
from cep.imports.models import ImportBatch, Status
from tests.factories import UserFactory
from tests.imports.conftest import csv_bytes, people, row


@pytest.fixture
def importer(structure):
    return UserFactory(username="importeur", role=Role.MANAGER, structure=structure)


@pytest.fixture
def signed_in(client, importer):
    client.force_login(importer)
    return client


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def _upload(client, data: bytes, name="beneficiaires.csv", encoding="auto"):
    file = io.BytesIO(data)
    file.name = name
    return client.post(reverse("imports:upload"), {"kind": "beneficiaries", "file": file, "encoding": encoding})


def test_upload_shows_the_dry_run_report(signed_in):
    response = _upload(signed_in, csv_bytes([row(), row(prenom="Zoé", sexe="X"), row()]))
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("imports:detail", args=[batch.pk])
    page = page_text(signed_in.get(response["Location"]))
    assert "UTF-8 (détecté)" in page and "point-virgule" in page
    assert "Ce que l'import fera" in page
    assert "« F » ou « M » attendu" in page  # the refused line, its column and rule
    assert "Télécharger les lignes refusées" in page
    assert "Confirmer l'import" in page and "je confirme l'encodage" in page
    assert not Beneficiary.objects.exists()
    # The « create » lines hold the ids reserved for their dossiers: never shown as dossiers before the import.
    created = page_text(signed_in.get(response["Location"] + "?resultat=create"))
    assert "MARTIN Léa" in created and "dossier existant n°" not in created and "dossier n°" not in created


def test_a_file_refused_whole_shows_its_reason_next_to_the_file(signed_in):
    response = _upload(signed_in, b"nom;prenom\nMartin;Lea\n")
    assert response.status_code == 400
    assert "Colonnes obligatoires absentes" in page_text(response)
    assert not ImportBatch.objects.exists()


def test_confirm_without_the_encoding_is_refused_with_a_message(signed_in):
    _upload(signed_in, csv_bytes(people(2)))
    batch = ImportBatch.objects.get()
    response = signed_in.post(reverse("imports:confirm", args=[batch.pk]), {}, follow=True)
    assert "Confirmez l'encodage" in page_text(response)
    batch.refresh_from_db()
    assert batch.status == Status.CHECKED


def test_confirm_hands_the_batch_to_the_worker_and_the_progress_bar_polls(
    signed_in, django_capture_on_commit_callbacks
):
    _upload(signed_in, csv_bytes(people(2)))
    batch = ImportBatch.objects.get()
    with django_capture_on_commit_callbacks(execute=True):  # handed over once the confirmation commits
        signed_in.post(reverse("imports:confirm", args=[batch.pk]), {"encoding_confirmed": "on"})
    batch.refresh_from_db()
    assert batch.task_id  # the tests' task backend runs it at once
    assert batch.status == Status.APPLIED and Beneficiary.objects.count() == 2
    # While a worker writes it: the page polls its progress bar every second.
    ImportBatch.objects.filter(pk=batch.pk).update(status=Status.RUNNING, progress_done=1, progress_total=2)
    page = page_text(signed_in.get(reverse("imports:detail", args=[batch.pk])))
    assert 'hx-trigger="every 1s"' in page and "50 % — 1 ligne écrite sur 2" in page
    ImportBatch.objects.filter(pk=batch.pk).update(status=Status.APPLIED, progress_done=2)
    progress = signed_in.get(reverse("imports:progress", args=[batch.pk]), headers={"HX-Request": "true"})
    assert progress["HX-Refresh"] == "true"
    page = page_text(signed_in.get(reverse("imports:detail", args=[batch.pk]) + "?resultat=create"))
    assert "Importé" in page and "Annuler l'import" in page and "MARTIN Personne0" in page


def test_a_file_with_nothing_to_write_offers_no_confirmation(signed_in, importer):
    _upload(signed_in, csv_bytes(people(1)))
    first = ImportBatch.objects.get()
    services.confirm(batch=first, actor=importer, encoding_confirmed=True, run=False)
    services.apply(first.pk)
    _upload(signed_in, csv_bytes(people(1)))  # the same file again: every line « inchangé »
    again = ImportBatch.objects.exclude(pk=first.pk).get()
    page = page_text(signed_in.get(reverse("imports:detail", args=[again.pk])))
    assert "Rien à importer" in page and "Confirmer l'import" not in page and "Abandonner ce lot" in page


def test_undo_from_the_page(signed_in, importer):
    _upload(signed_in, csv_bytes(people(1)))
    batch = ImportBatch.objects.get()
    services.confirm(batch=batch, actor=importer, encoding_confirmed=True, run=False)
    services.apply(batch.pk)
    response = signed_in.post(reverse("imports:undo", args=[batch.pk]), follow=True)
    page = page_text(response)
    assert "L'annulation est lancée" in page and "Annulation en attente" in page
    assert "1 création et 0 mise à jour à défaire" in page
    services.perform_undo(batch.pk)  # the worker (the test's transaction never commits: no task was handed over)
    assert not Beneficiary.objects.exists()
    page = page_text(signed_in.get(reverse("imports:detail", args=[batch.pk])))
    assert "Annulé le" in page and "Annuler l'import" not in page


def test_refused_lines_download_neutralises_formulas(signed_in):
    _upload(signed_in, csv_bytes([row(nom="=1+1", sexe="?")]))
    batch = ImportBatch.objects.get()
    response = signed_in.get(reverse("imports:refused", args=[batch.pk]))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert response["Content-Type"].startswith("text/csv")
    assert "ligne;colonne;règle;motif du refus" in text and "'=1+1" in text


def test_template_download(signed_in):
    response = signed_in.get(reverse("imports:template", args=["beneficiaires"]))
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("nom;prenom;nom_naissance;sexe;date_naissance;date_premier_accueil")


def test_refused_lines_are_paged_by_keyset(signed_in):
    _upload(signed_in, csv_bytes([row(sexe="X", prenom=f"P{i}") for i in range(60)]))
    batch = ImportBatch.objects.get()
    first = page_text(signed_in.get(reverse("imports:detail", args=[batch.pk])))
    assert "Lignes suivantes" in first
    assert ">51<" in first and ">52<" not in first
    cursor = first.split("apres=")[1].split("#")[0]
    second = signed_in.get(reverse("imports:detail", args=[batch.pk]) + f"?resultat=refused&apres={cursor}")
    assert ">52<" in page_text(second) and "Lignes suivantes" not in page_text(second)


def test_pages_query_counts_do_not_grow_with_the_file(signed_in, django_assert_max_num_queries):
    _upload(signed_in, csv_bytes([row(sexe="X", prenom=f"P{i}") for i in range(120)] + people(30)))
    batch = ImportBatch.objects.get()
    for url in (
        reverse("imports:list"),
        reverse("imports:detail", args=[batch.pk]),
        reverse("imports:detail", args=[batch.pk]) + "?resultat=create",
        reverse("imports:progress", args=[batch.pk]),
    ):
        with django_assert_max_num_queries(9):
            assert signed_in.get(url).status_code == 200


def test_another_structures_batch_is_404(client, importer, other_structure):
    batch = services.check_file(actor=importer, file=io.BytesIO(csv_bytes(people(1))), name="f.csv")
    stranger = UserFactory(username="autre_resp", role=Role.MANAGER, structure=other_structure)
    client.force_login(stranger)
    assert client.get(reverse("imports:detail", args=[batch.pk])).status_code == 404
    assert client.post(reverse("imports:undo", args=[batch.pk])).status_code == 404


def test_cep_file_from_upload_to_undo(signed_in, importer, structure, django_capture_on_commit_callbacks):
    from cep.enrolments.models import Cep
    from tests.factories import BeneficiaryFactory
    from tests.imports.test_ceps import csv_bytes as cep_csv
    from tests.imports.test_ceps import line

    person = BeneficiaryFactory(structure=structure, last_name="Rossi", first_name="Paul", sex="M")
    template = signed_in.get(reverse("imports:template", args=["dispositifs-cep"])).content.decode("utf-8-sig")
    assert template.splitlines()[0].startswith("nom;prenom;nom_naissance;sexe;date_naissance;aiguilleur")
    assert "Modèle Dispositifs CEP (CSV)" in page_text(signed_in.get(reverse("imports:list")))
    file = io.BytesIO(cep_csv([line(person), line(person, phase_entree="4")]))
    file.name = "ceps.csv"
    response = signed_in.post(reverse("imports:upload"), {"kind": "ceps", "file": file, "encoding": "auto"})
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    page = page_text(signed_in.get(reverse("imports:detail", args=[batch.pk])))
    assert "Dispositifs CEP" in page and "L'entrée se fait en phase 2 ou directement en phase 3." in page
    assert ">R3<" in page
    page = page_text(signed_in.get(reverse("imports:detail", args=[batch.pk]) + "?resultat=create"))
    assert "dispositifs du dossier" in page and "(CEP" not in page  # its reserved id is no CEP yet
    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post(reverse("imports:confirm", args=[batch.pk]), {"encoding_confirmed": "on"})
    cep = Cep.objects.get()
    page = page_text(signed_in.get(reverse("imports:detail", args=[batch.pk]) + "?resultat=create"))
    assert f"CEP n° {cep.pk}" in page and "L'annulation supprime les CEP créés" in page
    with django_capture_on_commit_callbacks(execute=True):  # the undo job runs on commit (immediate backend)
        response = signed_in.post(reverse("imports:undo", args=[batch.pk]), follow=True)
    assert "L'annulation est lancée" in page_text(response)
    assert not Cep.objects.exists()
    page = page_text(signed_in.get(reverse("imports:detail", args=[batch.pk])))
    assert "Annulé le" in page and "Annuler l'import" not in page


def test_cep_file_warns_of_a_double_accompaniment_on_the_batch_page(
    signed_in, importer, structure, cep_refs, django_assert_max_num_queries
):
    """Accepted, never refused: the count in the summary, the warning on its line (the other structure's network
    and name only), and « Avec un avertissement » lists the warned lines alone, in as many queries as the others."""
    from tests.factories import BeneficiaryFactory
    from tests.imports.test_ceps import cep_elsewhere, line
    from tests.imports.test_ceps import csv_bytes as cep_csv

    email = "p.rossi@apec-dossier.fr"  # the other dossier's: never shown
    person = BeneficiaryFactory(structure=structure, last_name="Rossi", first_name="Paul", sex="M", email=email)
    apec = cep_elsewhere(person, cep_refs, email=email).structure
    others = [BeneficiaryFactory(structure=structure, first_name=f"Autre{i}") for i in range(3)]
    file = io.BytesIO(cep_csv([line(o) for o in others] + [line(person)]))
    file.name = "ceps.csv"
    signed_in.post(reverse("imports:upload"), {"kind": "ceps", "file": file, "encoding": "auto"})
    batch = ImportBatch.objects.get()
    assert (batch.create_count, batch.refused_count, batch.warning_count) == (4, 0, 1)
    url = reverse("imports:detail", args=[batch.pk])
    page = page_text(signed_in.get(url))
    assert "dont avec un avertissement (double accompagnement possible)" in page
    assert "Double accompagnement possible : 1 ligne créera un CEP en cours" in re.sub(r"<[^>]+>", "", page)
    created = page_text(signed_in.get(url + "?resultat=create"))
    assert created.count('-avertissement">') == 1 and 'id="ligne-5-avertissement"' in created
    assert f"autre structure ({apec.network.label} – APEC Corse)." in created
    assert "apec-dossier" not in created  # nothing of the other dossier but its structure
    with django_assert_max_num_queries(9):
        warned = page_text(signed_in.get(url + "?resultat=create&avertissements=1"))
    assert "Lignes « création » avec un avertissement" in warned
    listed = warned.split('id="lignes"')[1]
    assert "<td>5</td>" in listed and "<td>2</td>" not in listed
