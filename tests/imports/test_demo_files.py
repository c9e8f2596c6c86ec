"""docs/import.md: the demo files of every kind, imported in the documented order (bénéficiaires, dispositifs CEP,
événements, services), give the documented reports, and each, imported again, has nothing left to write. The XLSX
twins (scripts/import_examples.py) hold the lines their CSV creates and are accepted whole, in the same order."""

import datetime
import io
from pathlib import Path

import pytest

from cep.enrolments.models import Cep
from cep.enrolments.workflow import Status as CepStatus
from cep.imports import services
from cep.imports.models import ImportLine, Status
from cep.imports.reading import open_table
from cep.offers.models import Service
from scripts.import_examples import EXAMPLES, csv_rows

FOLDER = Path(__file__).resolve().parents[2] / "docs" / "import"


def check(actor, name: str, kind: str):
    data = (FOLDER / name).read_bytes()
    return services.check_file(actor=actor, file=io.BytesIO(data), name=name, kind=kind)


def apply_now(batch, actor):
    services.confirm(batch=batch, actor=actor, encoding_confirmed=True, run=False)
    batch = services.apply(batch.pk)
    assert batch.status == Status.APPLIED, batch.job_error
    return batch


def counts(batch) -> tuple[int, int, int, int]:
    return (batch.create_count, batch.duplicate_count, batch.unchanged_count, batch.refused_count)


def rules(batch) -> dict[int, str]:
    lines = ImportLine.objects.filter(batch=batch, outcome="refused").values_list("line_number", "errors")
    return {number: errors[0]["rule"] for number, errors in lines}


def demo_offers(structure, actor):
    """The offers that services-exemple names, as the demo's catalogue has them (cep/demo/world.py)."""
    from cep.offers.services import create_offer
    from cep.referentials import models as ref

    for name, act in (
        ("CEP niveau 1 – Info. Conseil sur les formations", "info_conseil_formations"),
        ("Bilan de compétences", "bilan_competences"),
    ):
        create_offer(
            structure=structure,
            actor=actor,
            origin="structure",
            theme=ref.ServiceTheme.objects.get(code="formation"),
            service_act=ref.ServiceAct.objects.get(code=act),
            name=name,
            start_date=datetime.date(2020, 1, 1),
            national_measure="cep",
        )


def test_the_demo_files_give_the_documented_reports(importer, structure):
    demo_offers(structure, importer)
    apply_now(check(importer, "beneficiaires-exemple.csv", "beneficiaries"), importer)

    ceps = check(importer, "dispositifs-cep-exemple.csv", "ceps")
    assert counts(ceps) == (4, 1, 0, 5)
    assert rules(ceps) == {6: "R1", 7: "R4", 8: "R5", 9: "R8", 11: "DOSSIER"}
    apply_now(ceps, importer)
    assert set(Cep.objects.values_list("status", flat=True)) == {CepStatus.CLOSED, CepStatus.PHASE2, CepStatus.PHASE3}

    events = check(importer, "evenements-exemple.csv", "events")
    assert counts(events) == (5, 1, 0, 3)
    assert rules(events) == {7: "EVENEMENT", 8: "EVENEMENT", 9: "DOSSIER"}
    apply_now(events, importer)

    proposals = check(importer, "services-exemple.csv", "services")
    assert counts(proposals) == (3, 0, 0, 3)
    assert rules(proposals) == {5: "EVENEMENT", 6: "OFFRE", 7: "DOSSIER"}
    apply_now(proposals, importer)
    assert Service.objects.filter(cep__isnull=False).count() == 2

    for name, kind, unchanged in (
        ("dispositifs-cep-exemple.csv", "ceps", 4),
        ("evenements-exemple.csv", "events", 5),
        ("services-exemple.csv", "services", 3),
    ):
        again = check(importer, name, kind)
        assert (again.create_count, again.unchanged_count) == (0, unchanged), name


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_each_xlsx_example_holds_the_lines_its_csv_creates(name):
    """The import's own reader sees in the XLSX the CSV's header and the lines the CSV creates, cell for cell."""
    table = open_table(io.BytesIO((FOLDER / f"{name}.xlsx").read_bytes()), f"{name}.xlsx")
    assert table.format == "xlsx"
    assert [table.header, *(cells for _, cells in table.rows())] == csv_rows(name)


def test_the_xlsx_examples_import_cleanly_in_the_documented_order(importer, structure):
    """A new structure, as a new user does it: each XLSX in the order of docs/import.md, checked (every line a
    creation: nothing refused, no duplicate) and confirmed before the next."""
    demo_offers(structure, importer)  # the catalogue's offers the services file names
    assert [kind for kind, _, _ in EXAMPLES.values()] == ["beneficiaries", "ceps", "events", "services"]
    for name, (kind, _, created) in EXAMPLES.items():
        batch = check(importer, f"{name}.xlsx", kind)
        assert batch.file_format == "xlsx"
        assert (batch.refused_count, batch.duplicate_count, batch.warning_count) == (0, 0, 0), rules(batch)
        assert batch.create_count == batch.line_count == len(created), name
        apply_now(batch, importer)
    assert Cep.objects.count() == 4 and Service.objects.filter(cep__isnull=False).count() == 2
