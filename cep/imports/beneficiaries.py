"""Importing beneficiaries: the template, the check of one row, and the set-based SQL of the plan, apply and undo.

A row is checked in Python once (cells, dates, referential codes, the dossier's rules DOSSIER and R1, with the
beneficiary services' own messages) and gets its identity pseudonym (cep/beneficiaries/identity.py): the same
person is found whatever the accents or case of the names. Matching against the structure's dossiers, duplicates
inside the file, and the writes are single SQL statements over the batch's lines (no SELECT per row).
"""

import datetime

from cep.beneficiaries import identity
from cep.beneficiaries.models import Beneficiary
from cep.beneficiaries.services import REQUIRED_FOR_JUSTIFIED
from cep.common import dates
from cep.common.text import model_max_lengths, normalize_name
from cep.organisations.models import Commune
from cep.referentials.models import EmploymentStatus, QualificationLevel

from . import columns as c
from . import created
from .columns import CellError, Column

COLUMNS = (
    Column("nom", "Nom", True, "Nom d'usage.", "MARTIN", aliases=("nom_usage", "nom_d_usage")),
    Column("prenom", "Prénom", True, "", "Léa", aliases=("prénom",)),
    Column("nom_naissance", "Nom de naissance", False, "Si différent du nom d'usage.", "", ("nom_de_naissance",)),
    Column("sexe", "Sexe", True, "F (femme) ou M (homme).", "F"),
    Column("date_naissance", "Date de naissance", True, "jj/mm/aaaa.", "14/03/1990", ("date_de_naissance",)),
    Column(
        "date_premier_accueil",
        "Date de premier accueil",
        True,
        "jj/mm/aaaa, ni dans le futur ni avant la naissance.",
        "02/09/2025",
        ("date_de_premier_accueil",),
    ),
    Column("courriel", "Courriel", False, "", "lea.martin@example.org", ("email", "mail", "adresse_electronique")),
    Column("telephone", "Téléphone", False, "", "06 12 34 56 78", ("tel",)),
    Column("adresse", "Adresse", False, "", "3 rue des Lilas"),
    Column(
        "code_commune",
        "Commune de résidence (code INSEE)",
        False,
        "Code INSEE à 5 caractères (2A004 pour Ajaccio).",
        "2A004",
    ),
    Column(
        "situation_professionnelle",
        "Situation professionnelle",
        False,
        "Code ou libellé du référentiel.",
        "salarie_prive_temps_complet",
    ),
    Column(
        "occupe_ou_recherche_emploi",
        "Occupe ou recherche un emploi",
        False,
        "oui/non, pour un étudiant ou un retraité (oui par défaut).",
        "oui",
    ),
    Column("niveau_qualification", "Niveau de qualification", False, "Code ou libellé du référentiel.", "niveau_4"),
    Column("rqth", "RQTH", False, "oui/non (non par défaut).", "non"),
    Column("code_rome", "Code ROME du métier visé", False, "Une lettre et 4 chiffres.", "M1607"),
    Column(
        "justifie",
        "Dossier « Justifié »",
        False,
        "oui : le dossier est justifié à l'import (R1 : les colonnes nécessaires doivent être remplies).",
        "oui",
    ),
)

# Template column -> dossier field (the keys of ImportLine.data).
FIELDS = {
    "nom": "last_name",
    "prenom": "first_name",
    "nom_naissance": "birth_name",
    "sexe": "sex",
    "date_naissance": "birth_date",
    "date_premier_accueil": "first_reception_date",
    "courriel": "email",
    "telephone": "phone",
    "adresse": "address",
    "code_commune": "commune_id",
    "situation_professionnelle": "employment_status_id",
    "occupe_ou_recherche_emploi": "holds_or_seeks_job",
    "niveau_qualification": "qualification_level_id",
    "rqth": "has_rqth",
    "code_rome": "target_rome_code",
}
COLUMN_OF = {field: column for column, field in FIELDS.items()} | {
    "commune": "code_commune",
    "employment_status": "situation_professionnelle",
    "qualification_level": "niveau_qualification",
}
TEXTS = ("nom", "prenom", "nom_naissance", "courriel", "telephone", "adresse")
_SEX = {"f": "F", "femme": "F", "m": "M", "h": "M", "homme": "M"}


class Checker:
    """Checks rows of one file. Loads the referentials once (a few hundred codes; the communes' codes, ~35,000)."""

    def __init__(self, *, today: datetime.date | None = None):
        self.today = today or dates.today()
        self.max_lengths = model_max_lengths(Beneficiary)
        self.employment = c.referential_lookup(EmploymentStatus)
        self.qualification = c.referential_lookup(QualificationLevel)
        self.communes = frozenset(Commune.objects.values_list("code", flat=True))
        self.key = identity.identity_key()
        self.labels = {column.name: column.label for column in COLUMNS}

    def check(self, index: dict[str, int], cells: list[str]) -> tuple[str, dict | None, list[dict]]:
        """(match key, data, errors) of one row; errors empty when the row is accepted."""
        errors: list[dict] = []
        data: dict = {}

        def cell(name):
            position = index.get(name)
            return cells[position] if position is not None and position < len(cells) else ""

        def fail(column, error: CellError):
            errors.append({"column": column, "rule": error.rule, "message": error.message})

        for name in TEXTS:
            raw = cell(name)
            if not raw:
                continue
            field = FIELDS[name]
            try:
                value = c.text(raw, self.max_lengths[field.removesuffix("_id")], self.labels[name])
            except CellError as error:
                fail(name, error)
                continue
            if value:
                data[field] = value
        for name, field in (("nom", "last_name"), ("prenom", "first_name")):
            if field not in data and not any(e["column"] == name for e in errors):
                label = "le nom" if name == "nom" else "le prénom"
                fail(name, CellError("DOSSIER", f"Renseignez {label}."))
        sex = cell("sexe").strip()
        if sex.lower() in _SEX:
            data["sex"] = _SEX[sex.lower()]
        else:
            fail("sexe", CellError("SAISIE", f"Sexe : « F » ou « M » attendu (lu : « {sex[:20]} »)."))
        for name in ("date_naissance", "date_premier_accueil"):
            raw = cell(name)
            if not raw.strip():
                fail(name, CellError("DOSSIER", f"Renseignez la {self.labels[name].lower()}."))
                continue
            try:
                data[FIELDS[name]] = c.date(raw, self.labels[name])
            except CellError as error:
                fail(name, error)
        birth, first = data.get("birth_date"), data.get("first_reception_date")
        # The dossier's date rules, with the messages of cep/beneficiaries/services.py (_check_dates).
        if birth and birth > self.today:
            fail("date_naissance", CellError("DOSSIER", "La date de naissance ne peut pas être dans le futur."))
        if first and first > self.today:
            fail(
                "date_premier_accueil",
                CellError("DOSSIER", "La date de premier accueil ne peut pas être dans le futur."),
            )
        elif birth and first and first < birth <= self.today:
            fail(
                "date_premier_accueil",
                CellError("DOSSIER", "La date de premier accueil est antérieure à la date de naissance."),
            )
        commune = cell("code_commune").strip()
        if commune:
            if len(commune) == 4 and commune.isdigit():
                commune = "0" + commune  # a spreadsheet drops the leading zero of 01001
            if commune.upper() in self.communes:
                data["commune_id"] = commune.upper()
            else:
                fail("code_commune", CellError("REFERENTIEL", f"Code commune INSEE inconnu « {commune[:20]} »."))
        for name, lookup in (
            ("situation_professionnelle", self.employment),
            ("niveau_qualification", self.qualification),
        ):
            raw = cell(name).strip()
            if raw:
                try:
                    data[FIELDS[name]] = c.referential(raw, lookup, self.labels[name])
                except CellError as error:
                    fail(name, error)
        for name in ("occupe_ou_recherche_emploi", "rqth"):
            try:
                value = c.boolean(cell(name), self.labels[name])
            except CellError as error:
                fail(name, error)
                continue
            if value is not None:
                data[FIELDS[name]] = value
        rome = cell("code_rome").strip().upper()
        if rome:
            if len(rome) == 5 and rome[0].isalpha() and rome[1:].isdigit():
                data["target_rome_code"] = rome
            else:
                fail("code_rome", CellError("SAISIE", f"Code ROME : une lettre et 4 chiffres (lu : « {rome[:20]} »)."))
        try:
            justify = c.boolean(cell("justifie"), self.labels["justifie"])
        except CellError as error:
            fail("justifie", error)
            justify = None
        if justify:
            data["justified"] = True
            for field, label in REQUIRED_FOR_JUSTIFIED.items():
                key = field if field in ("birth_date", "sex", "first_reception_date") else f"{field}_id"
                if key not in data and not any(e["column"] == COLUMN_OF[field] for e in errors):
                    fail(COLUMN_OF[field], CellError("R1", f"Pour justifier le dossier, renseignez {label}."))
        if errors:
            return "", None, errors
        match_key = identity.identity_pseudonym(
            last_name=data["last_name"],
            birth_name=data.get("birth_name", ""),
            first_name=data["first_name"],
            birth_date=birth,
            sex=data["sex"],
            key=self.key,
        )
        data["birth_date"], data["first_reception_date"] = birth.isoformat(), first.isoformat()
        data["_search_name"] = normalize_name(f"{data['last_name']} {data['first_name']}")
        return match_key, data, []


# The dossier as the lines' data write it: compared with `@>` (every cell of the line equals the dossier's value).
DOSSIER_JSON = """jsonb_build_object(
    'last_name', b.last_name, 'first_name', b.first_name, 'birth_name', b.birth_name, 'sex', b.sex,
    'birth_date', to_char(b.birth_date, 'YYYY-MM-DD'),
    'first_reception_date', to_char(b.first_reception_date, 'YYYY-MM-DD'),
    'email', b.email, 'phone', b.phone, 'address', b.address, 'commune_id', b.commune_id,
    'employment_status_id', b.employment_status_id, 'holds_or_seeks_job', b.holds_or_seeks_job,
    'qualification_level_id', b.qualification_level_id, 'has_rqth', b.has_rqth,
    'target_rome_code', b.target_rome_code, 'justified', b.status = 'justified')"""

# The plan of a batch (%(batch)s) once its lines are written: each statement moves « create » lines elsewhere.
PLAN_SQL = [
    # The same person twice in the file: the later lines are duplicates of the first. One pass over the batch's
    # lines (a window), joined back on the unique (batch, line): a self-join on the key, under-estimated, was
    # planned as a nested loop re-aggregating the batch per line (22 s for 200,000 lines).
    """
    UPDATE imports_importline l SET outcome = 'duplicate', duplicate_of = d.first_line
    FROM (SELECT line_number, first_line
          FROM (SELECT line_number, min(line_number) OVER (PARTITION BY match_key) AS first_line
                FROM imports_importline WHERE batch_id = %(batch)s AND outcome = 'create') w
          WHERE line_number > first_line) d
    WHERE l.batch_id = %(batch)s AND l.line_number = d.line_number
    """,
    # The person is already in several dossiers of the structure: nothing is written, the line says so.
    """
    UPDATE imports_importline l SET outcome = 'duplicate', object_id = m.first_id
    FROM (SELECT identity_pseudonym, min(id) AS first_id FROM beneficiaries_beneficiary
          WHERE structure_id = %(structure)s AND identity_pseudonym <> ''
          GROUP BY identity_pseudonym HAVING count(*) > 1) m
    WHERE l.batch_id = %(batch)s AND l.outcome = 'create' AND l.match_key = m.identity_pseudonym
    """,
    # An anonymised dossier takes no new data (CONSERVATION).
    """
    UPDATE imports_importline l SET outcome = 'refused', object_id = b.id, errors = jsonb_build_array(
        jsonb_build_object('column', '', 'rule', 'CONSERVATION', 'message', %(anonymised)s))
    FROM beneficiaries_beneficiary b
    WHERE l.batch_id = %(batch)s AND l.outcome = 'create' AND b.structure_id = %(structure)s
      AND b.identity_pseudonym = l.match_key AND b.anonymised_at IS NOT NULL
    """,
    # Found once: unchanged when every cell equals the dossier, else an update (its values before kept for undo).
    f"""
    UPDATE imports_importline l
    SET object_id = b.id,
        outcome = CASE WHEN {DOSSIER_JSON} @> (l.data - '_search_name') THEN 'unchanged' ELSE 'update' END,
        before = CASE WHEN {DOSSIER_JSON} @> (l.data - '_search_name') THEN NULL ELSE (
            SELECT jsonb_object_agg(k, {DOSSIER_JSON} -> k) FROM jsonb_object_keys(l.data - '_search_name') k)
            || jsonb_build_object('_search_name', b.search_name) END
    FROM beneficiaries_beneficiary b
    WHERE l.batch_id = %(batch)s AND l.outcome = 'create' AND b.structure_id = %(structure)s
      AND b.identity_pseudonym = l.match_key
    """,
    # R4: the date de premier accueil of a dossier cannot move after the entry of one of its CEPs.
    """
    UPDATE imports_importline l SET outcome = 'refused', before = NULL, errors = jsonb_build_array(
        jsonb_build_object('column', 'date_premier_accueil', 'rule', 'R4', 'message', format(%(r4)s,
            to_char(e.first_entry, 'DD/MM/YYYY'))))
    FROM (SELECT beneficiary_id, min(entry_date) AS first_entry FROM enrolments_cep
          WHERE structure_id = %(structure)s AND status <> 'deleted' GROUP BY beneficiary_id) e
    WHERE l.batch_id = %(batch)s AND l.outcome = 'update' AND e.beneficiary_id = l.object_id
      AND (l.data ->> 'first_reception_date')::date > e.first_entry
    """,
]
ANONYMISED = (
    "Ce dossier a été anonymisé (durée de conservation) : il ne peut plus être modifié. Si la personne revient, "
    "créez-lui un nouveau dossier."
)
R4 = "La date de premier accueil ne peut pas être postérieure à l'entrée en CEP du %%s."


def _value(field: str, cast: str = "") -> str:
    return f"(l.data ->> '{field}'){cast}"


INSERT_COLUMNS = {
    "id": "l.object_id",
    "structure_id": "%(structure)s",
    "referent_id": "%(referent)s",
    "person_key": "gen_random_uuid()",
    "identity_pseudonym": "l.match_key",
    "last_name": _value("last_name"),
    "first_name": _value("first_name"),
    "birth_name": f"coalesce({_value('birth_name')}, '')",
    "sex": _value("sex"),
    "birth_date": _value("birth_date", "::date"),
    "search_name": _value("_search_name"),
    "email": f"coalesce({_value('email')}, '')",
    "phone": f"coalesce({_value('phone')}, '')",
    "address": f"coalesce({_value('address')}, '')",
    "commune_id": _value("commune_id"),
    "department_id": "co.department_id",
    "region_id": "d.region_id",
    "employment_status_id": _value("employment_status_id"),
    "holds_or_seeks_job": f"coalesce({_value('holds_or_seeks_job', '::boolean')}, true)",
    "qualification_level_id": _value("qualification_level_id"),
    "has_rqth": f"coalesce({_value('has_rqth', '::boolean')}, false)",
    "target_rome_code": f"coalesce({_value('target_rome_code')}, '')",
    "first_reception_date": _value("first_reception_date", "::date"),
    "status": "CASE WHEN l.data ? 'justified' THEN 'justified' ELSE 'incomplete' END",
    "justified_at": "CASE WHEN l.data ? 'justified' THEN now() END",
    "anonymised_at": "NULL",
    "created_at": "now()",
    "updated_at": "now()",
}
RANGE = created.CHUNK
TABLE = "beneficiaries_beneficiary"  # the lines' ids are drawn from its sequence at check
INSERT_SQL = f"""
INSERT INTO beneficiaries_beneficiary ({", ".join(INSERT_COLUMNS)})
SELECT {", ".join(INSERT_COLUMNS.values())}
FROM imports_importline l
LEFT JOIN organisations_commune co ON co.code = l.data ->> 'commune_id'
LEFT JOIN organisations_department d ON d.code = co.department_id
WHERE {RANGE} AND l.outcome = 'create'
ORDER BY l.line_number
"""


def _set_from(source: str) -> str:
    """SET clauses writing each field the JSON `source` holds, leaving the others as they are."""
    parts = []
    for field in (
        "last_name",
        "first_name",
        "birth_name",
        "email",
        "phone",
        "address",
        "target_rome_code",
        "sex",
    ):
        parts.append(f"{field} = CASE WHEN {source} ? '{field}' THEN {source} ->> '{field}' ELSE b.{field} END")
    for field in ("birth_date", "first_reception_date"):
        parts.append(
            f"{field} = CASE WHEN {source} ? '{field}' THEN ({source} ->> '{field}')::date ELSE b.{field} END"
        )
    for field in ("holds_or_seeks_job", "has_rqth"):
        parts.append(
            f"{field} = CASE WHEN {source} ? '{field}' THEN ({source} ->> '{field}')::boolean ELSE b.{field} END"
        )
    for field in ("commune_id", "employment_status_id", "qualification_level_id"):
        parts.append(f"{field} = CASE WHEN {source} ? '{field}' THEN {source} ->> '{field}' ELSE b.{field} END")
    parts.append(
        f"department_id = CASE WHEN {source} ? 'commune_id' THEN (SELECT department_id FROM organisations_commune "
        f"WHERE code = {source} ->> 'commune_id') ELSE b.department_id END"
    )
    parts.append(
        f"region_id = CASE WHEN {source} ? 'commune_id' THEN (SELECT d.region_id FROM organisations_commune co JOIN "
        f"organisations_department d ON d.code = co.department_id WHERE co.code = {source} ->> 'commune_id') "
        "ELSE b.region_id END"
    )
    parts.append(
        f"status = CASE WHEN {source} ? 'justified' THEN CASE WHEN ({source} ->> 'justified')::boolean "
        "THEN 'justified' ELSE 'incomplete' END ELSE b.status END"
    )
    parts.append(
        f"justified_at = CASE WHEN {source} ? 'justified' THEN CASE WHEN ({source} ->> 'justified')::boolean "
        "THEN coalesce(b.justified_at, now()) END ELSE b.justified_at END"
    )
    parts.append("updated_at = now()")
    return ",\n    ".join(parts)


UPDATE_SQL = f"""
UPDATE beneficiaries_beneficiary b SET
    {_set_from("l.data")},
    search_name = l.data ->> '_search_name'
FROM imports_importline l
WHERE {RANGE} AND l.outcome = 'update' AND b.id = l.object_id
"""
# The plan still holds: no dossier of a « create » line's person appeared, no « update » line's dossier changed.
STALE_SQL = f"""
SELECT l.line_number FROM imports_importline l
JOIN beneficiaries_beneficiary b ON b.structure_id = %(structure)s AND b.identity_pseudonym = l.match_key
WHERE l.batch_id = %(batch)s AND (
    (l.outcome = 'create')
    OR (l.outcome = 'update' AND b.id = l.object_id AND NOT {DOSSIER_JSON} @> (l.before - '_search_name'))
)
LIMIT 1
"""
AUDIT_SQL = """
INSERT INTO audit_auditentry (at, actor_id, actor_label, action, object_type, object_id, structure_id,
                              beneficiary_id, before, after)
SELECT now(), %(actor)s, %(actor_label)s, %(action)s, 'beneficiary', l.object_id, %(structure)s, l.object_id,
       {before}, {after}
FROM imports_importline l
WHERE {where}
ORDER BY l.line_number
"""
# Undo: the dossiers an « update » line changed get their values back; the created ones are deleted.
RESTORE_SQL = f"""
UPDATE beneficiaries_beneficiary b SET
    {_set_from("l.before")},
    search_name = coalesce(l.before ->> '_search_name', b.search_name)
FROM imports_importline l
WHERE l.batch_id = %(batch)s AND l.outcome = 'update' AND b.id = l.object_id
"""
DELETE_SQL = created.delete_sql("beneficiaries_beneficiary", "b")


# The interface every kind of file offers to cep/imports/services.py (check_file, apply, undo).
LABEL = "Bénéficiaires"
SLUG = "beneficiaires"
OBJECT_TYPE = "beneficiary"
WRITTEN = "dossiers"  # the progress bar: « Écriture des … »
UNDO_BLOCKED = "un de ses dossiers a été repris depuis ({built}). Corrigez les dossiers un par un."
CREATED_LINES = created.CREATED
UPDATED_LINES = "l.batch_id = %(batch)s AND l.outcome = 'update'"


def checker(batch) -> Checker:
    return Checker()


def plan(cursor, batch, check) -> None:
    params = {
        "batch": batch.pk,
        "structure": batch.structure_id,
        "anonymised": ANONYMISED,
        "r4": R4.replace("%%", "%"),
    }
    for sql in PLAN_SQL:
        cursor.execute(sql, params)


def stale_line(cursor, params) -> int | None:
    return created.first_stale_line(cursor, STALE_SQL, params)


def apply_chunk(cursor, params) -> int:
    cursor.execute(INSERT_SQL, params)
    done = cursor.rowcount
    cursor.execute(UPDATE_SQL, params)
    return done + cursor.rowcount


def _audit(cursor, params, action: str, where: str, before: str, after: str) -> None:
    cursor.execute(AUDIT_SQL.format(before=before, after=after, where=where), {**params, "action": action})


def audit_apply(cursor, params) -> None:
    _audit(cursor, params, "import_create_beneficiary", CREATED_LINES, "NULL", "l.data - '_search_name'")
    _audit(
        cursor,
        params,
        "import_update_beneficiary",
        UPDATED_LINES,
        "l.before - '_search_name'",
        "l.data - '_search_name'",
    )


def undo(cursor, params) -> None:
    _audit(cursor, params, "undo_import_create_beneficiary", CREATED_LINES, "l.data - '_search_name'", "NULL")
    _audit(
        cursor,
        params,
        "undo_import_update_beneficiary",
        UPDATED_LINES,
        "l.data - '_search_name'",
        "l.before - '_search_name'",
    )
    cursor.execute(RESTORE_SQL, params)
    cursor.execute(DELETE_SQL, params)


def built_on(batch) -> str | None:
    """What was done since the import on one of its dossiers (a CEP, an event, a change, a later import), or None."""
    lines = "l.batch_id = %(batch)s AND l.outcome IN ('create', 'update')"
    checks = created.reference_checks(
        Beneficiary, lines, skip=lambda related: related._meta.app_label == "beneficiaries"
    )
    checks.append(
        (
            created.probe(
                f"SELECT 1 FROM audit_auditentry a WHERE a.beneficiary_id = l.object_id AND {created.AFTER} "
                "AND a.action NOT IN ('import_create_beneficiary', 'import_update_beneficiary')",
                lines,
            ),
            "modification du dossier",
        )
    )
    # No index on imports_importline.object_id: the two sets of dossiers are intersected (hashed or sorted, never
    # one rescan of a batch per line of the other); the later batches are the structure's (by its index).
    checks.append(
        (
            f"SELECT 1 FROM (SELECT l.object_id FROM imports_importline l WHERE {lines} "
            "INTERSECT SELECT o.object_id FROM imports_importline o JOIN imports_importbatch ob ON ob.id = o.batch_id "
            "WHERE ob.structure_id = %(structure)s AND ob.id > %(batch)s AND ob.status IN ('applied', 'queued', "
            "'running') AND o.outcome = 'update'"
            ") later LIMIT 1",
            "import plus récent",
        )
    )
    return created.first_found(
        checks, {"batch": batch.pk, "structure": batch.structure_id, "applied": batch.applied_at}
    )
