"""Importing events (« Événements »: entretiens, ateliers, appels…): the template, the check, the plan, apply and undo.

One line is one event on the dossier of a person already in the structure, found by the identity pseudonym as in
the other files. Each row is checked alone by the events' own rule function (cep.events.services.validate_event:
required fields, date not in the future, comment, contexts, intervener of the structure, referentials in force);
the dossier (none, several, anonymised) and an identical event already recorded (« inchangé ») are found by
set-based SQL. Events do not belong to a CEP: the confirmation recomputes, in one statement, the R9 clock of the
CEPs in progress of the persons concerned, as recording an event by hand does (cep/enrolments/clock.py).
"""

import datetime

from cep.accounts.models import User
from cep.beneficiaries import identity
from cep.beneficiaries.models import Beneficiary
from cep.common import dates
from cep.common.errors import RuleViolation
from cep.common.text import model_max_lengths
from cep.events.models import DeliveryMode, Event, GroupMode
from cep.events.queries import MANIFESTATION_SQL
from cep.events.services import validate_event
from cep.organisations.models import Structure
from cep.referentials.models import EventContext, EventDirection, EventNature, ReceptionPlace, StaffFunction

from . import ceps, created
from . import columns as c
from .columns import CellError, Column

LABEL = "Événements"
SLUG = "evenements"
WRITTEN = "événements"  # the progress bar: « Écriture des … »
OBJECT_TYPE = "event"
UNDO_BLOCKED = "un de ses événements a été repris depuis ({built}). Corrigez les événements un par un."

COLUMNS = (
    *ceps.IDENTITY_COLUMNS,
    Column("date", "Date", True, "jj/mm/aaaa, pas dans le futur.", "02/10/2025", ("date_evenement",)),
    Column("contexte_primaire", "Contexte primaire", True, "Code ou libellé du référentiel (cep…).", "cep"),
    Column("contexte_secondaire", "Contexte secondaire", False, "Code ou libellé, différent du primaire.", ""),
    Column("contexte_tertiaire", "Contexte tertiaire", False, "Code ou libellé.", ""),
    Column("sens", "Sens", True, "Code ou libellé du référentiel.", "beneficiaire_vers_structure"),
    Column("nature", "Nature", True, "Code ou libellé du référentiel.", "entretien_individuel"),
    Column("lieu", "Lieu d'accueil", True, "Code ou libellé du référentiel.", "siege", ("lieu_d_accueil",)),
    Column("fonction", "Fonction", True, "Code ou libellé du référentiel.", "conseiller"),
    Column(
        "intervenant",
        "Intervenant",
        False,
        "Identifiant de connexion d'un utilisateur de la structure (vide : la personne qui confirme l'import).",
        "",
    ),
    Column("commentaire", "Commentaire", False, "255 caractères au plus.", ""),
    Column("venu_sans_rendez_vous", "Venu sans rendez-vous", False, "oui/non (non par défaut).", "non"),
    Column("modalite", "Modalité", False, "sur_site (défaut) ou a_distance.", "sur_site"),
    Column("format", "Format", False, "individuel (défaut) ou collectif.", "individuel"),
)
REFERENTIALS = {
    "contexte_primaire": ("primary_context", EventContext),
    "contexte_secondaire": ("secondary_context", EventContext),
    "contexte_tertiaire": ("tertiary_context", EventContext),
    "sens": ("direction", EventDirection),
    "nature": ("nature", EventNature),
    "lieu": ("place", ReceptionPlace),
    "fonction": ("function", StaffFunction),
}
COLUMN_OF = {field: column for column, (field, _) in REFERENTIALS.items()} | {
    "date": "date",
    "intervener": "intervenant",
    "comment": "commentaire",
}
CHOICES = {
    "modalite": ("delivery_mode", DeliveryMode),
    "format": ("group_mode", GroupMode),
}


class Checker:
    """Checks rows of one file for one structure: referentials and the structure's users loaded once."""

    def __init__(self, *, structure: Structure, today: datetime.date | None = None):
        self.structure = structure
        self.today = today or dates.today()
        self.key = identity.identity_key()
        self.max_lengths = model_max_lengths(Beneficiary)
        self.lookups = {name: c.referential_lookup(model) for name, (_, model) in REFERENTIALS.items()}
        self.values = {name: {v.code: v for v in model.objects.all()} for name, (_, model) in REFERENTIALS.items()}
        self.users = {u.username.lower(): u for u in User.objects.filter(structure=structure)}
        # The person who will confirm is not known yet: a stand-in of the structure passes the intervener's rule.
        self.confirming = User(structure=structure)
        self.labels = {column.name: column.label for column in COLUMNS}

    def check(self, index: dict[str, int], cells: list[str]) -> tuple[str, dict | None, list[dict]]:
        errors: list[dict] = []
        data: dict = {}

        def cell(name):
            position = index.get(name)
            return cells[position] if position is not None and position < len(cells) else ""

        def fail(column, error: CellError):
            errors.append({"column": column, "rule": error.rule, "message": error.message})

        key, names = ceps.read_identity(cell, fail, self.labels, self.max_lengths, self.key)
        event = Event(structure=self.structure, intervener=self.confirming)
        raw = cell("date").strip()
        if raw:
            try:
                event.date = c.date(raw, self.labels["date"])
            except CellError as error:
                fail("date", error)
        for name, (field, _) in REFERENTIALS.items():
            raw = cell(name).strip()
            if raw:
                try:
                    setattr(event, field, self.values[name][c.referential(raw, self.lookups[name], self.labels[name])])
                except CellError as error:
                    fail(name, error)
        login = cell("intervenant").strip()
        if login:
            user = self.users.get(login.lower())
            if user is None:
                fail("intervenant", CellError("EVENEMENT", f"Aucun utilisateur « {login[:60]} » dans la structure."))
            else:
                event.intervener = user
        event.comment = cell("commentaire").strip()
        try:
            event.walk_in = bool(c.boolean(cell("venu_sans_rendez_vous"), self.labels["venu_sans_rendez_vous"]))
        except CellError as error:
            fail("venu_sans_rendez_vous", error)
        for name, (field, choices) in CHOICES.items():
            raw = c.header_key(cell(name))
            if raw:
                if raw not in choices.values:
                    shown = ", ".join(choices.values)
                    fail(name, CellError("SAISIE", f"{self.labels[name]} : {shown} attendu (lu : « {raw[:40]} »)."))
                else:
                    setattr(event, field, raw)
        if errors:
            return "", None, errors
        try:
            validate_event(event)  # the events' own rules (EVENEMENT), as recording one by hand
        except RuleViolation as violation:
            fail(COLUMN_OF.get(violation.field or "", ""), CellError(violation.rule, violation.message))
            return "", None, errors
        data = {
            "date": event.date.isoformat(),
            **{f"{field}_id": getattr(event, f"{field}_id") for field, _ in REFERENTIALS.values()},
            "comment": event.comment,
            "walk_in": event.walk_in,
            "delivery_mode": event.delivery_mode,
            "group_mode": event.group_mode,
        }
        if login:
            data["intervener_id"] = event.intervener.pk
        data["last_name"], data["first_name"] = names["last_name"], names["first_name"]
        return key, data, []


def checker(batch) -> Checker:
    return Checker(structure=Structure.objects.select_related("network").get(pk=batch.structure_id))


EVENT_JSON = """jsonb_build_object(
    'date', to_char(e.date, 'YYYY-MM-DD'), 'primary_context_id', e.primary_context_id,
    'secondary_context_id', e.secondary_context_id, 'tertiary_context_id', e.tertiary_context_id,
    'direction_id', e.direction_id, 'nature_id', e.nature_id, 'place_id', e.place_id, 'function_id', e.function_id,
    'comment', e.comment, 'walk_in', e.walk_in, 'delivery_mode', e.delivery_mode, 'group_mode', e.group_mode,
    'intervener_id', e.intervener_id)"""
LINE_EVENT = "(l.data - 'last_name' - 'first_name' - 'beneficiary_id')"
BENEFICIARY_ID = ceps.BENEFICIARY_ID

PLAN_SQL = [
    *ceps.PLAN_SQL[:3],  # the dossier: none, several, anonymised (the same statements as the CEP file)
    # The same event twice in the file: the later lines are duplicates of the first (one window pass).
    f"""
    UPDATE imports_importline l SET outcome = 'duplicate', duplicate_of = d.first_line
    FROM {ceps.first_of("match_key, data - 'last_name' - 'first_name' - 'beneficiary_id'")}
    WHERE l.batch_id = %(batch)s AND l.line_number = d.line_number
    """,
    # The same event already on the dossier (every cell of the line equal): nothing to do.
    f"""
    UPDATE imports_importline l SET outcome = 'unchanged', object_id = m.id
    FROM (SELECT l.line_number, min(e.id) AS id FROM imports_importline l
          JOIN events_event e ON e.beneficiary_id = {BENEFICIARY_ID} AND e.structure_id = %(structure)s
               AND e.date = (l.data ->> 'date')::date AND NOT e.is_system AND {EVENT_JSON} @> {LINE_EVENT}
          WHERE l.batch_id = %(batch)s AND l.outcome = 'create' GROUP BY l.line_number) m
    WHERE l.batch_id = %(batch)s AND l.line_number = m.line_number
    """,
]


def plan(cursor, batch, check) -> None:
    for sql in PLAN_SQL:
        cursor.execute(sql, {"batch": batch.pk, "structure": batch.structure_id, **ceps.PLAN_PARAMS})


def _id(field: str) -> str:
    return f"l.data ->> '{field}'"


CONTEXTS = (
    "ARRAY[l.data ->> 'primary_context_id', l.data ->> 'secondary_context_id', l.data ->> 'tertiary_context_id']"
)
INSERT_COLUMNS = {
    "id": "l.object_id",
    "beneficiary_id": BENEFICIARY_ID,
    "structure_id": "%(structure)s",
    "date": "(l.data ->> 'date')::date",
    "primary_context_id": _id("primary_context_id"),
    "secondary_context_id": _id("secondary_context_id"),
    "tertiary_context_id": _id("tertiary_context_id"),
    "direction_id": _id("direction_id"),
    "nature_id": _id("nature_id"),
    "place_id": _id("place_id"),
    "function_id": _id("function_id"),
    "intervener_id": "coalesce((l.data ->> 'intervener_id')::bigint, %(actor)s)",
    "comment": _id("comment"),
    "walk_in": "(l.data ->> 'walk_in')::boolean",
    "delivery_mode": _id("delivery_mode"),
    "group_mode": _id("group_mode"),
    "is_cep": f"coalesce('cep' = ANY({CONTEXTS}), false)",  # as Event.save() computes it
    "is_system": "false",
    "created_by_id": "%(actor)s",
    "created_at": "now()",
    "updated_at": "now()",
}
RANGE = ceps.RANGE
TABLE = "events_event"  # the lines' ids are drawn from its sequence at check
INSERT_SQL = f"""
INSERT INTO events_event ({", ".join(INSERT_COLUMNS)})
SELECT {", ".join(INSERT_COLUMNS.values())}
FROM imports_importline l
WHERE {RANGE} AND l.outcome = 'create'
ORDER BY l.line_number
"""
# R9: the clock of the CEPs in progress of the persons of the batch, recomputed from their manifestations
# (cep/enrolments/clock.py: the latest of the entry, the last reopening and the latest manifestation since the entry).
CLOCK_SQL = f"""
UPDATE enrolments_cep c SET last_manifestation_date = GREATEST(c.entry_date, c.reopened_on, (
    SELECT max(e.date) FROM events_event e WHERE e.beneficiary_id = c.beneficiary_id
    AND e.structure_id = c.structure_id AND e.date >= c.entry_date AND {MANIFESTATION_SQL}))
WHERE c.structure_id = %(structure)s AND c.status IN ('phase2', 'phase3') AND c.beneficiary_id IN (
    SELECT {BENEFICIARY_ID} FROM imports_importline l WHERE l.batch_id = %(batch)s AND l.outcome = 'create')
"""
# The plan still holds: each dossier is still the person's and not anonymised, its intervener still in the
# structure, and the same event did not appear.
STALE_SQL = f"""
SELECT l.line_number FROM imports_importline l
LEFT JOIN beneficiaries_beneficiary b ON b.id = {BENEFICIARY_ID}
WHERE l.batch_id = %(batch)s AND l.outcome = 'create' AND (
    b.id IS NULL OR b.identity_pseudonym <> l.match_key OR b.anonymised_at IS NOT NULL
    OR (l.data ? 'intervener_id' AND NOT EXISTS (SELECT 1 FROM accounts_user u
        WHERE u.id = (l.data ->> 'intervener_id')::bigint AND u.structure_id = %(structure)s))
    OR EXISTS (SELECT 1 FROM events_event e WHERE e.beneficiary_id = b.id AND e.structure_id = %(structure)s
               AND e.date = (l.data ->> 'date')::date AND NOT e.is_system AND {EVENT_JSON} @> {LINE_EVENT})
)
ORDER BY l.line_number LIMIT 1
"""
AUDIT_SQL = created.audit_sql("events_event", "e", "event")
SNAPSHOT = created.snapshot("e")
DELETE_SQL = created.delete_sql("events_event", "e")


def stale_line(cursor, params) -> int | None:
    return created.first_stale_line(cursor, STALE_SQL, params)


def apply_chunk(cursor, params) -> int:
    # An intervener removed from the structure since the check: the batch fails whole.
    return created.insert_chunk(cursor, INSERT_SQL, params, ceps.STALE_WRITE)


def audit_apply(cursor, params) -> None:
    cursor.execute(AUDIT_SQL.format(before="NULL", after=SNAPSHOT), {**params, "action": "import_record_event"})
    cursor.execute(CLOCK_SQL, params)


def undo(cursor, params) -> None:
    cursor.execute(AUDIT_SQL.format(before=SNAPSHOT, after="NULL"), {**params, "action": "undo_import_record_event"})
    cursor.execute(DELETE_SQL, params)
    cursor.execute(CLOCK_SQL, params)  # the clocks move back, as deleting an event by hand does


def built_on(batch) -> str | None:
    """What was done since the import on one of its events (a service proposed with it, a change…), or None."""
    return created.built_on(
        batch, Event, object_type="event", import_action="import_record_event", changed="modification de l'événement"
    )
