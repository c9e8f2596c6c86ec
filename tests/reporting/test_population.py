"""The month's population (cep/reporting/population.py) is one: for every month of a generated base, the monthly
file's entries, services and exits are the indicators' counts, structure by structure.

The national file of each month is computed with no batch transmitted before it, so that every line is a creation
line of an object of the month (no late object of an earlier month, no correction): the lines are then exactly the
month's population of levels 2 and 3. The indicators are rebuilt once (full refresh) from the same base.
"""

import datetime
import io
from collections import Counter

import pytest
from django.core.management import call_command

from cep.enrolments.models import Cep
from cep.offers.models import Service
from cep.organisations.models import Structure
from cep.reporting.exports.contract import DELIMITER, version_for_month
from cep.reporting.exports.lines import insert_lines
from cep.reporting.exports.models import ExportBatch, Movement, Scope
from cep.reporting.indicators.models import Family, MonthlyCount, MonthlyStock
from cep.reporting.indicators.refresh import all_months, refresh

pytestmark = pytest.mark.django_db

# Per file: the fields giving (level, code) of a line; the file of services carries no phase (level 0 below).
KEYS = {
    "entrees": ("phase_entree", None),
    "services": (None, "acte_service"),
    "sorties": ("phase_sortie", "motif_sortie"),
}
FILE_OF = {Family.ENTRIES: "entrees", Family.SERVICES: "services", Family.EXITS: "sorties"}


@pytest.fixture
def base(refdata):
    """The demo (300 people over 18 months up to today), plus the corners of the definition the demo lacks."""
    call_command("generate_demo", beneficiaries=300, no_progress=True, stdout=io.StringIO())
    in_ceps = Service.objects.filter(cep__isnull=False).order_by("pk")
    # A CEP level-1 service proposed during a CEP: a service of the CEP (level 2 or 3), not of level 1.
    level1 = in_ceps.filter(cep__status__in=["phase2", "phase3", "closed"]).first()
    Service.objects.filter(pk=level1.pk).update(is_cep_level1=True)
    # A service proposed by another structure than the CEP's: counted where it was proposed, on both sides.
    moved = in_ceps.exclude(pk=level1.pk).filter(cep__status="closed").first()
    other = Structure.objects.exclude(pk=moved.structure_id).order_by("pk").first()
    Service.objects.filter(pk=moved.pk).update(structure=other)
    # A closed CEP with services, then deleted: neither its entry, nor its services, nor its exit count any more.
    deleted = Cep.objects.filter(status="closed", services__isnull=False).exclude(services__in=[level1, moved]).first()
    Cep.objects.filter(pk=deleted.pk).update(status="deleted")
    return {"level1": level1, "moved": moved, "other": other, "deleted": deleted}


def _file(month: datetime.date, **scope) -> ExportBatch:
    """The month's file for a scope (national by default), its lines recorded; no batch was transmitted before."""
    version = version_for_month(month)
    batch = ExportBatch.objects.create(
        scope=scope.pop("scope", Scope.NATIONAL), month=month, contract_version=version.version, **scope
    )
    insert_lines(batch, version)
    return batch


def _file_counts(batch: ExportBatch, where: dict | None = None) -> Counter:
    """(file, structure, level, code) → lines; `where` gets the structure of each (file, object id)."""
    version = version_for_month(batch.month)
    counts = Counter()
    for name, movement, object_id, payload in batch.lines.values_list(
        "resource", "movement", "object_id", "payload"
    ).iterator():
        assert movement == Movement.CREATION
        fields = dict(zip(version.resources[name].fields, payload.split(DELIMITER), strict=True))
        level, code = KEYS[name]
        structure_id = int(fields["code_structure"])
        counts[(name, structure_id, int(fields[level]) if level else 0, fields[code] if code else "")] += 1
        if where is not None:
            where[(name, object_id)] = structure_id
    return counts


def _indicator_counts(month: datetime.date) -> Counter:
    """The same keys from the aggregate tables: entries, services and exits of levels 2 and 3."""
    counts = Counter()
    rows = MonthlyCount.objects.filter(month=month, family__in=FILE_OF, level__in=(2, 3))
    for structure_id, family, level, code, value in rows.values_list(
        "structure_id", "family", "level", "code", "value"
    ):
        if family == Family.ENTRIES:
            counts[("entrees", structure_id, level, "")] += value
        elif family == Family.SERVICES:
            counts[("services", structure_id, 0, code)] += value
        else:
            counts[("sorties", structure_id, level, code)] += value
    return counts


def _stock_flows(month: datetime.date) -> Counter:
    """Entries and exits per structure and phase, as the CEPs-in-progress table holds them."""
    counts = Counter()
    for row in MonthlyStock.objects.filter(month=month):
        counts[("entrees", row.structure_id, 2)] += row.entries_phase2
        counts[("entrees", row.structure_id, 3)] += row.entries_phase3
        counts[("sorties", row.structure_id, 2)] += row.exits_phase2
        counts[("sorties", row.structure_id, 3)] += row.exits_phase3
    return +counts


def _lines(batch: ExportBatch) -> set[tuple]:
    return set(batch.lines.values_list("resource", "object_id", "payload"))


def test_every_month_the_file_and_the_indicators_count_the_same_entries_services_and_exits(base):
    refresh(full=True)
    months = all_months()
    assert len(months) >= 18
    seen, where = Counter(), {}
    for month in months:
        batch = _file(month)
        in_file = _file_counts(batch, where)
        assert in_file == +_indicator_counts(month), month
        flows = Counter()
        for (name, structure_id, level, _), n in in_file.items():
            seen[name] += n
            if name != "services":
                flows[(name, structure_id, level)] += n
        assert flows == _stock_flows(month), month
        batch.delete()
    assert min(seen.values()) > 40, seen  # every file had a substantial population (about 230, 60 and 110)

    # The corners were met (and counted alike, by the equalities above): the CEP level-1 service proposed during a
    # CEP is one of its services, the service of another structure counts there, the deleted CEP counts nowhere.
    assert ("services", base["level1"].pk) in where
    assert where[("services", base["moved"].pk)] == base["other"].pk
    deleted = base["deleted"]
    assert not {("entrees", deleted.pk), ("sorties", deleted.pk)} & where.keys()
    assert not {("services", pk) for pk in deleted.services.values_list("pk", flat=True)} & where.keys()


def test_a_structure_or_an_operator_file_holds_the_national_lines_of_its_structures(base):
    """The scope of population.scope_sql: the lines of a structure's (or operator's) file are those of the national
    file whose structure is theirs."""
    month = max(
        all_months()[:-1],
        key=lambda m: Cep.objects.filter(entry_date__year=m.year, entry_date__month=m.month).count(),
    )
    national = _file(month)
    by_structure: dict[int, set] = {}
    version = version_for_month(month)
    for name, object_id, payload in _lines(national):
        fields = dict(zip(version.resources[name].fields, payload.split(DELIMITER), strict=True))
        by_structure.setdefault(int(fields["code_structure"]), set()).add((name, object_id, payload))
    assert len(by_structure) > 5
    for structure in Structure.objects.all():
        batch = _file(month, scope=Scope.STRUCTURE, structure=structure)
        assert _lines(batch) == by_structure.get(structure.pk, set()), structure
    operator = Structure.objects.get(pk=max(by_structure, key=lambda pk: len(by_structure[pk]))).operator
    batch = _file(month, scope=Scope.OPERATOR, operator=operator)
    mine = {pk for pk in operator.structures.values_list("pk", flat=True)}
    assert _lines(batch) == set().union(*(by_structure.get(pk, set()) for pk in mine))
