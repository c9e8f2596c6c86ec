"""Importing CEPs (« Dispositifs CEP »): the template, the check of one row, the plan, apply and undo (docs/import.md).

One line is one CEP of a person who already has a dossier in the structure, found by the identity pseudonym as in
the beneficiaries file (cep/beneficiaries/identity.py). The line gives the CEP as it stands: entered (phase 2 or
directly 3), maybe moved to phase 3, maybe closed. Steps:

1. each row, in Python, alone: cells, dates, referential codes, the identity pseudonym (`Checker.check`);
2. set-based SQL over the batch's lines (`PLAN_SQL`): the dossier (none, several, anonymised), the same CEP twice
   in the file, a CEP of the person already in the structure with the same entry date (identical: « inchangé »,
   else refused R7: an import never modifies a CEP), R2 (one CEP in progress per person and structure);
3. the lines still to create, streamed with their dossier's facts in one SELECT, checked by the enrolment rules'
   own function (cep.enrolments.services.history_violations: R1, R3–R6, R8, REFERENTIEL, ELIGIBILITE, AIGUILLEUR),
   the refusals written back in bulk.

The confirmation inserts the CEPs (INSERT … SELECT, with the R9 clock computed from the person's manifestations)
and their audit rows (INSERT … SELECT); the undo deletes them while nothing was built on them.
"""

import datetime
import json

from django.db import connection

from cep.beneficiaries import identity
from cep.beneficiaries.models import Beneficiary
from cep.common import dates
from cep.common.text import model_max_lengths
from cep.enrolments import overlaps
from cep.enrolments.models import Cep
from cep.enrolments.services import R1_MESSAGE, Period, history_violations, succession_violation
from cep.enrolments.workflow import R2_MESSAGE
from cep.events.queries import MANIFESTATION_SQL
from cep.organisations.models import Structure
from cep.referentials.models import EmploymentStatus, ExitReason, OrientationSource, ProjectType, RequestReason

from . import columns as c
from . import created
from .columns import CellError, Column

LABEL = "Dispositifs CEP"
SLUG = "dispositifs-cep"
WRITTEN = "CEP"  # the progress bar: « Écriture des … »
OBJECT_TYPE = "cep"
UNDO_BLOCKED = "un de ses CEP a été repris depuis ({built}). Corrigez les CEP un par un, dans les dossiers."

IDENTITY_COLUMNS = (
    Column("nom", "Nom", True, "Nom d'usage, comme dans le dossier.", "MARTIN", aliases=("nom_usage", "nom_d_usage")),
    Column("prenom", "Prénom", True, "", "Léa", aliases=("prénom",)),
    Column("nom_naissance", "Nom de naissance", False, "Si différent du nom d'usage.", "", ("nom_de_naissance",)),
    Column("sexe", "Sexe", True, "F (femme) ou M (homme).", "F"),
    Column("date_naissance", "Date de naissance", True, "jj/mm/aaaa.", "14/03/1990", ("date_de_naissance",)),
)
COLUMNS = (
    *IDENTITY_COLUMNS,
    Column("aiguilleur", "Aiguilleur", True, "Code ou libellé du référentiel.", "ma_structure_entree_directe"),
    Column(
        "date_entretien_initialisation",
        "Date d'entretien d'initialisation",
        False,
        "jj/mm/aaaa, au plus tard la date d'entrée (R4).",
        "",
        ("date_d_entretien_d_initialisation",),
    ),
    Column(
        "date_entree",
        "Date d'entrée",
        True,
        "jj/mm/aaaa, ni dans le futur ni avant le premier accueil (R4).",
        "15/09/2025",
        ("date_d_entree",),
    ),
    Column("phase_entree", "Phase d'entrée", True, "2 ou 3 (R3).", "2", ("phase_d_entree", "phase")),
    Column(
        "motif_sollicitation",
        "Motif de sollicitation",
        True,
        "Code ou libellé du référentiel.",
        "prise_de_recul",
        ("motif_de_sollicitation",),
    ),
    Column("nom_prescripteur", "Nom du prescripteur", False, "", "", ("nom_du_prescripteur",)),
    Column("nom_referent", "Nom du référent", False, "", "", ("nom_du_referent",)),
    Column("type_projet", "Type de projet", False, "Code ou libellé du référentiel.", "", ("type_de_projet",)),
    Column(
        "date_passage_phase3",
        "Date d'entrée en phase 3",
        False,
        "jj/mm/aaaa, pour un CEP entré en phase 2 : au plus tôt le lendemain de l'entrée (R5).",
        "",
        ("date_entree_phase3", "date_d_entree_en_phase_3", "date_de_passage_en_phase_3"),
    ),
    Column(
        "date_fin",
        "Date de fin réelle",
        False,
        "jj/mm/aaaa, pour un CEP clôturé : ni dans le futur ni avant l'entrée dans la phase (R8).",
        "",
        ("date_de_fin", "date_de_fin_reelle"),
    ),
    Column(
        "motif_sortie",
        "Motif de sortie",
        False,
        "Code ou libellé, avec la date de fin (R8).",
        "",
        ("motif_de_sortie",),
    ),
)

# Template column -> CEP field; the line's data holds every one of them (null when empty) so that a CEP is compared
# as a whole with an existing one.
FIELDS = {
    "aiguilleur": "orientation_source_id",
    "date_entretien_initialisation": "initial_interview_date",
    "date_entree": "entry_date",
    "phase_entree": "entry_phase",
    "motif_sollicitation": "request_reason_id",
    "nom_prescripteur": "prescriber_name",
    "nom_referent": "referent_name",
    "type_projet": "project_type_id",
    "date_passage_phase3": "phase3_entry_date",
    "date_fin": "end_date",
    "motif_sortie": "exit_reason_id",
}
# A refusal's field (the services' names) -> the template column it points at.
COLUMN_OF = {field.removesuffix("_id"): column for column, field in FIELDS.items()} | {
    "birth_date": "date_naissance",
    "employment_status": "",
    "status": "",
    "on": "date_passage_phase3",
}
DATES = ("date_entretien_initialisation", "date_entree", "date_passage_phase3", "date_fin")
REFERENTIALS = {
    "aiguilleur": OrientationSource,
    "motif_sollicitation": RequestReason,
    "type_projet": ProjectType,
    "motif_sortie": ExitReason,
}
REQUIRED = {
    "aiguilleur": "l'aiguilleur",
    "date_entree": "la date d'entrée",
    "motif_sollicitation": "le motif de sollicitation",
}
_SEX = {"f": "F", "femme": "F", "m": "M", "h": "M", "homme": "M"}
_PHASES = {"2": 2, "3": 3, "phase_2": 2, "phase_3": 3}
DISPLAY_KEYS = ("last_name", "first_name", "beneficiary_id")


def read_identity(cell, fail, labels: dict, max_lengths: dict, key: bytes) -> tuple[str, dict]:
    """The person of a row (nom, prénom, nom de naissance, sexe, date de naissance) and their identity pseudonym,
    as the beneficiaries file reads them; refusals go to `fail(column, CellError)`, the key is "" then."""
    names, ok = {}, True
    for name, field in (("nom", "last_name"), ("prenom", "first_name"), ("nom_naissance", "birth_name")):
        try:
            names[field] = c.text(cell(name), max_lengths[field], labels[name])
        except CellError as error:
            fail(name, error)
            ok = False
            continue
        if not names[field] and name != "nom_naissance":
            fail(name, CellError("DOSSIER", f"Renseignez {'le nom' if name == 'nom' else 'le prénom'}."))
            ok = False
    sex = cell("sexe").strip()
    if sex.lower() not in _SEX:
        fail("sexe", CellError("SAISIE", f"Sexe : « F » ou « M » attendu (lu : « {sex[:20]} »)."))
        ok = False
    birth = None
    if not cell("date_naissance").strip():
        fail("date_naissance", CellError("DOSSIER", "Renseignez la date de naissance."))
    else:
        try:
            birth = c.date(cell("date_naissance"), labels["date_naissance"])
        except CellError as error:
            fail("date_naissance", error)
    if not ok or birth is None:
        return "", names
    pseudonym = identity.identity_pseudonym(
        last_name=names["last_name"],
        birth_name=names.get("birth_name", ""),
        first_name=names["first_name"],
        birth_date=birth,
        sex=_SEX[sex.lower()],
        key=key,
    )
    return pseudonym, names


class Checker:
    """Checks rows of one file for one structure. Loads the four referentials once (a few dozen values)."""

    def __init__(self, *, structure: Structure, today: datetime.date | None = None):
        self.structure = structure
        self.today = today or dates.today()
        self.key = identity.identity_key()
        self.max_lengths = model_max_lengths(Cep) | model_max_lengths(Beneficiary)
        self.lookups = {name: c.referential_lookup(model) for name, model in REFERENTIALS.items()}
        self.values = {name: {v.code: v for v in model.objects.all()} for name, model in REFERENTIALS.items()}
        self.employment = {v.code: v for v in EmploymentStatus.objects.all()}
        self.labels = {column.name: column.label for column in COLUMNS}

    def check(self, index: dict[str, int], cells: list[str]) -> tuple[str, dict | None, list[dict]]:
        """(match key, data, errors) of one row, on its cells alone; errors empty when the row is readable."""
        errors: list[dict] = []
        data: dict = {}

        def cell(name):
            position = index.get(name)
            return cells[position] if position is not None and position < len(cells) else ""

        def fail(column, error: CellError):
            errors.append({"column": column, "rule": error.rule, "message": error.message})

        key, names = read_identity(cell, fail, self.labels, self.max_lengths, self.key)
        for name in DATES:
            raw = cell(name)
            value = None
            if raw.strip():
                try:
                    value = c.date(raw, self.labels[name]).isoformat()
                except CellError as error:
                    fail(name, error)
            data[FIELDS[name]] = value
        for name in ("nom_prescripteur", "nom_referent"):
            try:
                data[FIELDS[name]] = c.text(cell(name), self.max_lengths[FIELDS[name]], self.labels[name])
            except CellError as error:
                fail(name, error)
        for name in REFERENTIALS:
            raw = cell(name).strip()
            value = None
            if raw:
                try:
                    value = c.referential(raw, self.lookups[name], self.labels[name])
                except CellError as error:
                    fail(name, error)
            data[FIELDS[name]] = value
        for name, label in REQUIRED.items():
            if not cell(name).strip():
                fail(name, CellError("SAISIE", f"Renseignez {label}."))
        phase = cell("phase_entree").strip().lower().replace(" ", "_")
        data["entry_phase"] = _PHASES.get(phase)
        if data["entry_phase"] is None:
            # The service's own refusal for a phase other than 2 or 3 (R3).
            fail("phase_entree", CellError("R3", "L'entrée se fait en phase 2 ou directement en phase 3."))
        if errors:
            return "", None, errors
        data["last_name"], data["first_name"] = names["last_name"], names["first_name"]
        return key, data, []

    def rule_errors(self, data: dict, dossier: dict) -> list[dict]:
        """The enrolment rules on a line matched to its dossier (cep.enrolments.services.history_violations, the
        function the services use), as the line's errors."""
        if dossier["status"] != "justified":
            return [{"column": "", "rule": "R1", "message": R1_MESSAGE}]
        person = Beneficiary(
            birth_date=dossier["birth_date"],
            first_reception_date=dossier["first_reception_date"],
            employment_status=self.employment.get(dossier["employment_status_id"]),
            holds_or_seeks_job=dossier["holds_or_seeks_job"],
        )

        def day(field):
            return datetime.date.fromisoformat(data[field]) if data.get(field) else None

        def value(column):
            code = data[FIELDS[column]]
            return self.values[column][code] if code else None

        violations = history_violations(
            beneficiary=person,
            structure=self.structure,
            entry_date=day("entry_date"),
            entry_phase=data["entry_phase"],
            initial_interview_date=day("initial_interview_date"),
            orientation_source=value("aiguilleur"),
            request_reason=value("motif_sollicitation"),
            project_type=value("type_projet"),
            phase3_entry_date=day("phase3_entry_date"),
            end_date=day("end_date"),
            exit_reason=value("motif_sortie"),
            has_level1_service=lambda: dossier["has_level1_service"],
            today=self.today,
        )
        return [{"column": COLUMN_OF.get(v.field or "", ""), "rule": v.rule, "message": v.message} for v in violations]

    def succession_errors(self, data: dict, existing: list[Period], accepted: list[Period], number: int) -> list[dict]:
        """R2, successive CEPs (cep.enrolments.services.succession_violation): the line's CEP against the person's
        CEPs in the structure and the earlier lines of the file accepted for that person (`accepted`, to which the
        line is added when it is accepted)."""
        entry = datetime.date.fromisoformat(data["entry_date"])
        end = datetime.date.fromisoformat(data["end_date"]) if data.get("end_date") else None
        violation = succession_violation(entry_date=entry, end_date=end, others=existing)
        if violation is None and (violation := succession_violation(entry_date=entry, end_date=end, others=accepted)):
            line = violation.details["line"]
            violation.message = f"{violation.message.removesuffix('.')} (ligne {line} du fichier)."
        if violation is None:
            accepted.append(Period(entry, end, {"line": number}))
            return []
        return [{"column": COLUMN_OF.get(violation.field or "", ""), "rule": "R2", "message": violation.message}]


def existing_periods(periods) -> list[Period]:
    """The person's CEPs in the structure as FACTS_SQL aggregates them ([id, entry, end] in JSON), for R2."""
    if isinstance(periods, str):
        periods = json.loads(periods)
    return [
        Period(datetime.date.fromisoformat(entry), datetime.date.fromisoformat(end) if end else None, {"cep_id": pk})
        for pk, entry, end in periods or ()
    ]


def checker(batch) -> Checker:
    return Checker(structure=Structure.objects.select_related("network").get(pk=batch.structure_id))


# The CEP as a line's data writes it (every key; null when empty): compared as a whole with `=`.
CEP_JSON = """jsonb_build_object(
    'orientation_source_id', c.orientation_source_id,
    'initial_interview_date', to_char(c.initial_interview_date, 'YYYY-MM-DD'),
    'entry_date', to_char(c.entry_date, 'YYYY-MM-DD'), 'entry_phase', c.entry_phase,
    'request_reason_id', c.request_reason_id, 'prescriber_name', c.prescriber_name, 'referent_name', c.referent_name,
    'project_type_id', c.project_type_id,
    'phase3_entry_date', CASE WHEN c.entry_phase = 2 THEN to_char(c.phase3_entry_date, 'YYYY-MM-DD') END,
    'end_date', to_char(c.end_date, 'YYYY-MM-DD'), 'exit_reason_id', c.exit_reason_id)"""
LINE_CEP = "(l.data - 'last_name' - 'first_name' - 'beneficiary_id')"
BENEFICIARY_ID = "(l.data ->> 'beneficiary_id')::bigint"
ENTRY = "(l.data ->> 'entry_date')::date"
IS_OPEN = "(l.data ->> 'end_date') IS NULL"
NO_DOSSIER = (
    "Aucun dossier de la structure pour cette personne (nom de naissance ou d'usage, prénom, date de naissance et "
    "sexe) : importez d'abord le fichier des bénéficiaires ou corrigez l'identité."
)
SEVERAL_DOSSIERS = (
    "Cette personne a plusieurs dossiers dans la structure : rattachez ce CEP à la main, dans le bon dossier."
)
ANONYMISED = "Ce dossier a été anonymisé (durée de conservation) : il ne reçoit plus de CEP."
EXISTS_DIFFERENT = (
    "Un CEP de cette personne entré le %s existe déjà dans la structure avec d'autres valeurs : un import ne modifie "
    "pas un CEP existant (la date d'entrée ne se modifie jamais) ; modifiez-le, passez-le en phase 3 ou "
    "clôturez-le dans le dossier."
)
STALE_INDEX = (
    "Un CEP en cours a été ouvert pour une personne du fichier depuis le contrôle (R2) : rien n'a été importé. "
    "Déposez le fichier à nouveau pour refaire le contrôle."
)
STALE_WRITE = (
    "La base a refusé une ligne : un dossier, un CEP, un événement ou un utilisateur du fichier a changé depuis le "
    "contrôle ; rien n'a été importé. Déposez le fichier à nouveau pour refaire le contrôle."
)
R2_IN_FILE = (
    "Le fichier donne un autre CEP en cours pour cette personne (ligne %s) : un seul CEP peut être en cours par "
    "personne dans la structure."
)


def first_of(partition: str, where: str = "") -> str:
    """The batch's « create » lines (`where` added) after the first of their group: (line_number, first_line) AS d."""
    return f"""(SELECT line_number, first_line
          FROM (SELECT line_number, min(line_number) OVER (PARTITION BY {partition}) AS first_line
                FROM imports_importline WHERE batch_id = %(batch)s AND outcome = 'create'{where}) w
          WHERE line_number > first_line) d"""


def _refuse(column: str, rule: str, message: str) -> str:
    return f"jsonb_build_array(jsonb_build_object('column', '{column}', 'rule', '{rule}', 'message', {message}))"


PLAN_SQL = [
    # No dossier of the person in the structure.
    f"""
    UPDATE imports_importline l SET outcome = 'refused', errors = {_refuse("nom", "DOSSIER", "%(no_dossier)s")}
    WHERE l.batch_id = %(batch)s AND l.outcome = 'create' AND NOT EXISTS (
        SELECT 1 FROM beneficiaries_beneficiary b
        WHERE b.structure_id = %(structure)s AND b.identity_pseudonym = l.match_key)
    """,
    # Several dossiers of the person in the structure: which one is meant is not for the import to guess.
    f"""
    UPDATE imports_importline l SET outcome = 'refused', errors = {_refuse("nom", "DOSSIER", "%(several)s")}
    FROM (SELECT identity_pseudonym FROM beneficiaries_beneficiary
          WHERE structure_id = %(structure)s AND identity_pseudonym <> ''
          GROUP BY identity_pseudonym HAVING count(*) > 1) m
    WHERE l.batch_id = %(batch)s AND l.outcome = 'create' AND l.match_key = m.identity_pseudonym
    """,
    # The one dossier: its id joins the line's data; an anonymised dossier takes no CEP (CONSERVATION).
    f"""
    UPDATE imports_importline l SET
        data = l.data || jsonb_build_object('beneficiary_id', b.id),
        outcome = CASE WHEN b.anonymised_at IS NULL THEN 'create' ELSE 'refused' END,
        errors = CASE WHEN b.anonymised_at IS NOT NULL THEN {_refuse("", "CONSERVATION", "%(anonymised)s")} END
    FROM beneficiaries_beneficiary b
    WHERE l.batch_id = %(batch)s AND l.outcome = 'create' AND b.structure_id = %(structure)s
      AND b.identity_pseudonym = l.match_key
    """,
    # The same CEP (person and entry date) twice in the file: the later lines are duplicates of the first. One pass
    # (a window) joined back on the unique (batch, line), as the beneficiaries file does (a self-join on the key was
    # planned as a nested loop).
    f"""
    UPDATE imports_importline l SET outcome = 'duplicate', duplicate_of = d.first_line
    FROM {first_of("match_key, data ->> 'entry_date'")}
    WHERE l.batch_id = %(batch)s AND l.line_number = d.line_number
    """,
    # A CEP of the person entered that day is already in the structure: identical, nothing to do; else refused.
    f"""
    UPDATE imports_importline l SET object_id = c.id,
        outcome = CASE WHEN {CEP_JSON} = {LINE_CEP} THEN 'unchanged' ELSE 'refused' END,
        errors = CASE WHEN {CEP_JSON} = {LINE_CEP} THEN NULL
                 ELSE {_refuse("date_entree", "R7", "format(%(exists)s, to_char(c.entry_date, 'DD/MM/YYYY'))")} END
    FROM enrolments_cep c
    WHERE l.batch_id = %(batch)s AND l.outcome = 'create' AND c.beneficiary_id = {BENEFICIARY_ID}
      AND c.structure_id = %(structure)s AND c.entry_date = {ENTRY} AND c.status <> 'deleted'
    """,
    # R2: a CEP in progress in the file while the person has one in progress in the structure.
    f"""
    UPDATE imports_importline l SET outcome = 'refused', errors = {_refuse("date_fin", "R2", "%(r2)s")}
    FROM enrolments_cep c
    WHERE l.batch_id = %(batch)s AND l.outcome = 'create' AND {IS_OPEN} AND c.beneficiary_id = {BENEFICIARY_ID}
      AND c.structure_id = %(structure)s AND c.status IN ('phase2', 'phase3')
    """,
    # R2 inside the file: two CEPs in progress of one person, the later lines refused.
    f"""
    UPDATE imports_importline l SET outcome = 'refused',
        errors = {_refuse("date_fin", "R2", "format(%(r2_file)s, d.first_line)")}
    FROM {first_of("match_key", " AND (data ->> 'end_date') IS NULL")}
    WHERE l.batch_id = %(batch)s AND l.line_number = d.line_number
    """,
]
PLAN_PARAMS = {
    "no_dossier": NO_DOSSIER,
    "several": SEVERAL_DOSSIERS,
    "anonymised": ANONYMISED,
    "exists": EXISTS_DIFFERENT,
    "r2": R2_MESSAGE,
    "r2_file": R2_IN_FILE,
}
# The lines still to create, with what the rules read of their dossier (one statement, streamed).
FACTS_SQL = f"""
SELECT l.line_number, l.data, b.status, b.birth_date, b.first_reception_date, b.employment_status_id,
       b.holds_or_seeks_job,
       EXISTS (SELECT 1 FROM offers_service s WHERE s.beneficiary_id = b.id AND s.structure_id = %(structure)s
               AND s.is_cep_level1 AND s.proposed_on <= {ENTRY}) AS has_level1_service,
       (SELECT jsonb_agg(jsonb_build_array(c.id, c.entry_date, c.end_date) ORDER BY c.entry_date, c.id)
        FROM enrolments_cep c WHERE c.beneficiary_id = b.id AND c.structure_id = %(structure)s
        AND c.status <> 'deleted') AS periods
FROM imports_importline l JOIN beneficiaries_beneficiary b ON b.id = {BENEFICIARY_ID}
WHERE l.batch_id = %(batch)s AND l.outcome = 'create'
ORDER BY b.id, l.line_number
"""
REFUSE_SQL = """
UPDATE imports_importline l SET outcome = 'refused', errors = r.errors::jsonb
FROM unnest(%(numbers)s::int[], %(errors)s::text[]) AS r(line_number, errors)
WHERE l.batch_id = %(batch)s AND l.line_number = r.line_number
"""
# Double accompaniment (cep/enrolments/overlaps.py): a line that creates a CEP in progress for a person with a CEP in
# progress in another structure is accepted with a warning, never refused: the other structures' network and name
# only, in the words of « Ajouter le dispositif CEP ». One statement over the batch: the lines with their dossier's
# facts (`mine`) joined to the CEPs in progress elsewhere by the identity pseudonym, the France Travail exception
# excepted (the same condition as the national report).
OVERLAP_RULE = "DOUBLE_ACCOMPAGNEMENT"
# Only the CEPs of another structure whose person is in the batch get their dossier joined (not every CEP in progress).
_ELSEWHERE = """AND c.structure_id <> %(structure)s AND c.identity_pseudonym IN (
    SELECT match_key FROM imports_importline WHERE batch_id = %(batch)s AND outcome = 'create')"""
OVERLAP_SQL = f"""
WITH mine AS (
    SELECT l.line_number, l.match_key AS p, own.ft, coalesce(es.is_registered_job_seeker, false) AS js
    FROM imports_importline l
    JOIN beneficiaries_beneficiary b ON b.id = {BENEFICIARY_ID}
    LEFT JOIN referentials_employmentstatus es ON es.code = b.employment_status_id
    CROSS JOIN (SELECT n.follows_registered_job_seekers AS ft FROM organisations_structure s
                JOIN referentials_network n ON n.code = s.network_id WHERE s.id = %(structure)s) own
    WHERE l.batch_id = %(batch)s AND l.outcome = 'create' AND {IS_OPEN}
), found AS (
    SELECT m.line_number,
           string_agg(format(%(place)s, o.network, o.structure), %(separator)s
                      ORDER BY o.structure_id, o.id) AS places,
           jsonb_agg(jsonb_build_object('network', o.network, 'structure', o.structure)
                     ORDER BY o.structure_id, o.id) AS elsewhere
    FROM mine m JOIN {overlaps.in_progress_sql(_ELSEWHERE)} o ON o.identity_pseudonym = m.p
    WHERE NOT {overlaps.france_travail_exception_sql("m.ft", "m.js", "o.ft", "o.js")}
    GROUP BY m.line_number
)
UPDATE imports_importline l SET warnings = jsonb_build_array(jsonb_build_object(
    'column', '', 'rule', '{OVERLAP_RULE}', 'message', format(%(warning)s, f.places), 'elsewhere', f.elsewhere))
FROM found f
WHERE l.batch_id = %(batch)s AND l.line_number = f.line_number
"""
OVERLAP_PARAMS = {"place": overlaps.PLACE, "separator": overlaps.PLACES_SEPARATOR, "warning": overlaps.WARNING}
_FACT_NAMES = ("status", "birth_date", "first_reception_date", "employment_status_id", "holds_or_seeks_job")
_REFUSE_CHUNK = 5000


def plan(cursor, batch, check: Checker) -> None:
    params = {"batch": batch.pk, "structure": batch.structure_id}
    for sql in PLAN_SQL:
        cursor.execute(sql, {**params, **PLAN_PARAMS})
    refused: tuple[list[int], list[str]] = ([], [])

    def flush():
        if refused[0]:
            cursor.execute(REFUSE_SQL, {**params, "numbers": refused[0], "errors": refused[1]})
            refused[0].clear()
            refused[1].clear()

    # A server-side cursor: the lines are streamed, never all in memory. They come person by person (then in file
    # order), so R2 (successive CEPs) compares each line with the person's CEPs in the structure and the earlier
    # accepted lines of the same person in the file, holding only the current person's periods.
    person, accepted = None, []
    with connection.chunked_cursor() as facts:
        facts.execute(FACTS_SQL, params)
        while rows := facts.fetchmany(2000):
            for number, data, *values, periods in rows:
                dossier = dict(zip((*_FACT_NAMES, "has_level1_service"), values, strict=True))
                data = data if isinstance(data, dict) else json.loads(data)
                if data["beneficiary_id"] != person:
                    person, accepted = data["beneficiary_id"], []
                errors = check.rule_errors(data, dossier)
                errors += check.succession_errors(data, existing_periods(periods), accepted, number)
                if errors:
                    refused[0].append(number)
                    refused[1].append(json.dumps(errors, ensure_ascii=False))
            if len(refused[0]) >= _REFUSE_CHUNK:
                flush()
    flush()
    cursor.execute(OVERLAP_SQL, {**params, **OVERLAP_PARAMS})


RANGE = "l.batch_id = %(batch)s AND l.line_number BETWEEN %(low)s AND %(high)s"
PHASE3 = f"(CASE WHEN (l.data ->> 'entry_phase')::int = 3 THEN {ENTRY} ELSE (l.data->>'phase3_entry_date')::date END)"
INSERT_COLUMNS = {
    "id": "l.object_id",
    "beneficiary_id": BENEFICIARY_ID,
    "structure_id": "%(structure)s",
    "status": f"""CASE WHEN l.data ->> 'end_date' IS NOT NULL THEN 'closed'
                  WHEN {PHASE3} IS NOT NULL THEN 'phase3' ELSE 'phase2' END""",
    "orientation_source_id": "l.data ->> 'orientation_source_id'",
    "initial_interview_date": "(l.data ->> 'initial_interview_date')::date",
    "entry_date": ENTRY,
    "entry_phase": "(l.data ->> 'entry_phase')::int",
    "request_reason_id": "l.data ->> 'request_reason_id'",
    "prescriber_name": "l.data ->> 'prescriber_name'",
    "referent_name": "l.data ->> 'referent_name'",
    "project_type_id": "l.data ->> 'project_type_id'",
    "phase2_entry_date": f"CASE WHEN (l.data ->> 'entry_phase')::int = 2 THEN {ENTRY} END",
    "phase2_end_date": "CASE WHEN (l.data ->> 'entry_phase')::int = 2 THEN "
    "(l.data ->> 'phase3_entry_date')::date - 1 END",
    "phase3_entry_date": PHASE3,
    "end_date": "(l.data ->> 'end_date')::date",
    "exit_reason_id": "l.data ->> 'exit_reason_id'",
    "ended_in_phase": f"""CASE WHEN l.data ->> 'end_date' IS NOT NULL THEN
                          CASE WHEN {PHASE3} IS NOT NULL THEN 3 ELSE 2 END END""",
    "auto_closed": "false",
    # R9: the clock's day, as cep/enrolments/clock.py computes it (entry, or the latest manifestation since).
    "last_manifestation_date": f"""GREATEST({ENTRY}, (
        SELECT max(e.date) FROM events_event e WHERE e.beneficiary_id = {BENEFICIARY_ID}
        AND e.structure_id = %(structure)s AND e.date >= {ENTRY} AND {MANIFESTATION_SQL}))""",
    "reopened_on": "NULL",
    "identity_pseudonym": "l.match_key",
    "created_by_id": "%(actor)s",
    "created_at": "now()",
    "updated_at": "now()",
}
TABLE = "enrolments_cep"  # the lines' ids are drawn from its sequence at check
INSERT_SQL = f"""
INSERT INTO enrolments_cep ({", ".join(INSERT_COLUMNS)})
SELECT {", ".join(INSERT_COLUMNS.values())}
FROM imports_importline l
WHERE {RANGE} AND l.outcome = 'create'
ORDER BY l.line_number
"""
# The plan still holds: each « create » line's dossier is still the person's, « Justifié », not anonymised, and no
# CEP of that day (nor, for a CEP in progress, any CEP in progress) appeared since the check.
STALE_SQL = f"""
SELECT l.line_number FROM imports_importline l
LEFT JOIN beneficiaries_beneficiary b ON b.id = {BENEFICIARY_ID}
WHERE l.batch_id = %(batch)s AND l.outcome = 'create' AND (
    b.id IS NULL OR b.identity_pseudonym <> l.match_key OR b.status <> 'justified' OR b.anonymised_at IS NOT NULL
    OR b.first_reception_date > {ENTRY}
    OR EXISTS (SELECT 1 FROM enrolments_cep c WHERE c.beneficiary_id = b.id AND c.structure_id = %(structure)s
               AND c.status <> 'deleted'
               AND (c.entry_date = {ENTRY} OR ({IS_OPEN} AND c.status IN ('phase2', 'phase3'))
                    OR ({ENTRY} < COALESCE(c.end_date, 'infinity'::date)
                        AND c.entry_date < COALESCE((l.data ->> 'end_date')::date, 'infinity'::date))))
)
ORDER BY l.line_number LIMIT 1
"""
AUDIT_SQL = created.audit_sql("enrolments_cep", "c", "cep")
SNAPSHOT = created.snapshot("c")
DELETE_SQL = created.delete_sql("enrolments_cep", "c")


# The dossiers of the lines to create, locked FOR KEY SHARE before the plan is checked again: « Ajouter le dispositif
# CEP » and « Rouvrir » lock the dossier FOR UPDATE, so a CEP opened meanwhile for one of these people is either seen
# by STALE_SQL or opened after the import, against its CEPs (R2, successive CEPs). KEY SHARE is what the foreign
# keys of the INSERT take anyway: it does not block the dossier's ordinary updates.
LOCK_SQL = f"""
SELECT count(*) FROM (SELECT b.id FROM beneficiaries_beneficiary b JOIN imports_importline l ON b.id = {BENEFICIARY_ID}
                      WHERE l.batch_id = %(batch)s AND l.outcome = 'create' ORDER BY b.id FOR KEY SHARE OF b) x
"""


def stale_line(cursor, params) -> int | None:
    cursor.execute(LOCK_SQL, params)
    return created.first_stale_line(cursor, STALE_SQL, params)


def apply_chunk(cursor, params) -> int:
    # The R2 index refuses a CEP in progress opened meanwhile: the batch fails whole.
    return created.insert_chunk(cursor, INSERT_SQL, params, STALE_INDEX)


def audit_apply(cursor, params) -> None:
    cursor.execute(AUDIT_SQL.format(before="NULL", after=SNAPSHOT), {**params, "action": "import_create_cep"})


def undo(cursor, params) -> None:
    cursor.execute(AUDIT_SQL.format(before=SNAPSHOT, after="NULL"), {**params, "action": "undo_import_create_cep"})
    cursor.execute(DELETE_SQL, params)


def built_on(batch) -> str | None:
    """What was done since the import on one of its CEPs (a service, a plan, a change, the automatic exit…)."""
    return created.built_on(
        batch, Cep, object_type="cep", import_action="import_create_cep", changed="modification du CEP"
    )
