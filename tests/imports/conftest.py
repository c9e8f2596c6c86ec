import datetime
import io

import pytest

from cep.accounts.rights import Role
from tests.factories import UserFactory

HEADER = [
    "nom",
    "prenom",
    "nom_naissance",
    "sexe",
    "date_naissance",
    "date_premier_accueil",
    "courriel",
    "telephone",
    "adresse",
    "code_commune",
    "situation_professionnelle",
    "occupe_ou_recherche_emploi",
    "niveau_qualification",
    "rqth",
    "code_rome",
    "justifie",
]


def row(**values) -> list[str]:
    base = {
        "nom": "Martin",
        "prenom": "Léa",
        "sexe": "F",
        "date_naissance": "14/03/1990",
        "date_premier_accueil": "02/09/2025",
        "code_commune": "2A004",
        "situation_professionnelle": "salarie_prive_temps_complet",
        "niveau_qualification": "niveau_4",
        "justifie": "oui",
    }
    base.update(values)
    return [base.get(name, "") for name in HEADER]


def csv_bytes(rows, *, header=HEADER, delimiter=";", encoding="utf-8", bom=False) -> bytes:
    lines = [delimiter.join(header)] + [delimiter.join(r) for r in rows]
    data = ("\r\n".join(lines) + "\r\n").encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def people(n: int, start: int = 0) -> list[list[str]]:
    """n different people (first names differ)."""
    day = datetime.date(1985, 1, 1)
    return [
        row(prenom=f"Personne{i}", date_naissance=(day + datetime.timedelta(days=i)).strftime("%d/%m/%Y"))
        for i in range(start, start + n)
    ]


@pytest.fixture
def importer(structure):
    return UserFactory(username="importeur", role=Role.MANAGER, structure=structure)


@pytest.fixture
def upload():
    def make(data: bytes):
        return io.BytesIO(data)

    return make
