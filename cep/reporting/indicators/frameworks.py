"""The 2014 and 2019 frameworks as views over the stored levels, and the rows (codes and labels) of each table.

Frameworks [004] l.25: 2014 has three levels (accueil; conseil personnalisé; accompagnement à la mise en
œuvre), 2019 two (accueil individualisé; accompagnement personnalisé = phases 2 and 3 together). Both are
sums over the same stored levels (1, 2, 3), so their totals agree by construction.
"""

import datetime
import time
from dataclasses import dataclass

from .models import Family


@dataclass(frozen=True)
class Level:
    code: str
    label: str
    levels: tuple[int, ...]  # stored levels: 1 = niveau 1, 2 = phase 2, 3 = phase 3


@dataclass(frozen=True)
class Framework:
    code: str
    label: str
    levels: tuple[Level, ...]

    @property
    def cep_levels(self) -> tuple[Level, ...]:
        return tuple(level for level in self.levels if 1 not in level.levels)


FRAMEWORKS = {
    "2019": Framework(
        "2019",
        "Cahier des charges 2019 (deux niveaux)",
        (
            Level("accueil", "Accueil individualisé et adapté au besoin de la personne", (1,)),
            Level("accompagnement", "Accompagnement personnalisé", (2, 3)),
        ),
    ),
    "2014": Framework(
        "2014",
        "Cahier des charges 2014 (trois niveaux)",
        (
            Level("accueil", "Accueil individualisé", (1,)),
            Level("conseil", "Conseil personnalisé", (2,)),
            Level("mise_en_oeuvre", "Accompagnement à la mise en œuvre du projet professionnel", (3,)),
        ),
    ),
}

AGE_BANDS = [
    ("moins_26", "Moins de 26 ans"),
    ("26_35", "26 à 35 ans"),
    ("36_45", "36 à 45 ans"),
    ("46_55", "46 à 55 ans"),
    ("56_plus", "56 ans et plus"),
]
NOT_FILLED = ("non_renseigne", "Non renseigné")
STATIC_LABELS = {
    Family.AGE_BAND: AGE_BANDS,
    Family.SEX: [("F", "Femme"), ("M", "Homme")],
    Family.RQTH: [("oui", "Bénéficiaire de la RQTH"), ("non", "Sans RQTH")],
}
REFERENTIAL_OF = {
    Family.EMPLOYMENT_STATUS: "EmploymentStatus",
    Family.QUALIFICATION_LEVEL: "QualificationLevel",
    Family.REQUEST_REASON: "RequestReason",
    Family.PROJECT_TYPE: "ProjectType",
    Family.SERVICES: "ServiceAct",
    Family.EXITS: "ExitReason",
}

# (family, key, title, row header, CEP levels only)
CATEGORY_TABLES = [
    (Family.AGE_BAND, "age", "Public reçu par tranche d'âge", "Tranche d'âge", False),
    (Family.SEX, "sexe", "Public reçu par sexe", "Sexe", False),
    (Family.EMPLOYMENT_STATUS, "situation", "Public reçu par situation professionnelle", "Situation", False),
    (Family.QUALIFICATION_LEVEL, "qualification", "Public reçu par niveau de qualification", "Niveau", False),
    (Family.RQTH, "rqth", "Public reçu : reconnaissance de la qualité de travailleur handicapé", "RQTH", False),
    (Family.REQUEST_REASON, "motifs", "Motifs de sollicitation", "Motif de sollicitation", True),
    (Family.PROJECT_TYPE, "projets", "Types de projet", "Type de projet", True),
    (Family.SERVICES, "services", "Services proposés par acte de service", "Acte de service", False),
    (Family.EXITS, "sorties", "Sorties par motif", "Motif de sortie", True),
]


# ---------------------------------------------------------------- labels (static data, cached per process)

_LABELS: dict = {"at": 0.0, "data": None}


def labels() -> dict[str, list[tuple[str, str, datetime.date, datetime.date | None]]]:
    """family → [(code, label, valid_from, valid_to)] in referential order, cached 5 minutes."""
    if _LABELS["data"] is None or time.monotonic() - _LABELS["at"] > 300:
        from django.db import connection

        from cep.referentials import models as ref

        parts = []
        for family, model_name in REFERENTIAL_OF.items():
            table = getattr(ref, model_name)._meta.db_table
            parts.append(f"SELECT '{family}', code, label, valid_from, valid_to, position FROM {table}")
        data: dict[str, list] = {family: [] for family in REFERENTIAL_OF}
        with connection.cursor() as cur:  # one query for the six referentials
            cur.execute(" UNION ALL ".join(parts) + " ORDER BY 1, 6, 3")
            for family, code, label, valid_from, valid_to, _ in cur.fetchall():
                data[family].append((code, label, valid_from, valid_to))
        _LABELS.update(at=time.monotonic(), data=data)
    return _LABELS["data"]


def rows_for(family: str, present: set[str], start: datetime.date, end: datetime.date) -> list[tuple[str, str]]:
    if family in STATIC_LABELS:
        return list(STATIC_LABELS[family])
    rows = [
        (code, label)
        for code, label, valid_from, valid_to in labels()[family]
        if code in present or (valid_from <= end and (valid_to is None or valid_to >= start))
    ]
    known = {code for code, _ in rows}
    rows += [(code, code) for code in sorted(present - known - {NOT_FILLED[0]})]
    if NOT_FILLED[0] in present or family in (Family.EMPLOYMENT_STATUS, Family.QUALIFICATION_LEVEL):
        rows.append(NOT_FILLED)
    return rows
