"""The report's data part (volet 2, [002]: « une courte analyse des données régionales diffusées au regard des
données nationales »), written from the monthly aggregates of cep/reporting/indicators, never from personal rows:
the région beside the whole nation, for the exercise's calendar year, through the observers' small-cell
suppression. The figures are those of the regional observer's dashboard for the same year, by construction (the
same audience, the same function)."""

from dataclasses import dataclass

from cep.common.errors import RuleViolation
from cep.reporting.indicators import dashboard_data
from cep.reporting.indicators.audiences import NATION, Audience, Scope

FRAMEWORK = "2019"
# The socle's questions ([002] « Le périmètre du suivi », volet 2) and the tables that answer them.
SECTIONS = [
    ("qui", "Qui a recours au CEP ?", ["age", "sexe", "situation", "qualification", "rqth"]),
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
    sections = [(key, title, [by_key[k] for k in keys if k in by_key]) for key, title, keys in SECTIONS]
    return DataPart(exercise.year, start, end, sections)
