"""The report's data part (volet 2, [002]: « une courte analyse des données régionales diffusées au regard des
données nationales »), written from the monthly aggregates of cep/reporting/indicators, never from personal rows:
the région beside the whole nation, for the exercise's calendar year, through the observers' small-cell
suppression. The figures are those of the regional observer's dashboard for the same year, by construction (the
same audience, the same function)."""

from dataclasses import dataclass

from django.db.models import Sum

from cep.common.errors import RuleViolation
from cep.organisations.models import Department
from cep.reporting.indicators import dashboard_data, suppression
from cep.reporting.indicators.audiences import NATION, Audience, Scope
from cep.reporting.indicators.frameworks import FRAMEWORKS
from cep.reporting.indicators.models import Family, MonthlyCount
from cep.reporting.indicators.tables import Table

FRAMEWORK = "2019"
# The socle's questions ([002] « Le périmètre du suivi », volet 2) and the tables that answer them.
SECTIONS = [
    ("qui", "Qui a recours au CEP ?", ["age", "sexe", "situation", "qualification", "rqth"]),
    ("ou", "Où ? Les départements de la région", ["departements"]),
    ("pourquoi", "Pour quelles demandes ?", ["motifs", "projets"]),
    ("parcours", "Quels services, quels parcours ?", ["entrees", "en_cours", "services", "durees"]),
    ("sorties", "Comment les parcours se terminent-ils ?", ["sorties"]),
]


@dataclass
class DataPart:
    year: int
    start: object
    end: object
    sections: list  # [(key, title, [Table])]


def audience(region) -> Audience:
    """The région beside the nation, with suppression: what the région's Transitions Pro reads on its dashboard."""
    return Audience(
        (Scope(region.name, region_id=region.code), Scope(NATION)), suppress=True, can_filter=False, can_refresh=False
    )


def data_part(exercise) -> DataPart:
    start, end = dashboard_data.observer_period(exercise.year)
    if end < start:
        raise RuleViolation("SUIVI", f"Aucun mois complet de {exercise.year} n'est encore disponible.")
    board = dashboard_data.dashboard(audience(exercise.region), FRAMEWORK, start, end)
    by_key = {t.key: t for t in board.tables}
    by_key["departements"] = departments_table(exercise.region, start, end, entries=by_key.get("entrees"))
    sections = [(key, title, [by_key[k] for k in keys if k in by_key]) for key, title, keys in SECTIONS]
    return DataPart(exercise.year, start, end, sections)


def department_grid(region, start, end) -> tuple[list[Department], list[list[int]]]:
    """The région's départements (rows) × the framework's levels (columns): the people reached at niveau 1 and the
    CEPs entered, summed from the monthly aggregates, which carry the département of the structure that
    accompanies (one query; a département without any entry shows 0)."""
    levels = FRAMEWORKS[FRAMEWORK].levels
    departments = list(Department.objects.filter(region_id=region.code).order_by("code"))
    sums: dict[tuple[str, int], int] = {}
    for department_id, level, n in (
        MonthlyCount.objects.filter(
            region_id=region.code, month__gte=start, month__lte=end, family=Family.ENTRIES, code="total"
        )
        .values_list("department_id", "level")
        .annotate(n=Sum("value"))
        .order_by()
    ):
        sums[(department_id, level)] = n
    grid = [[sum(sums.get((d.code, lv), 0) for lv in level.levels) for level in levels] for d in departments]
    return departments, grid


def departments_table(region, start, end, *, entries: Table | None = None) -> Table:
    """Where (volet 2, « où ? »): the région's départements, without the nation beside them (a département has no
    national counterpart). Its total row is not printed (the région's total is the « Entrées » table's) but the
    suppression is computed as if it were: no hidden figure can be found back from the région's total. A level
    whose yearly total the « Entrées » table (`entries`, the observers' joint protection) hides is hidden whole
    here: its départements would add up to it."""
    departments, grid = department_grid(region, start, end)
    levels = FRAMEWORKS[FRAMEWORK].levels
    protected = suppression.protect([grid], row_totals=False, col_totals=True)
    if entries is not None:
        year_row = len(entries.rows_shown) - 1
        for j in range(len(levels)):
            if entries.cell(0, year_row, j)[1] != suppression.OK:
                for row in protected.status[0]:
                    row[j] = suppression.SECONDARY
    return Table(
        key="departements",
        title="Entrées par département de la structure qui accompagne",
        row_header="Département",
        rows=[str(d) for d in departments],
        columns=[level.label for level in levels],
        grids=[grid],
        scope_labels=[region.name],
        row_totals=False,
        col_totals=False,
        chart="none",
        note="Niveau 1 : personnes ayant reçu un service CEP de niveau 1 (une fois par structure et par mois). "
        "Accompagnement personnalisé : CEP entrés dans l'année. Département de la structure, non du domicile.",
        protected=protected,
    )
