"""Importing services (« Services »: offers proposed to a person): the template, the check, the plan, apply, undo.

One line is one offer of the structure's catalogue proposed to a person who already has a dossier in the
structure (identity pseudonym, as in the other files), on a day. Each row is checked by the offers' own rule
function (cep.offers.services.validate_proposal: the offer is in the catalogue, open that day, the day not in the
future, the comment). Set-based SQL then finds the dossier, an identical service already recorded (« inchangé »),
the event of that day the proposal belongs to (a proposal is made during an event: import the events first), and
the CEP the service counts for (docs/import.md):

- with `date_entree_cep`: the person's CEP entered that day, which must cover the day of the proposal;
- without it: the CEP that covered the day of the proposal (entered on or before it, not closed before it), if any
  — the same CEP that « Proposer » attaches to a proposal made that day (cep/enrolments/receivers.py).
"""

import datetime

from django.db.models import Q

from cep.beneficiaries import identity
from cep.beneficiaries.models import Beneficiary
from cep.common import dates
from cep.common.errors import RuleViolation
from cep.common.text import model_max_lengths
from cep.offers.models import Service, ServiceOffer
from cep.offers.services import validate_proposal
from cep.organisations.models import Structure

from . import ceps, created
from . import columns as c
from .columns import CellError, Column

LABEL = "Services"
SLUG = "services"
WRITTEN = "services"  # the progress bar: « Écriture des … »
OBJECT_TYPE = "service"
UNDO_BLOCKED = "un de ses services a été repris depuis ({built}). Corrigez les services un par un."

COLUMNS = (
    *ceps.IDENTITY_COLUMNS,
    Column(
        "date_proposition",
        "Date de proposition",
        True,
        "jj/mm/aaaa : un événement de la personne ce jour-là doit exister (importez d'abord les événements).",
        "02/10/2025",
        ("date_de_proposition", "date"),
    ),
    Column("offre", "Offre", True, "Nom de l'offre, tel qu'il figure au catalogue de la structure.", "Offre CEP"),
    Column("commentaire", "Commentaire", False, "255 caractères au plus.", ""),
    Column(
        "date_entree_cep",
        "Date d'entrée du CEP",
        False,
        "jj/mm/aaaa : le CEP de la personne entré ce jour-là (vide : le CEP en cours à la date de proposition).",
        "",
        ("date_d_entree_du_cep",),
    ),
)
COLUMN_OF = {"offer": "offre", "proposed_on": "date_proposition", "comment": "commentaire"}


class Checker:
    """Checks rows for one structure: its catalogue (own and regional offers) loaded once."""

    def __init__(self, *, structure: Structure, today: datetime.date | None = None):
        self.structure = structure
        self.today = today or dates.today()
        self.key = identity.identity_key()
        self.max_lengths = model_max_lengths(Beneficiary)
        self.offers: dict[str, list[ServiceOffer]] = {}
        usable = Q(structure=structure) | Q(structure__isnull=True, region_id=structure.region_id)
        for offer in ServiceOffer.objects.filter(usable).select_related("service_act"):
            self.offers.setdefault(c.header_key(offer.name), []).append(offer)
        self.labels = {column.name: column.label for column in COLUMNS}

    def check(self, index: dict[str, int], cells: list[str]) -> tuple[str, dict | None, list[dict]]:
        errors: list[dict] = []

        def cell(name):
            position = index.get(name)
            return cells[position] if position is not None and position < len(cells) else ""

        def fail(column, error: CellError):
            errors.append({"column": column, "rule": error.rule, "message": error.message})

        key, names = ceps.read_identity(cell, fail, self.labels, self.max_lengths, self.key)
        days = {}
        for name in ("date_proposition", "date_entree_cep"):
            raw = cell(name).strip()
            if raw:
                try:
                    days[name] = c.date(raw, self.labels[name])
                except CellError as error:
                    fail(name, error)
            elif name == "date_proposition":
                fail(name, CellError("SAISIE", "Renseignez la date de proposition."))
        name = cell("offre").strip()
        found = self.offers.get(c.header_key(name), [])
        offer = None
        if not name:
            fail("offre", CellError("SAISIE", "Renseignez le nom de l'offre."))
        elif not found:
            fail("offre", CellError("OFFRE", f"Aucune offre « {name[:80]} » au catalogue de la structure."))
        elif len(found) > 1:
            fail("offre", CellError("OFFRE", f"Plusieurs offres du catalogue s'appellent « {name[:80]} »."))
        else:
            offer = found[0]
        comment = cell("commentaire").strip()
        if errors:
            return "", None, errors
        try:
            validate_proposal(
                offer=offer, structure=self.structure, proposed_on=days["date_proposition"], comment=comment
            )
        except RuleViolation as violation:
            fail(COLUMN_OF.get(violation.field or "", ""), CellError(violation.rule, violation.message))
            return "", None, errors
        data = {
            "offer_id": offer.pk,
            "service_act_id": offer.service_act_id,
            "is_cep_level1": offer.is_cep_level1,
            "proposed_on": days["date_proposition"].isoformat(),
            "comment": comment,
            "cep_entry_date": days["date_entree_cep"].isoformat() if "date_entree_cep" in days else None,
            "last_name": names["last_name"],
            "first_name": names["first_name"],
        }
        return key, data, []


def checker(batch) -> Checker:
    return Checker(structure=Structure.objects.get(pk=batch.structure_id))


BENEFICIARY_ID = ceps.BENEFICIARY_ID
DAY = "(l.data ->> 'proposed_on')::date"
CEP_ENTRY = "(l.data ->> 'cep_entry_date')::date"
SAME_SERVICE = f"""s.beneficiary_id = {BENEFICIARY_ID} AND s.structure_id = %(structure)s
    AND s.offer_id = (l.data ->> 'offer_id')::bigint AND s.proposed_on = {DAY} AND s.comment = l.data ->> 'comment'"""
NO_EVENT = (
    "Aucun événement le %s sur ce dossier : un service se propose au cours d'un événement ; importez d'abord le "
    "fichier des événements."
)
NO_CEP = "Aucun CEP de cette personne entré le %s dans la structure."
OUTSIDE_CEP = "La date de proposition est hors du CEP entré le %s (du %s au %s)."


def _refuse(column: str, rule: str, message: str) -> str:
    return f"jsonb_build_array(jsonb_build_object('column', '{column}', 'rule', '{rule}', 'message', {message}))"


PLAN_SQL = [
    *ceps.PLAN_SQL[:3],  # the dossier: none, several, anonymised
    # The same proposal twice in the file (one window pass).
    f"""
    UPDATE imports_importline l SET outcome = 'duplicate', duplicate_of = d.first_line
    FROM {ceps.first_of("match_key, data ->> 'offer_id', data ->> 'proposed_on', data ->> 'comment'")}
    WHERE l.batch_id = %(batch)s AND l.line_number = d.line_number
    """,
    # Already on the dossier: nothing to do.
    f"""
    UPDATE imports_importline l SET outcome = 'unchanged', object_id = m.id
    FROM (SELECT l.line_number, min(s.id) AS id FROM imports_importline l JOIN offers_service s ON {SAME_SERVICE}
          WHERE l.batch_id = %(batch)s AND l.outcome = 'create' GROUP BY l.line_number) m
    WHERE l.batch_id = %(batch)s AND l.line_number = m.line_number
    """,
    # The event of the day (the latest, as « événement en cours »), or refused.
    f"""
    UPDATE imports_importline l SET
        data = CASE WHEN e.id IS NULL THEN l.data ELSE l.data || jsonb_build_object('event_id', e.id) END,
        outcome = CASE WHEN e.id IS NULL THEN 'refused' ELSE 'create' END,
        errors = CASE WHEN e.id IS NULL
            THEN {_refuse("date_proposition", "EVENEMENT", "format(%(no_event)s, to_char(" + DAY + ", 'DD/MM/YYYY'))")}
            END
    FROM imports_importline l2 LEFT JOIN LATERAL (
        SELECT e.id FROM events_event e WHERE e.beneficiary_id = (l2.data ->> 'beneficiary_id')::bigint
        AND e.structure_id = %(structure)s AND e.date = (l2.data ->> 'proposed_on')::date AND NOT e.is_system
        ORDER BY e.id DESC LIMIT 1) e ON true
    WHERE l.batch_id = %(batch)s AND l.outcome = 'create' AND l2.batch_id = l.batch_id
      AND l2.line_number = l.line_number
    """,
    # The CEP named by its entry date: it must exist and cover the day of the proposal.
    f"""
    UPDATE imports_importline l SET
        data = CASE WHEN c.id IS NOT NULL AND {DAY} BETWEEN c.entry_date AND coalesce(c.end_date, {DAY})
               THEN l.data || jsonb_build_object('cep_id', c.id) ELSE l.data END,
        outcome = CASE WHEN c.id IS NOT NULL AND {DAY} BETWEEN c.entry_date AND coalesce(c.end_date, {DAY})
                  THEN 'create' ELSE 'refused' END,
        errors = CASE WHEN c.id IS NULL
            THEN {
        _refuse("date_entree_cep", "DOSSIER", "format(%(no_cep)s, to_char(" + CEP_ENTRY + ", 'DD/MM/YYYY'))")
    }
            WHEN NOT {DAY} BETWEEN c.entry_date AND coalesce(c.end_date, {DAY})
            THEN {
        _refuse(
            "date_entree_cep",
            "DOSSIER",
            "format(%(outside)s, to_char(c.entry_date, 'DD/MM/YYYY'), to_char(c.entry_date, 'DD/MM/YYYY'), "
            "coalesce(to_char(c.end_date, 'DD/MM/YYYY'), 'aujourd''hui'))",
        )
    } END
    FROM imports_importline l2 LEFT JOIN enrolments_cep c ON c.beneficiary_id = (l2.data ->> 'beneficiary_id')::bigint
        AND c.structure_id = %(structure)s AND c.status <> 'deleted'
        AND c.entry_date = (l2.data ->> 'cep_entry_date')::date
    WHERE l.batch_id = %(batch)s AND l.outcome = 'create' AND l.data ->> 'cep_entry_date' IS NOT NULL
      AND l2.batch_id = l.batch_id AND l2.line_number = l.line_number
    """,
    # Without it: the CEP that covered the day, if any (the latest entered).
    """
    UPDATE imports_importline l SET data = l.data || jsonb_build_object('cep_id', c.id)
    FROM imports_importline l2 JOIN LATERAL (
        SELECT c.id FROM enrolments_cep c WHERE c.beneficiary_id = (l2.data ->> 'beneficiary_id')::bigint
        AND c.structure_id = %(structure)s AND c.status <> 'deleted'
        AND (l2.data ->> 'proposed_on')::date BETWEEN c.entry_date AND coalesce(c.end_date, 'infinity'::date)
        ORDER BY c.entry_date DESC LIMIT 1) c ON true
    WHERE l.batch_id = %(batch)s AND l.outcome = 'create' AND l.data ->> 'cep_entry_date' IS NULL
      AND l2.batch_id = l.batch_id AND l2.line_number = l.line_number
    """,
]
PLAN_PARAMS = {**ceps.PLAN_PARAMS, "no_event": NO_EVENT, "no_cep": NO_CEP, "outside": OUTSIDE_CEP}


def plan(cursor, batch, check) -> None:
    for sql in PLAN_SQL:
        cursor.execute(sql, {"batch": batch.pk, "structure": batch.structure_id, **PLAN_PARAMS})


INSERT_COLUMNS = {
    "id": "l.object_id",
    "beneficiary_id": BENEFICIARY_ID,
    "structure_id": "%(structure)s",
    "offer_id": "(l.data ->> 'offer_id')::bigint",
    "service_act_id": "l.data ->> 'service_act_id'",
    "is_cep_level1": "(l.data ->> 'is_cep_level1')::boolean",
    "proposed_on": DAY,
    "proposed_by_id": "%(actor)s",
    "event_id": "(l.data ->> 'event_id')::bigint",
    "cep_id": "(l.data ->> 'cep_id')::bigint",
    "comment": "l.data ->> 'comment'",
    "created_at": "now()",
    "updated_at": "now()",
}
RANGE = ceps.RANGE
TABLE = "offers_service"  # the lines' ids are drawn from its sequence at check
INSERT_SQL = f"""
INSERT INTO offers_service ({", ".join(INSERT_COLUMNS)})
SELECT {", ".join(INSERT_COLUMNS.values())}
FROM imports_importline l
WHERE {RANGE} AND l.outcome = 'create'
ORDER BY l.line_number
"""
STALE_SQL = f"""
SELECT l.line_number FROM imports_importline l
LEFT JOIN beneficiaries_beneficiary b ON b.id = {BENEFICIARY_ID}
WHERE l.batch_id = %(batch)s AND l.outcome = 'create' AND (
    b.id IS NULL OR b.identity_pseudonym <> l.match_key OR b.anonymised_at IS NOT NULL
    OR NOT EXISTS (SELECT 1 FROM events_event e WHERE e.id = (l.data ->> 'event_id')::bigint)
    OR (l.data ? 'cep_id' AND NOT EXISTS (SELECT 1 FROM enrolments_cep c WHERE c.id = (l.data ->> 'cep_id')::bigint
                                        AND c.status <> 'deleted'))
    OR EXISTS (SELECT 1 FROM offers_service s WHERE {SAME_SERVICE})
)
ORDER BY l.line_number LIMIT 1
"""
AUDIT_SQL = created.audit_sql("offers_service", "s", "service")
SNAPSHOT = created.snapshot("s")
DELETE_SQL = created.delete_sql("offers_service", "s")


def stale_line(cursor, params) -> int | None:
    return created.first_stale_line(cursor, STALE_SQL, params)


def apply_chunk(cursor, params) -> int:
    # An event or a CEP removed since the check: the batch fails whole.
    return created.insert_chunk(cursor, INSERT_SQL, params, ceps.STALE_WRITE)


def audit_apply(cursor, params) -> None:
    cursor.execute(AUDIT_SQL.format(before="NULL", after=SNAPSHOT), {**params, "action": "import_propose_offer"})


def undo(cursor, params) -> None:
    cursor.execute(AUDIT_SQL.format(before=SNAPSHOT, after="NULL"), {**params, "action": "undo_import_propose_offer"})
    cursor.execute(DELETE_SQL, params)


def built_on(batch) -> str | None:
    """What was done since the import on one of its services (a plan refers to it, a document, a change…)."""
    return created.built_on(
        batch, Service, object_type="service", import_action="import_propose_offer", changed="modification du service"
    )
