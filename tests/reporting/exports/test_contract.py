"""The published interface contract: generated from the referentials, valid, versioned, served."""

import datetime
import json

import pytest
from frictionless import Schema

from cep.common.errors import RuleViolation
from cep.reporting.exports.contract import CONTRACT_DIR, FIELDS, VERSIONS, get_version, version_for_month
from cep.reporting.exports.contract.schema import build_schema, generated_files
from cep.reporting.exports.validation import Validator, load_schema, validate_text
from tests.reporting.exports.export_fixtures import frictionless_errors

pytestmark = pytest.mark.django_db


def test_committed_contract_equals_the_regenerated_one(refdata):
    files = generated_files()
    assert len(files) == 2 * len(VERSIONS) * 3
    for path, text in files.items():
        assert path.exists(), f"{path} is missing: run manage.py cep_contract"
        assert path.read_text(encoding="utf-8") == text, f"{path} is stale: run manage.py cep_contract and commit"


def test_schemas_are_valid_table_schemas_with_the_publication_metadata(refdata):
    for version in VERSIONS:
        for name, resource in version.resources.items():
            descriptor = json.loads(version.schema_path(name).read_text(encoding="utf-8"))
            assert Schema.validate_descriptor(descriptor).valid
            Schema.from_descriptor(descriptor)  # raises on an invalid schema
            assert descriptor["version"] == version.version
            assert descriptor["lastModified"] == version.last_modified
            assert descriptor["primaryKey"] == [resource.key]
            names = [f["name"] for f in descriptor["fields"]]
            assert names == list(resource.all_fields)
            for field in descriptor["fields"]:
                assert field["title"] and field["description"]
                assert "required" in field["constraints"]


def test_enumerations_are_the_referential_codes_valid_for_the_version(refdata):
    v1 = get_version("1.0.0")
    fields = {f["name"]: f for f in build_schema(v1, v1.resources["entrees"])["fields"]}
    orientation = fields["aiguilleur"]["constraints"]["enum"]
    assert "fongecif" not in orientation and "opca" not in orientation  # ended before 2020
    assert "ma_structure_suite_niveau1" in orientation
    assert fields["aiguilleur"]["enumLabels"]["ma_structure_suite_niveau1"] == "Ma ML – suite niveau 1"
    assert "operateur_regional" in fields["code_reseau"]["constraints"]["enum"]
    assert "2A" in fields["code_departement_residence"]["constraints"]["enum"]
    assert fields["phase_entree"]["constraints"]["enum"] == [2, 3]
    exits = build_schema(v1, v1.resources["sorties"])["fields"]
    reasons = next(f for f in exits if f["name"] == "motif_sortie")["constraints"]["enum"]
    assert len(reasons) == 7
    # Never an identifying field in any version.
    for version in VERSIONS:
        for resource in version.resources.values():
            assert not {"nom", "prenom", "email", "telephone", "nir", "date_naissance"} & set(resource.all_fields)
    assert "code_rome_vise" not in v1.resources["entrees"].fields
    assert "code_rome_vise" in get_version("1.1.0").resources["entrees"].fields


def test_each_month_is_produced_with_the_version_in_force():
    assert version_for_month(datetime.date(2020, 1, 1)).version == "1.0.0"
    assert version_for_month(datetime.date(2024, 12, 1)).version == "1.0.0"
    assert version_for_month(datetime.date(2025, 1, 1)).version == "1.1.0"
    assert version_for_month(datetime.date(2026, 10, 1)).version == "1.1.0"
    with pytest.raises(RuleViolation):
        version_for_month(datetime.date(2019, 12, 1))
    with pytest.raises(RuleViolation):
        get_version("9.9.9")
    assert (CONTRACT_DIR / "CHANGELOG.md").read_text().count("## 1.") == len(VERSIONS)


def test_examples_are_valid_for_both_validators(refdata):
    for version in VERSIONS:
        for name in version.resources:
            path = version.example_path(name)
            assert frictionless_errors(path.parent, path.name, version, name) == []
            report = validate_text(path.read_text(encoding="utf-8"), version, name)
            assert report.valid, report.errors
            assert report.rows == 3


def _broken(version, name: str) -> str:
    """The example with one fault per line: bad enum, missing required value, impossible date, bad pattern,
    bad boolean, bad year-month, duplicate key, wrong integer."""
    text = version.example_path(name).read_text(encoding="utf-8")
    header, *rows = text.splitlines()
    names = header.split(";")
    base = rows[0].split(";")

    def variant(number, **changes):
        values = list(base)
        values[0] = str(number)
        values[names.index(version.resources[name].key)] = f"{number:032x}"
        for field, value in changes.items():
            values[names.index(field)] = value
        return ";".join(values)

    faults = {"type_mouvement": "correction", "code_structure": "", "identifiant_personne": "XYZ"}
    if name == "entrees":
        faults.update(
            date_entree="2025-02-30",
            rqth="oui",
            annee_mois_naissance="1998-13",
            aiguilleur="fongecif",
            phase_entree="4",
            situation_professionnelle="",
        )
    elif name == "services":
        faults.update(date_service="20/10/2025", acte_service="inconnu")
    else:
        faults.update(sortie_automatique="peut-etre", phase_sortie="deux", motif_sortie="abandon")
    lines = [header] + [variant(i, **{field: value}) for i, (field, value) in enumerate(faults.items(), start=1)]
    lines.append(variant(len(faults) + 1))
    duplicate = lines[-1].split(";")
    duplicate[0] = str(len(faults) + 2)
    lines.append(";".join(duplicate))  # same key twice
    return "\n".join(lines) + "\n"


def test_the_compiled_validator_agrees_with_frictionless(refdata, tmp_path):
    for version in VERSIONS:
        for name in version.resources:
            text = _broken(version, name)
            (tmp_path / f"{name}.csv").write_text(text, encoding="utf-8")
            key = version.resources[name].key
            reference = {
                (row, field if kind != "primary-key" else key)
                for row, field, kind in frictionless_errors(tmp_path, f"{name}.csv", version, name)
            }
            ours = validate_text(text, version, name)
            assert {(e.row, e.field) for e in ours.errors} == reference, name
            assert len(reference) == text.count("\n") - 2  # one error per line except the first duplicate
            assert all(e.message and e.message[0].isupper() or e.message.startswith("«") for e in ours.errors)


def test_month_rules_give_the_row_and_a_french_reason(refdata):
    version = get_version("1.1.0")
    text = version.example_path("entrees").read_text(encoding="utf-8")
    report = validate_text(text, version, "entrees", month=datetime.date(2025, 9, 1))
    assert not report.valid
    assert {(e.row, e.field) for e in report.errors} == {(2, "date_entree"), (3, "date_entree"), (4, "date_entree")}
    assert report.errors[0].message == "La date 2025-10-06 est postérieure au mois déclaré (09/2025)."
    assert validate_text(text, version, "entrees", month=datetime.date(2025, 10, 1)).valid
    bad_header = validate_text("a;b\n1;2\n", version, "entrees")
    assert bad_header.errors[0].row == 1 and "en-tête" in bad_header.errors[0].message
    short = text.replace(";M1607\n", "\n", 1)
    (error,) = validate_text(short, version, "entrees").errors
    assert (error.row, error.message) == (2, "La ligne a 22 champs au lieu de 23.")
    plan = (
        version.example_path("sorties")
        .read_text(encoding="utf-8")
        .replace(";deces;2;false;maintien_employabilite", ";plan_action_realise;2;false;")
    )
    report = validate_text(plan, version, "sorties")
    assert {(e.row, e.field) for e in report.errors} == {
        (2, "type_projet_sortie"),
        (3, "type_projet_sortie"),
        (4, "type_projet_sortie"),
    }


def test_validator_is_fast_enough_for_a_national_month(refdata):
    import time

    version = get_version("1.1.0")
    header, first, *_ = version.example_path("entrees").read_text(encoding="utf-8").splitlines()
    values = first.split(";")
    lines = [header]
    for i in range(1, 100_001):
        values[0], values[2] = str(i), f"{i:032x}"
        lines.append(";".join(values))
    validator = Validator(load_schema(version, "entrees"), version.resources["entrees"], datetime.date(2025, 10, 1))
    started = time.perf_counter()
    report = validator.validate_lines(lines)
    elapsed = time.perf_counter() - started
    assert report.valid and report.rows == 100_000
    assert elapsed < 3.0, f"{elapsed:.2f} s for 100,000 rows"


def test_contract_page_lists_versions_fields_and_labels(client, refdata):
    response = client.get("/contrat-interface/")
    assert response.status_code == 200
    html = response.content.decode()
    for version in VERSIONS:
        assert f'id="v{version.version}"' in html
        for name in version.resources:
            assert f"/contrat-interface/{version.version}/{name}.json" in html
            assert f"/contrat-interface/{version.version}/{name}.csv" in html
    assert "Ma ML – suite niveau 1" in html and "<code>code_rome_vise</code>" in html
    assert "séparateur « ; »" in html
    assert "/contrat-interface/CHANGELOG.md" in html


def test_schema_example_and_changelog_are_downloadable(client, refdata):
    response = client.get("/contrat-interface/1.0.0/sorties.json")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    assert response.json() == json.loads(get_version("1.0.0").schema_path("sorties").read_text(encoding="utf-8"))
    example = client.get("/contrat-interface/1.1.0/entrees.csv")
    assert example.status_code == 200
    assert b"".join(example.streaming_content) == get_version("1.1.0").example_path("entrees").read_bytes()
    changelog = client.get("/contrat-interface/CHANGELOG.md")
    assert b"## 1.1.0" in b"".join(changelog.streaming_content)
    assert client.get("/contrat-interface/9.9.9/entrees.json").status_code == 404
    assert client.get("/contrat-interface/1.0.0/personnes.json").status_code == 404
    assert all(f.type for f in FIELDS.values())
