"""Every refusal of an import: of the whole file (IMPORT, nothing written) and of one line (its line, column, French
reason and rule); encodings, delimiters, XLSX, trailing empty rows."""

import datetime
import io

import openpyxl
import pytest

from cep.common.errors import RuleViolation
from cep.imports import services
from cep.imports.models import ImportBatch, ImportLine, Outcome
from tests.clock import today

from .conftest import HEADER, csv_bytes, people, row


def check(actor, data: bytes, name="beneficiaires.csv", encoding=None):
    return services.check_file(actor=actor, file=io.BytesIO(data), name=name, encoding=encoding)


def refused(actor, **cells) -> dict:
    batch = check(actor, csv_bytes([row(**cells)]))
    line = ImportLine.objects.get(batch=batch)
    assert line.outcome == Outcome.REFUSED
    assert line.raw[0] == row(**cells)[0]
    return {(e["column"], e["rule"]): e["message"] for e in line.errors}


def file_refused(actor, data: bytes, **kwargs) -> str:
    with pytest.raises(RuleViolation) as err:
        check(actor, data, **kwargs)
    assert err.value.rule == "IMPORT"
    assert not ImportBatch.objects.exists() and not ImportLine.objects.exists()
    return err.value.message


# --- the whole file ---


def test_import_empty_file(importer):
    assert "vide" in file_refused(importer, b"")


def test_import_missing_required_columns(importer):
    header = [h for h in HEADER if h not in ("sexe", "date_naissance")]
    message = file_refused(importer, csv_bytes([], header=header))
    assert "sexe" in message and "date_naissance" in message


def test_import_column_given_twice(importer):
    assert "deux fois" in file_refused(importer, csv_bytes([row()], header=[*HEADER[:-1], "nom"]))


def test_import_header_only(importer):
    assert "aucune ligne" in file_refused(importer, csv_bytes([]))


def test_import_old_xls_format(importer):
    assert "XLS" in file_refused(importer, b"\xd0\xcf\x11\xe0" + b"\0" * 100, name="vieux.xls")


def test_import_zip_that_is_not_a_workbook(importer):
    buffer = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", "bonjour")
    assert "XLSX" in file_refused(importer, buffer.getvalue(), name="a.xlsx")


def test_import_forced_utf8_on_a_windows_file(importer):
    data = csv_bytes([row(prenom="Hélène")], encoding="cp1252")
    assert "Windows-1252" in file_refused(importer, data, encoding="utf-8")


def test_import_broken_quoting_names_the_line(importer):
    data = csv_bytes(people(2)) + b'"Martin;L\xc3\xa9a;"x"y\n'
    batch_or_error = None
    try:
        batch_or_error = check(importer, data)
    except RuleViolation as err:
        assert err.rule == "IMPORT" and "Ligne" in err.message
        assert not ImportBatch.objects.exists()
    else:  # the csv module is lenient with this one: the line is refused on its cells instead
        assert batch_or_error.refused_count >= 1


def test_import_unknown_encoding(importer):
    assert "Encodage inconnu" in file_refused(importer, csv_bytes([row()]), encoding="latin-9")


# --- one line ---


def test_dossier_names_required(importer):
    errors = refused(importer, nom="", prenom=" ")
    assert errors[("nom", "DOSSIER")] == "Renseignez le nom."
    assert errors[("prenom", "DOSSIER")] == "Renseignez le prénom."


def test_saisie_text_too_long(importer):
    errors = refused(importer, nom="x" * 101)
    assert "100 caractères" in errors[("nom", "SAISIE")]


def test_saisie_control_characters(importer):
    assert "caractères de contrôle" in refused(importer, adresse="3 rue\x07")[("adresse", "SAISIE")]


def test_saisie_sex(importer):
    assert "« F » ou « M »" in refused(importer, sexe="X")[("sexe", "SAISIE")]


@pytest.mark.parametrize("value", ["31/02/2020", "2020-13-01", "hier", "14.03.1990"])
def test_saisie_wrong_dates(importer, value):
    assert ("date_naissance", "SAISIE") in refused(importer, date_naissance=value)


def test_dossier_dates_in_the_future_and_reception_before_birth(importer):
    future = (today() + datetime.timedelta(days=3)).strftime("%d/%m/%Y")
    assert ("date_naissance", "DOSSIER") in refused(importer, date_naissance=future, date_premier_accueil="01/01/2020")
    assert ("date_premier_accueil", "DOSSIER") in refused(importer, date_premier_accueil=future)
    errors = refused(importer, date_naissance="01/01/2000", date_premier_accueil="01/01/1999")
    assert (
        errors[("date_premier_accueil", "DOSSIER")]
        == "La date de premier accueil est antérieure à la date de naissance."
    )


def test_dossier_missing_dates(importer):
    assert ("date_premier_accueil", "DOSSIER") in refused(importer, date_premier_accueil="")


def test_referentiel_unknown_codes(importer):
    errors = refused(importer, situation_professionnelle="astronaute", niveau_qualification="niveau_99")
    assert "astronaute" in errors[("situation_professionnelle", "REFERENTIEL")]
    assert ("niveau_qualification", "REFERENTIEL") in errors
    assert ("code_commune", "REFERENTIEL") in refused(importer, code_commune="99999")


def test_referentiel_labels_are_accepted(importer):
    batch = check(
        importer,
        csv_bytes([row(situation_professionnelle="Salarié du secteur privé à temps complet", code_commune="2a004")]),
    )
    assert ImportLine.objects.get(batch=batch).data["employment_status_id"] == "salarie_prive_temps_complet"


def test_saisie_yes_no_and_rome(importer):
    assert ("rqth", "SAISIE") in refused(importer, rqth="peut-être")
    assert ("code_rome", "SAISIE") in refused(importer, code_rome="12345")


def test_r1_justified_needs_the_characteristics(importer):
    errors = refused(importer, code_commune="", situation_professionnelle="", niveau_qualification="")
    assert errors[("code_commune", "R1")] == "Pour justifier le dossier, renseignez la commune de résidence."
    assert ("situation_professionnelle", "R1") in errors and ("niveau_qualification", "R1") in errors


def test_r1_not_justified_needs_nothing_more(importer):
    batch = check(importer, csv_bytes([row(code_commune="", situation_professionnelle="", justifie="non")]))
    assert batch.create_count == 1


def test_saisie_huge_cell_is_refused_on_its_line(importer):
    batch = check(importer, csv_bytes([row(adresse="a" * 20_000), row(prenom="Autre")]))
    lines = {line.line_number: line for line in ImportLine.objects.filter(batch=batch)}
    assert lines[2].outcome == Outcome.REFUSED and lines[2].errors[0]["column"] == "adresse"
    assert lines[3].outcome == Outcome.CREATE


def test_conservation_an_anonymised_dossier_takes_nothing(importer, structure):
    from django.utils import timezone

    from tests.factories import BeneficiaryFactory

    BeneficiaryFactory(
        structure=structure,
        last_name="Martin",
        first_name="Léa",
        sex="F",
        birth_date="1990-03-14",
        first_reception_date="2025-09-02",
    )
    from cep.beneficiaries.models import Beneficiary

    Beneficiary.objects.update(anonymised_at=timezone.now())
    batch = check(importer, csv_bytes([row()]))
    line = ImportLine.objects.get(batch=batch)
    assert (line.outcome, line.errors[0]["rule"]) == (Outcome.REFUSED, "CONSERVATION")


def test_r4_reception_date_cannot_move_after_a_cep(importer, structure, cep_refs):
    from cep.enrolments.services import open_cep
    from tests.factories import BeneficiaryFactory

    dossier = BeneficiaryFactory(
        structure=structure,
        last_name="Martin",
        first_name="Léa",
        sex="F",
        birth_date="2004-03-14",
        first_reception_date="2025-09-02",
    )
    from cep.beneficiaries.services import justify_beneficiary

    justify_beneficiary(beneficiary=dossier, actor=importer)
    open_cep(
        beneficiary=dossier,
        actor=importer,
        orientation_source=cep_refs["direct"],
        entry_date=datetime.date(2025, 9, 10),
        entry_phase=2,
        request_reason=cep_refs["reason"],
    )
    batch = check(importer, csv_bytes([row(date_naissance="14/03/2004", date_premier_accueil="01/10/2025")]))
    line = ImportLine.objects.get(batch=batch)
    assert (line.outcome, line.errors[0]["rule"], line.errors[0]["column"]) == (
        Outcome.REFUSED,
        "R4",
        "date_premier_accueil",
    )
    assert "10/09/2025" in line.errors[0]["message"]
    accepted = check(importer, csv_bytes([row(date_naissance="14/03/2004", date_premier_accueil="05/09/2025")]))
    assert accepted.update_count == 1


# --- encodings, delimiters, formats ---


@pytest.mark.parametrize(
    ("encoding", "bom", "expected"),
    [("utf-8", False, "utf-8"), ("utf-8", True, "utf-8-sig"), ("cp1252", False, "cp1252")],
)
@pytest.mark.parametrize("delimiter", [",", ";"])
def test_encodings_and_delimiters_are_detected(importer, encoding, bom, expected, delimiter):
    batch = check(
        importer, csv_bytes([row(prenom="Hélène", adresse="Œuvre")], encoding=encoding, bom=bom, delimiter=delimiter)
    )
    assert (batch.encoding, batch.delimiter, batch.create_count) == (expected, delimiter, 1)
    data = ImportLine.objects.get(batch=batch).data
    assert (data["first_name"], data["address"]) == ("Hélène", "Œuvre")


def test_encoding_chosen_by_the_user(importer):
    batch = check(importer, csv_bytes([row(prenom="Hélène")], encoding="utf-8"), encoding="cp1252")
    assert batch.encoding == "cp1252" and not batch.encoding_detected
    assert ImportLine.objects.get(batch=batch).data["first_name"] == "HÃ©lÃ¨ne"  # what the preview shows


def test_trailing_empty_rows_are_ignored(importer):
    data = csv_bytes(people(2)) + b";;;;;;;;;;;;;;;\r\n" * 20_000
    batch = check(importer, data)
    assert (batch.line_count, batch.create_count) == (2, 2)


def xlsx_bytes(rows, *, empty_tail: int = 0) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for values in rows:
        sheet.append(values)
    if empty_tail:
        sheet.cell(row=len(rows) + 1 + empty_tail, column=1).value = " "
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_xlsx_with_dates_numbers_and_trailing_rows(importer):
    values = row(prenom="Zoé")
    values[HEADER.index("date_naissance")] = datetime.datetime(1990, 3, 14)
    values[HEADER.index("code_commune")] = "2A004"
    values[HEADER.index("rqth")] = 0
    batch = check(importer, xlsx_bytes([values, people(1)[0]], empty_tail=3000), name="beneficiaires.xlsx")
    assert (batch.file_format, batch.encoding, batch.line_count, batch.create_count) == ("xlsx", "", 2, 2)
    data = ImportLine.objects.filter(batch=batch).order_by("line_number").first().data
    assert data["birth_date"] == "1990-03-14" and data["has_rqth"] is False
    services.confirm(batch=batch, actor=importer, encoding_confirmed=False, run=False)


def test_csv_confirmation_needs_the_encoding_confirmed(importer):
    batch = check(importer, csv_bytes([row()]))
    with pytest.raises(RuleViolation) as err:
        services.confirm(batch=batch, actor=importer, encoding_confirmed=False, run=False)
    assert err.value.rule == "IMPORT" and err.value.field == "encoding_confirmed"
