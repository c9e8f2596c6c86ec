"""Malformed files, generated (hypothesis): the check never raises anything but a French refusal of the file, and
never leaves a partial batch (a refused file writes nothing; an accepted one has exactly one line per data row)."""

import datetime
import io

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cep.common.errors import RuleViolation
from cep.imports import services
from cep.imports.models import ImportBatch, ImportLine
from tests.clock import today

from .conftest import HEADER, csv_bytes, row

FUZZ = settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
nasty_text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["=1+1", "+33612", "-2+3", "@SUM(A1)", "=cmd|' /C calc'!A0", "\t=1", "\r=1", "'=1"]),
    st.sampled_from(["31/02/2020", "2020-02-30", "00/00/0000", "99/99/9999", "1990-3-14", "14/03/90", ""]),
    st.just("ab" * 5_500),
    st.sampled_from(["\x00", "a\x00b", "\ufeff", "é", "\u2028", '"', '""', ";", ",", "\n"]),
)


def outcome_of(importer, data: bytes, name: str = "f.csv", encoding=None):
    before = (ImportBatch.objects.count(), ImportLine.objects.count())
    try:
        batch = services.check_file(actor=importer, file=io.BytesIO(data), name=name, encoding=encoding)
    except RuleViolation as err:
        assert err.rule in ("IMPORT",), err
        assert err.message
        assert (ImportBatch.objects.count(), ImportLine.objects.count()) == before
        return None
    lines = ImportLine.objects.filter(batch=batch)
    assert lines.count() == batch.line_count > 0
    assert sum(batch.counts().values()) == batch.line_count
    for line in lines.filter(outcome="refused"):
        assert line.errors and all(e["message"] and "rule" in e and "column" in e for e in line.errors)
    return batch


@FUZZ
@given(cells=st.lists(st.fixed_dictionaries({name: nasty_text for name in HEADER}), min_size=1, max_size=4))
def test_nasty_cells_are_refused_on_their_lines(importer, cells):
    rows = [[str(c.get(name, "")) for name in HEADER] for c in cells]
    for encoding in ("utf-8", "cp1252"):
        try:
            data = "\n".join(";".join(r) for r in [HEADER, *rows]).encode(encoding)
        except UnicodeEncodeError:
            continue
        outcome_of(importer, data)


@FUZZ
@given(data=st.binary(max_size=400))
def test_random_bytes(importer, data):
    outcome_of(importer, data)


@FUZZ
@given(
    cut=st.integers(min_value=0, max_value=600),
    insert=st.binary(min_size=1, max_size=8),
    header=st.lists(st.sampled_from([*HEADER, "inconnue", "", "Nom", "NOM*"]), min_size=0, max_size=18),
)
def test_mutated_csv(importer, cut, insert, header):
    valid = csv_bytes([row(), row(prenom="Zoé")], header=header or HEADER)
    outcome_of(importer, valid[:cut] + insert + valid[cut:])
    outcome_of(importer, valid[:cut])


def _xlsx() -> bytes:
    book = openpyxl.Workbook()
    book.active.append(HEADER)
    book.active.append(row())
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


XLSX = _xlsx()


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(min_value=4, max_value=len(XLSX)))
def test_truncated_xlsx(importer, cut):
    outcome_of(importer, XLSX[:cut], name="f.xlsx")


def test_formula_cells_are_kept_as_text_and_neutralised_in_the_refused_file(importer):
    from cep.imports.queries import refused_csv

    batch = outcome_of(importer, csv_bytes([row(nom='=HYPERLINK("x")', sexe="+X", adresse="@SUM(1)")]))
    text = b"".join(refused_csv(batch)).decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'+X" in text and "'@SUM(1)" in text


# --- the CEP file: the same guarantees ---

CEP_HEADER = [c.name for c in __import__("cep.imports.ceps", fromlist=["COLUMNS"]).COLUMNS]


def cep_outcome_of(importer, data: bytes, name: str = "ceps.csv"):
    before = (ImportBatch.objects.count(), ImportLine.objects.count())
    try:
        batch = services.check_file(actor=importer, file=io.BytesIO(data), name=name, kind="ceps")
    except RuleViolation as err:
        assert err.rule == "IMPORT", err
        assert err.message
        assert (ImportBatch.objects.count(), ImportLine.objects.count()) == before
        return None
    assert ImportLine.objects.filter(batch=batch).count() == batch.line_count > 0
    assert sum(batch.counts().values()) == batch.line_count
    for line in ImportLine.objects.filter(batch=batch, outcome="refused"):
        assert line.errors and all(e["message"] and e["rule"] and "column" in e for e in line.errors)
    return batch


@FUZZ
@given(cells=st.lists(st.fixed_dictionaries({name: nasty_text for name in CEP_HEADER}), min_size=1, max_size=4))
def test_cep_file_nasty_cells_are_refused_on_their_lines(importer, cells):
    rows = [[str(c.get(name, "")) for name in CEP_HEADER] for c in cells]
    data = "\n".join(";".join(r) for r in [CEP_HEADER, *rows]).encode("utf-8")
    cep_outcome_of(importer, data)


# Up to a month after today, read when hypothesis first draws (in a test), not at import.
cep_dates = st.one_of(
    st.deferred(
        lambda: st.dates(min_value=datetime.date(2010, 1, 1), max_value=today() + datetime.timedelta(days=30))
    ).map(lambda d: d.strftime("%d/%m/%Y")),
    st.just(""),
)


@FUZZ
@given(
    values=st.lists(
        st.fixed_dictionaries(
            {
                "date_entree": cep_dates,
                "date_entretien_initialisation": cep_dates,
                "date_passage_phase3": cep_dates,
                "date_fin": cep_dates,
                "phase_entree": st.sampled_from(["2", "3", "1", ""]),
                "motif_sortie": st.sampled_from(["", "deces", "plan_action_realise", "demenagement", "x"]),
                "type_projet": st.sampled_from(["", "reconversion"]),
                "aiguilleur": st.sampled_from(["ma_structure_entree_directe", "ma_structure_suite_niveau1", "opca"]),
            }
        ),
        min_size=1,
        max_size=4,
    )
)
def test_cep_file_any_dates_are_planned_and_every_accepted_line_obeys_the_rules(importer, structure, values):
    """Dates in any order: each line is accepted only when the enrolment rules accept it; applying the accepted
    lines never meets a database constraint (R2, R4, R5, R8 are also constraints)."""
    from cep.enrolments.models import Cep
    from tests.factories import BeneficiaryFactory

    person = BeneficiaryFactory(
        structure=structure, first_name="Fuzz", birth_date=datetime.date(today().year - 20, 1, 2)
    )
    base = {"nom": person.last_name, "prenom": "Fuzz", "sexe": "F", "date_naissance": person.birth_date.isoformat()}
    rows = [[{**base, "motif_sollicitation": "prise_de_recul", **v}.get(n, "") for n in CEP_HEADER] for v in values]
    batch = cep_outcome_of(importer, "\n".join(";".join(r) for r in [CEP_HEADER, *rows]).encode("utf-8"))
    if batch.create_count:
        services.confirm(batch=batch, actor=importer, encoding_confirmed=True, run=False)
        batch = services.apply(batch.pk)
        assert batch.status == "applied", batch.job_error
        assert Cep.objects.filter(beneficiary=person).count() == batch.create_count
    Cep.objects.filter(beneficiary=person).delete()


EVENT_HEADER = [c.name for c in __import__("cep.imports.events", fromlist=["COLUMNS"]).COLUMNS]


@FUZZ
@given(cells=st.lists(st.fixed_dictionaries({name: nasty_text for name in EVENT_HEADER}), min_size=1, max_size=4))
def test_event_file_nasty_cells_are_refused_on_their_lines(importer, cells):
    rows = [[str(c.get(name, "")) for name in EVENT_HEADER] for c in cells]
    data = "\n".join(";".join(r) for r in [EVENT_HEADER, *rows]).encode("utf-8")
    before = (ImportBatch.objects.count(), ImportLine.objects.count())
    try:
        batch = services.check_file(actor=importer, file=io.BytesIO(data), name="e.csv", kind="events")
    except RuleViolation as err:
        assert err.rule == "IMPORT" and err.message
        assert (ImportBatch.objects.count(), ImportLine.objects.count()) == before
        return
    assert sum(batch.counts().values()) == batch.line_count == ImportLine.objects.filter(batch=batch).count()
    for line in ImportLine.objects.filter(batch=batch, outcome="refused"):
        assert line.errors and all(e["message"] and e["rule"] and "column" in e for e in line.errors)


@FUZZ
@given(data=st.binary(max_size=400), kind=st.sampled_from(["ceps", "events", "services"]))
def test_random_bytes_for_every_kind(importer, data, kind):
    before = (ImportBatch.objects.count(), ImportLine.objects.count())
    try:
        services.check_file(actor=importer, file=io.BytesIO(data), name="f.csv", kind=kind)
    except RuleViolation as err:
        assert err.rule == "IMPORT" and err.message
        assert (ImportBatch.objects.count(), ImportLine.objects.count()) == before


SERVICE_HEADER = [c.name for c in __import__("cep.imports.service_proposals", fromlist=["COLUMNS"]).COLUMNS]


@FUZZ
@given(cells=st.lists(st.fixed_dictionaries({name: nasty_text for name in SERVICE_HEADER}), min_size=1, max_size=4))
def test_service_file_nasty_cells_are_refused_on_their_lines(importer, cells):
    rows = [[str(c.get(name, "")) for name in SERVICE_HEADER] for c in cells]
    data = "\n".join(";".join(r) for r in [SERVICE_HEADER, *rows]).encode("utf-8")
    try:
        batch = services.check_file(actor=importer, file=io.BytesIO(data), name="s.csv", kind="services")
    except RuleViolation as err:
        assert err.rule == "IMPORT" and err.message
        return
    assert sum(batch.counts().values()) == batch.line_count == ImportLine.objects.filter(batch=batch).count()
    for line in ImportLine.objects.filter(batch=batch, outcome="refused"):
        assert line.errors and all(e["message"] and e["rule"] and "column" in e for e in line.errors)
