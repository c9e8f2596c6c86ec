"""The import through the API: upload (the check), planned outcomes line by line, confirmation, undo. A bad file is a
422 with a French message, never a 500; the right « Importer des données » everywhere (permission matrix)."""

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cep.accounts.rights import Role
from cep.beneficiaries.models import Beneficiary
from cep.enrolments.models import Cep
from cep.imports.models import ImportBatch
from tests.api.conftest import Multipart, client_for
from tests.factories import BeneficiaryFactory, UserFactory
from tests.imports.conftest import csv_bytes, people, row


def upload_file(data: bytes, name: str = "beneficiaires.csv") -> io.BytesIO:
    file = io.BytesIO(data)
    file.name = name
    return file


def import_upload(data: bytes | None = None, kind: str = "beneficiaries", **fields) -> Multipart:
    """A multipart body for POST /imports: a valid beneficiaries file by default."""
    return Multipart(file=upload_file(csv_bytes(people(2)) if data is None else data), kind=kind, **fields)


@pytest.fixture
def importer_api(structure):
    return client_for(UserFactory(username="importeur", role=Role.MANAGER, structure=structure))


def test_upload_checks_the_file_and_answers_the_planned_outcomes(importer_api):
    response = importer_api.post("imports", import_upload(csv_bytes([row(), row(prenom="Zoé", sexe="X"), row()])))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "checked" and body["kind"] == "beneficiaries"
    assert (body["create_count"], body["duplicate_count"], body["refused_count"]) == (1, 1, 1)
    assert body["refused_lines"] == [
        {
            "line_number": 3,
            "outcome": "refused",
            "object_id": None,
            "duplicate_of": None,
            "errors": [{"column": "sexe", "rule": "SAISIE", "message": "Sexe : « F » ou « M » attendu (lu : « X »)."}],
            "warnings": [],
        }
    ]
    assert not Beneficiary.objects.exists()
    lines = importer_api.get(f"imports/{body['id']}/lines?outcome=duplicate").json()
    assert [(x["line_number"], x["duplicate_of"]) for x in lines["items"]] == [(4, 2)]


def test_confirm_needs_the_encoding_then_applies_the_plan(importer_api, django_capture_on_commit_callbacks):
    batch = importer_api.post("imports", import_upload()).json()
    refused = importer_api.post(f"imports/{batch['id']}/confirm", {})
    assert refused.status_code == 409 and refused.json()["code"] == "IMPORT"
    assert refused.json()["field"] == "encoding_confirmed"
    with django_capture_on_commit_callbacks(execute=True):
        accepted = importer_api.post(f"imports/{batch['id']}/confirm", {"encoding_confirmed": True})
    assert accepted.status_code == 202 and accepted.json()["status"] == "queued"
    assert importer_api.get(f"imports/{batch['id']}").json()["status"] == "applied"
    assert Beneficiary.objects.count() == 2
    again = importer_api.post("imports", import_upload()).json()
    assert again["unchanged_count"] == 2 and again["create_count"] == 0


def test_a_cep_file_through_the_api(importer_api, structure):
    person = BeneficiaryFactory(structure=structure, last_name="Rossi", first_name="Paul", sex="M")
    from tests.imports.test_ceps import csv_bytes as cep_csv
    from tests.imports.test_ceps import line

    data = cep_csv([line(person), line(person, prenom="Personne")])
    response = importer_api.post("imports", import_upload(data, kind="ceps"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["create_count"], body["refused_count"]) == ("ceps", 1, 1)
    assert body["refused_lines"][0]["errors"][0]["rule"] == "DOSSIER"
    assert not Cep.objects.exists()


def test_a_cep_file_warns_of_a_double_accompaniment_through_the_api(importer_api, structure, cep_refs):
    """The person has a CEP in progress at APEC: the line is accepted, its warning names APEC's network and
    structure only; `warned=true` lists the warned lines alone."""
    from tests.imports.test_ceps import cep_elsewhere, line
    from tests.imports.test_ceps import csv_bytes as cep_csv

    person = BeneficiaryFactory(structure=structure, last_name="Rossi", first_name="Paul", sex="M")
    apec = cep_elsewhere(person, cep_refs).structure
    other = BeneficiaryFactory(structure=structure, last_name="Santoni", first_name="Jean", sex="M")
    body = importer_api.post("imports", import_upload(cep_csv([line(other), line(person)]), kind="ceps")).json()
    assert (body["create_count"], body["refused_count"], body["warning_count"]) == (2, 0, 1)
    created = importer_api.get(f"imports/{body['id']}/lines?outcome=create").json()["items"]
    assert [x["warnings"] for x in created if x["line_number"] == 2] == [[]]
    (warned,) = importer_api.get(f"imports/{body['id']}/lines?outcome=create&warned=true").json()["items"]
    assert warned["line_number"] == 3 and warned["outcome"] == "create"
    (warning,) = warned["warnings"]
    assert (warning["rule"], warning["elsewhere"]) == (
        "DOUBLE_ACCOMPAGNEMENT",
        [{"network": apec.network.label, "structure": "APEC Corse"}],
    )
    assert warning["message"].startswith("Attention : cette personne a aussi un CEP en cours dans une autre structure")
    assert importer_api.get(f"imports/{body['id']}").json()["warning_count"] == 1


def test_an_event_file_through_the_api(importer_api, structure):
    person = BeneficiaryFactory(structure=structure, last_name="Rossi", first_name="Paul", sex="M")
    from tests.imports.test_events import HEADER, line

    rows = [line(person), line(person, date="31/02/2025")]
    data = "\n".join(";".join(r) for r in [HEADER, *rows]).encode("utf-8")
    body = importer_api.post("imports", import_upload(data, kind="events")).json()
    assert (body["kind"], body["create_count"], body["refused_count"]) == ("events", 1, 1)
    assert body["refused_lines"][0]["errors"][0]["column"] == "date"


@pytest.mark.parametrize(
    ("data", "fields", "expected"),
    [
        (b"", {}, "Le fichier est vide."),
        (b"nom;prenom\nMartin;Lea\n", {}, "Colonnes obligatoires absentes"),
        (b"\xd0\xcf\x11\xe0" + b"\x00" * 100, {}, "XLS (Excel 97-2003)"),
        (b"nom;prenom\n\xe9", {"encoding": "utf-8"}, "n'est pas en UTF-8"),
    ],
)
def test_a_bad_file_is_a_422_in_french_and_nothing_is_written(importer_api, data, fields, expected):
    response = importer_api.post("imports", import_upload(data, **fields))
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "IMPORT" and expected in response.json()["message"]
    assert not ImportBatch.objects.exists()


def test_an_unknown_kind_or_no_file_is_a_422(importer_api):
    response = importer_api.post("imports", import_upload(kind="plans"))
    assert response.status_code == 422 and response.json()["code"] == "VALIDATION"
    response = importer_api.post("imports", import_upload(encoding="latin-9"))
    assert response.status_code == 422 and response.json()["field"].endswith("encoding")
    response = importer_api.post("imports", Multipart(kind="beneficiaries"))
    assert response.status_code == 422 and response.json()["field"] == "file"
    assert response.json()["message"] == "Joignez le fichier à importer (champ « file », CSV ou XLSX)."


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300), kind=st.sampled_from(["beneficiaries", "ceps", "events", "services"]))
def test_random_bytes_never_give_a_500(importer_api, data, kind):
    response = importer_api.post("imports", import_upload(data, kind=kind))
    assert response.status_code in (201, 422), response.content
    assert response.json().get("message") or response.json().get("id")


def test_a_counselor_cannot_upload(api):
    response = api.post("imports", import_upload())
    assert response.status_code == 403 and response.json()["code"] == "DROITS"
