"""The interface contract (contrat d'interface) of the monthly national send, as data.

Each version lists, per file (resource), its fields in order. The Table Schema `schema.json` of each file is
generated from these definitions and from the referential tables (the enumerations are the codes valid during
the version's period), then committed under `contract/v<version>/<resource>/`. A month is always produced
with the version in force that month (`version_for_month`).

Files are CSV, UTF-8 without BOM, separator « ; », line ending LF, one header line; no value ever needs quoting
(codes, dates, numbers and hexadecimal pseudonyms only).
"""

import datetime
from dataclasses import dataclass, field
from pathlib import Path

from cep.common.errors import RuleViolation
from cep.common.months import month_start

CONTRACT_DIR = Path(__file__).resolve().parent
DELIMITER = ";"
HEADER_FIELDS = ("numero_ligne", "type_mouvement")  # every file starts with them; the rest is the "payload"
MOVEMENTS = (
    ("creation", "Création : l'objet est déclaré pour la première fois."),
    ("modification", "Modification : correction d'une ligne déjà transmise (mois antérieur)."),
    ("suppression", "Suppression : l'objet transmis n'existe plus (CEP supprimé, sortie annulée…)."),
)
PSEUDONYM_PATTERN = "^[0-9a-f]{32}$"


@dataclass(frozen=True)
class FieldDef:
    name: str
    title: str
    description: str
    type: str  # Table Schema type: string, integer, date, yearmonth, boolean
    required: bool = True
    enum: str | None = None  # key of ENUM_SOURCES
    pattern: str | None = None
    unique: bool = False
    minimum: int | None = None
    example: str = ""  # example value, as written in the CSV


FIELDS: dict[str, FieldDef] = {
    f.name: f
    for f in [
        FieldDef(
            "numero_ligne",
            "Numéro de ligne",
            "Numéro de la ligne dans le fichier, à partir de 1. Le fichier retour cite ce numéro.",
            "integer",
            unique=True,
            minimum=1,
        ),
        FieldDef(
            "type_mouvement",
            "Type de mouvement",
            "Création, modification (correction d'une ligne transmise un mois précédent) ou suppression.",
            "string",
            enum="movement",
        ),
        FieldDef(
            "identifiant_cep",
            "Identifiant du CEP",
            "Pseudonyme du dispositif CEP (HMAC-SHA-256 avec la clé du déploiement, 32 caractères "
            "hexadécimaux) : stable d'un mois à l'autre, il ne révèle ni l'identifiant interne ni un volume.",
            "string",
            pattern=PSEUDONYM_PATTERN,
            example="3f1c0e5a9b7d4c2e8a6f0b1d2c3e4f5a",
        ),
        FieldDef(
            "identifiant_service",
            "Identifiant du service",
            "Pseudonyme du service proposé (HMAC-SHA-256 avec la clé du déploiement, 32 caractères hexadécimaux).",
            "string",
            pattern=PSEUDONYM_PATTERN,
            example="0a9b8c7d6e5f40312233445566778899",
        ),
        FieldDef(
            "identifiant_personne",
            "Identifiant de la personne",
            "Pseudonyme de la personne : HMAC-SHA-256 de sa clé stable avec le secret du déploiement, "
            "tronqué à 32 caractères hexadécimaux. Identique d'un mois à l'autre ; aucun nom n'est transmis.",
            "string",
            pattern=PSEUDONYM_PATTERN,
            example="c4ca4238a0b923820dcc509a6f75849b",
        ),
        FieldDef(
            "identifiant_personne_identite",
            "Identifiant de la personne, toutes structures",
            "Pseudonyme d'identité de la personne, le même dans toutes les structures du déploiement : "
            "HMAC-SHA-256, avec une clé dérivée du secret du déploiement, du nom de naissance, du prénom, de la date "
            "de naissance et du sexe normalisés (accents, casse, espaces, traits d'union et apostrophes ignorés), "
            "tronqué à 32 caractères hexadécimaux. Deux homonymes nés le même jour, de même sexe, le partagent. "
            "S'il change (identité corrigée), la ligne du CEP est retransmise en modification avec la nouvelle "
            "valeur, qui remplace l'ancienne.",
            "string",
            pattern=PSEUDONYM_PATTERN,
            example="9e107d9d372bb6826bd81d3542a419d6",
        ),
        FieldDef(
            "code_structure",
            "Code de la structure",
            "Code de la structure (site de l'opérateur) qui délivre le CEP.",
            "string",
            pattern="^[0-9]{1,10}$",
            example="12",
        ),
        FieldDef(
            "code_operateur",
            "Code de l'opérateur",
            "Code de l'opérateur dont relève la structure.",
            "string",
            pattern="^[0-9]{1,10}$",
            example="3",
        ),
        FieldDef("code_reseau", "Réseau", "Réseau d'opérateurs CEP de la structure.", "string", enum="network"),
        FieldDef(
            "code_region_residence",
            "Région de résidence",
            "Code INSEE de la région de résidence de la personne.",
            "string",
            enum="region",
            example="94",
        ),
        FieldDef(
            "code_departement_residence",
            "Département de résidence",
            "Code INSEE du département de résidence de la personne.",
            "string",
            enum="department",
            example="2A",
        ),
        FieldDef(
            "annee_mois_naissance",
            "Année et mois de naissance",
            "Année et mois de naissance (AAAA-MM) ; la date complète n'est jamais transmise.",
            "yearmonth",
            example="1998-04",
        ),
        FieldDef("sexe", "Sexe", "Sexe de la personne.", "string", enum="sex"),
        FieldDef(
            "situation_professionnelle",
            "Situation professionnelle",
            "Situation professionnelle de la personne à la date de production du fichier.",
            "string",
            enum="employment_status",
        ),
        FieldDef(
            "niveau_qualification",
            "Niveau de qualification",
            "Niveau de qualification (cadre national des certifications professionnelles).",
            "string",
            enum="qualification_level",
        ),
        FieldDef(
            "rqth",
            "RQTH",
            "Reconnaissance de la qualité de travailleur handicapé : true ou false.",
            "boolean",
            example="false",
        ),
        FieldDef(
            "date_premier_accueil",
            "Date de premier accueil",
            "Date du premier accueil de la personne dans la structure (AAAA-MM-JJ).",
            "date",
            example="2025-09-15",
        ),
        FieldDef("aiguilleur", "Aiguilleur", "Qui a orienté la personne vers le CEP.", "string", enum="orientation"),
        FieldDef(
            "motif_sollicitation",
            "Motif de sollicitation",
            "Motif principal de la sollicitation.",
            "string",
            enum="request_reason",
        ),
        FieldDef(
            "phase_entree", "Phase d'entrée", "Phase d'entrée dans le dispositif : 2 ou 3.", "integer", enum="phase"
        ),
        FieldDef(
            "date_entretien_initialisation",
            "Date d'entretien d'initialisation",
            "Date de l'entretien d'initialisation (AAAA-MM-JJ), au plus tard la date d'entrée ; vide si inconnue.",
            "date",
            required=False,
            example="2025-10-01",
        ),
        FieldDef(
            "date_entree",
            "Date d'entrée",
            "Date d'entrée dans le dispositif CEP (AAAA-MM-JJ).",
            "date",
            example="2025-10-06",
        ),
        FieldDef(
            "date_entree_phase3",
            "Date d'entrée en phase 3",
            "Date d'entrée en phase 3 « Accompagnement personnalisé vers la mise en œuvre du projet » : date du "
            "passage en phase 3, ou date d'entrée pour une entrée directe ; vide si la personne est en phase 2.",
            "date",
            required=False,
            example="2025-11-03",
        ),
        FieldDef(
            "type_projet",
            "Type de projet",
            "Type de projet dominant ; vide s'il n'est pas encore connu.",
            "string",
            required=False,
            enum="project_type",
        ),
        FieldDef(
            "code_rome_vise",
            "Code ROME du métier visé",
            "Code ROME du métier visé (une lettre et quatre chiffres), s'il est connu.",
            "string",
            required=False,
            pattern="^[A-N][0-9]{4}$",
            example="M1607",
        ),
        FieldDef(
            "acte_service",
            "Acte de service",
            "Acte de service national de l'offre proposée pendant le CEP.",
            "string",
            enum="service_act",
        ),
        FieldDef(
            "date_service",
            "Date du service",
            "Date à laquelle le service a été proposé (AAAA-MM-JJ).",
            "date",
            example="2025-10-20",
        ),
        FieldDef(
            "date_fin",
            "Date de fin réelle",
            "Date de fin réelle du dispositif (AAAA-MM-JJ).",
            "date",
            example="2026-04-06",
        ),
        FieldDef("motif_sortie", "Motif de sortie", "Motif de sortie du dispositif.", "string", enum="exit_reason"),
        FieldDef(
            "phase_sortie",
            "Phase à la sortie",
            "Phase dans laquelle le CEP a pris fin : 2 ou 3.",
            "integer",
            enum="phase",
        ),
        FieldDef(
            "sortie_automatique",
            "Sortie automatique",
            "true si la sortie est automatique (aucune manifestation de la personne pendant 6 mois), sinon false.",
            "boolean",
            example="false",
        ),
        FieldDef(
            "type_projet_sortie",
            "Type de projet à la sortie",
            "Type de projet dominant à la sortie ; obligatoire pour le motif « Plan d'action réalisé ».",
            "string",
            required=False,
            enum="project_type",
        ),
    ]
}


@dataclass(frozen=True)
class Resource:
    name: str  # entrees, services, sorties
    title: str
    description: str
    fields: tuple[str, ...]  # payload fields, after numero_ligne and type_mouvement
    key: str  # the object's pseudonym field, unique in a file (primary key)
    reference_date: str  # the date that must not be after the declared month
    object_type: str

    @property
    def all_fields(self) -> tuple[str, ...]:
        return HEADER_FIELDS + self.fields


_ENTREES_1_0 = (
    "identifiant_cep",
    "identifiant_personne",
    "code_structure",
    "code_operateur",
    "code_reseau",
    "code_region_residence",
    "code_departement_residence",
    "annee_mois_naissance",
    "sexe",
    "situation_professionnelle",
    "niveau_qualification",
    "rqth",
    "date_premier_accueil",
    "aiguilleur",
    "motif_sollicitation",
    "phase_entree",
    "date_entretien_initialisation",
    "date_entree",
    "date_entree_phase3",
    "type_projet",
)
_SERVICES_1_0 = (
    "identifiant_service",
    "identifiant_cep",
    "identifiant_personne",
    "code_structure",
    "acte_service",
    "date_service",
)
_SORTIES_1_0 = (
    "identifiant_cep",
    "identifiant_personne",
    "code_structure",
    "date_fin",
    "motif_sortie",
    "phase_sortie",
    "sortie_automatique",
    "type_projet_sortie",
)


def _resources(entrees: tuple[str, ...]) -> dict[str, Resource]:
    return {
        "entrees": Resource(
            "entrees",
            "CEP – entrées dans le dispositif (niveaux 2 et 3)",
            "Une ligne par entrée dans le dispositif CEP, avec les caractéristiques de la personne.",
            entrees,
            "identifiant_cep",
            "date_entree",
            "cep",
        ),
        "services": Resource(
            "services",
            "CEP – services proposés pendant le dispositif",
            "Une ligne par service proposé à la personne pendant un CEP en cours (phases 2 et 3).",
            _SERVICES_1_0,
            "identifiant_service",
            "date_service",
            "service",
        ),
        "sorties": Resource(
            "sorties",
            "CEP – sorties du dispositif",
            "Une ligne par sortie du dispositif CEP (clôture par le conseiller ou sortie automatique).",
            _SORTIES_1_0,
            "identifiant_cep",
            "date_fin",
            "cep",
        ),
    }


@dataclass(frozen=True)
class ContractVersion:
    version: str
    valid_from: datetime.date  # first month produced with this version
    last_modified: str
    resources: dict[str, Resource] = field(hash=False)

    @property
    def directory(self) -> Path:
        return CONTRACT_DIR / f"v{self.version}"

    def schema_path(self, resource: str) -> Path:
        return self.directory / resource / "schema.json"

    def example_path(self, resource: str) -> Path:
        return self.directory / resource / "exemple-valide.csv"


# The registry: version → month from which it is in force. Append, never rewrite a published version.
VERSIONS: tuple[ContractVersion, ...] = (
    ContractVersion("1.0.0", datetime.date(2020, 1, 1), "2026-11-23", _resources(_ENTREES_1_0)),
    # 2026-12-07: only the description of its period changed (it ends with 11/2026), its fields did not.
    ContractVersion("1.1.0", datetime.date(2025, 1, 1), "2026-12-07", _resources((*_ENTREES_1_0, "code_rome_vise"))),
    ContractVersion(
        "1.2.0",
        datetime.date(2026, 12, 1),
        "2026-12-07",
        _resources((*_ENTREES_1_0, "code_rome_vise", "identifiant_personne_identite")),
    ),
)


def get_version(version: str) -> ContractVersion:
    for v in VERSIONS:
        if v.version == version:
            return v
    raise RuleViolation("CONTRAT", f"La version « {version} » du contrat d'interface n'existe pas.")


def version_for_month(month: datetime.date) -> ContractVersion:
    """The version in force for the month (the last one whose first month is on or before it)."""
    month = month_start(month)
    candidates = [v for v in VERSIONS if v.valid_from <= month]
    if not candidates:
        raise RuleViolation(
            "CONTRAT",
            f"Aucune version du contrat d'interface n'est en vigueur pour {month:%m/%Y} "
            f"(première version : {VERSIONS[0].valid_from:%m/%Y}).",
        )
    return max(candidates, key=lambda v: v.valid_from)


def version_period(version: ContractVersion) -> tuple[datetime.date, datetime.date | None]:
    """First and last day of the version's period (None = still in force)."""
    later = sorted(v.valid_from for v in VERSIONS if v.valid_from > version.valid_from)
    return version.valid_from, (later[0] - datetime.timedelta(days=1)) if later else None


def file_name(resource: str, month: datetime.date, version: str, scope_suffix: str) -> str:
    """The file name carries the month, the version and the scope; never a generation timestamp."""
    return f"cep_{resource}_{month:%Y-%m}_v{version}_{scope_suffix}.csv"
