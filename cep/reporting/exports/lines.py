"""The monthly export, computed in PostgreSQL and streamed (docs/regles-cep.md §8).

For a scope (a structure, an operator's structures, or the nation) and a month M, each file of the contract gets:

- creation lines: the objects of M (the month's population, cep/reporting/population.py: entries, services
  proposed during a CEP and exits of M), and any object never sent although earlier than M (a retroactive entry,
  an automatic exit dated a past month…) once the scope has transmitted a first batch;
- modification lines: objects already transmitted in a batch of an earlier month whose line, recomputed now,
  has another SHA-256 than the one recorded (a correction: nothing silently lost);
- suppression lines: objects transmitted earlier that no longer exist (CEP deleted, exit cancelled by a
  reopening, service of a deleted CEP); the line repeats the last transmitted content.

"Transmitted" means lines of batches of earlier months marked « Transmis » or « Accusé de réception », except
lines the receiver rejected (they go out again). Only candidate objects are recomputed: those of M, those whose
row (or the person's) changed since the last transmitted batch was produced (one day of margin), and rejected
ones; a recomputed line whose hash is unchanged produces nothing.

Everything is one SQL statement per file (INSERT … SELECT into reporting_exportline), with line numbers in a
deterministic order (movement, reference date, internal id). The file is then streamed from the lines with
COPY … TO STDOUT (files.py): no Python loop over rows, no timestamp inside, so a month regenerated from
unchanged data gives byte-identical files.
"""

import datetime

from django.db import connection

from cep.common.months import month_bounds

from ..population import (
    CEP_CLOSED,
    CEP_COUNTS,
    ENTERED,
    EXITED,
    SERVICE_CEP,
    SERVICE_IN_A_CEP,
    SERVICE_OF_MONTH,
    scope_sql,
)
from . import pseudonyms
from .contract import DELIMITER, ContractVersion, Resource
from .models import BatchStatus, ExportBatch
from .scopes import ExportScope

SENT_STATUSES = (BatchStatus.TRANSMITTED, BatchStatus.ACKNOWLEDGED)
CHANGE_MARGIN = datetime.timedelta(days=1)
NEVER = datetime.datetime(9999, 1, 1, tzinfo=datetime.UTC)


def _date(sql: str) -> str:
    return f"to_char({sql}, 'YYYY-MM-DD')"


def _bool(sql: str) -> str:
    return f"CASE WHEN {sql} THEN 'true' ELSE 'false' END"


P = pseudonyms.sql_expression
# SQL of each contract field (aliases: c = CEP, b = beneficiary, s = structure, sv = service).
FIELD_SQL = {
    "identifiant_cep": P("'cep:' || c.id"),
    "identifiant_service": P("'service:' || sv.id"),
    "identifiant_personne": P("b.person_key::text"),
    # Stored on the dossier (cep/beneficiaries/identity.py), kept by the retention: a past month regenerates
    # identically after the identity was cleared.
    "identifiant_personne_identite": "b.identity_pseudonym",
    "code_structure": "c.structure_id::text",
    "code_operateur": "s.operator_id::text",
    "code_reseau": "s.network_id",
    "code_region_residence": "b.region_id",
    "code_departement_residence": "b.department_id",
    "annee_mois_naissance": "to_char(b.birth_date, 'YYYY-MM')",
    "sexe": "b.sex",
    "situation_professionnelle": "b.employment_status_id",
    "niveau_qualification": "b.qualification_level_id",
    "rqth": _bool("b.has_rqth"),
    "date_premier_accueil": _date("b.first_reception_date"),
    "aiguilleur": "c.orientation_source_id",
    "motif_sollicitation": "c.request_reason_id",
    "phase_entree": "c.entry_phase::text",
    "date_entretien_initialisation": _date("c.initial_interview_date"),
    "date_entree": _date("c.entry_date"),
    "date_entree_phase3": _date("c.phase3_entry_date"),
    "type_projet": "c.project_type_id",
    # Only a well-formed ROME code leaves: the column is typed by hand and must never carry free text.
    "code_rome_vise": "CASE WHEN b.target_rome_code ~ '^[A-N][0-9]{4}$' THEN b.target_rome_code END",
    "acte_service": "sv.service_act_id",
    "date_service": _date("sv.proposed_on"),
    "date_fin": _date("c.end_date"),
    "motif_sortie": "c.exit_reason_id",
    "phase_sortie": "c.ended_in_phase::text",
    "sortie_automatique": _bool("c.auto_closed"),
    "type_projet_sortie": "c.project_type_id",
}
SERVICE_FIELD_SQL = {"code_structure": "sv.structure_id::text"}

# Per resource, the candidate objects (read the module docstring):
# - `month`: the objects of M in the scope (population.py), read once with their whole row;
# - `changed`: ids of the scope's objects whose row (or the person's…) changed since the last transmitted batch;
#   the rejected lines of earlier batches are added to them. `{scope}` is the scope filter of the alias.
_CANDIDATES = {
    "entrees": {
        "month": ENTERED,
        "changed": """
        SELECT c.id FROM enrolments_cep c WHERE {scope} AND c.updated_at > %(since)s
        UNION SELECT c.id FROM enrolments_cep c JOIN beneficiaries_beneficiary b ON b.id = c.beneficiary_id
        WHERE {scope} AND b.updated_at > %(since)s""",
    },
    "services": {
        "month": f"{SERVICE_IN_A_CEP} AND {SERVICE_OF_MONTH}",
        "changed": """
        SELECT sv.id FROM offers_service sv WHERE {scope} AND sv.updated_at > %(since)s
        UNION SELECT sv.id FROM offers_service sv JOIN enrolments_cep c ON c.id = sv.cep_id
        WHERE {scope} AND c.updated_at > %(since)s""",
    },
    "sorties": {
        "month": EXITED,
        "changed": "SELECT c.id FROM enrolments_cep c WHERE {scope} AND c.updated_at > %(since)s",
    },
}
_CURRENT = {
    # resource: (object id, reference date, main table, joins, filter of the current rows among the candidates)
    "entrees": (
        "c.id",
        "c.entry_date",
        "enrolments_cep c",
        """JOIN beneficiaries_beneficiary b ON b.id = c.beneficiary_id
        JOIN organisations_structure s ON s.id = c.structure_id""",
        f"{CEP_COUNTS} AND c.entry_date <= %(end)s",
    ),
    "services": (
        "sv.id",
        "sv.proposed_on",
        "offers_service sv",
        f"""JOIN enrolments_cep c ON {SERVICE_CEP}
        JOIN beneficiaries_beneficiary b ON b.id = sv.beneficiary_id""",
        "sv.proposed_on <= %(end)s",
    ),
    "sorties": (
        "c.id",
        "c.end_date",
        "enrolments_cep c",
        "JOIN beneficiaries_beneficiary b ON b.id = c.beneficiary_id",
        f"{CEP_CLOSED} AND c.end_date <= %(end)s",
    ),
}


def payload_sql(resource: Resource) -> str:
    overrides = SERVICE_FIELD_SQL if resource.name == "services" else {}
    parts = [f"coalesce({overrides.get(name, FIELD_SQL[name])}, '')" for name in resource.fields]
    return f" || '{DELIMITER}' || ".join(parts)


def candidates_sql(resource: Resource, *, national: bool = False) -> str:
    """The candidate rows, each read once: the scope's objects of M, then the changed or rejected others."""
    _, _, table, _, _ = _CURRENT[resource.name]
    alias = table.split()[1]
    spec = _CANDIDATES[resource.name]
    scope = scope_sql(alias, national=national)
    of_month = f"{scope} AND {spec['month']}"
    return f"""
        SELECT {alias}.* FROM {table} WHERE {of_month}
        UNION ALL
        SELECT {alias}.* FROM {table} WHERE {alias}.id IN (
            {spec["changed"].format(scope=scope)}
            UNION SELECT l.object_id FROM reporting_exportline l
            WHERE l.batch_id = ANY(%(previous)s) AND l.resource = %(resource)s AND l.state = 'rejected'
        ) AND ({of_month}) IS NOT TRUE"""


def current_rows_sql(resource: Resource) -> str:
    """The current line content of each candidate object (`cand`, rows of the main table) that can give a line.

    A candidate earlier than the first transmitted month and never transmitted gives no line whatever its
    content (see `moves`): it is left out before its line is computed. After a first send, most changed rows
    (an event recorded on an old CEP…) are of that kind.
    """
    object_id, ref_date, table, joins, where = _CURRENT[resource.name]
    alias = table.split()[1]
    # The payload is computed once in a lateral subquery (OFFSET 0 keeps PostgreSQL from inlining it, which
    # would evaluate it again for its hash).
    return (
        f"SELECT {object_id} AS object_id, {ref_date} AS ref_date, x.payload, "
        f"encode(sha256(convert_to(x.payload, 'UTF8')), 'hex') AS line_hash "
        f"FROM cand {alias} {joins} CROSS JOIN LATERAL (SELECT {payload_sql(resource)} AS payload OFFSET 0) x "
        f"WHERE {where} AND ({ref_date} >= %(first)s OR {object_id} IN (SELECT object_id FROM prev))"
    )


def lines_sql(resource: Resource, *, national: bool = False) -> str:
    """The lines of one file: (line_number, movement, object_id, line_hash, payload)."""
    return f"""
    WITH cand AS MATERIALIZED (
        {candidates_sql(resource, national=national)}
    ), prev AS MATERIALIZED (
        SELECT DISTINCT ON (l.object_id) l.object_id, l.movement, l.line_hash, l.payload
        FROM reporting_exportline l JOIN reporting_exportbatch bt ON bt.id = l.batch_id
        WHERE l.batch_id = ANY(%(previous)s) AND l.resource = %(resource)s AND l.state <> 'rejected'
          AND l.object_id IN (SELECT id FROM cand)
        ORDER BY l.object_id, bt.month DESC, bt.id DESC
    ), cur AS MATERIALIZED (  -- a fence: each line and its hash computed once
        {current_rows_sql(resource)}
    ), joined AS (
        SELECT k.object_id AS cur_id, p.object_id AS prev_id, k.ref_date, k.payload, k.line_hash,
               p.movement AS prev_movement, p.line_hash AS prev_hash, p.payload AS prev_payload
        FROM cur k FULL JOIN prev p ON p.object_id = k.object_id
    ), moves AS (
        SELECT CASE WHEN cur_id IS NULL THEN 'suppression'
                    WHEN prev_id IS NULL OR prev_movement = 'suppression' THEN 'creation'
                    ELSE 'modification' END AS movement,
               coalesce(cur_id, prev_id) AS object_id, ref_date,
               coalesce(payload, prev_payload) AS payload, coalesce(line_hash, prev_hash) AS line_hash
        FROM joined
        WHERE (cur_id IS NOT NULL AND prev_id IS NULL AND ref_date >= %(first)s)
           OR (cur_id IS NOT NULL AND prev_movement = 'suppression')
           OR (cur_id IS NOT NULL AND prev_hash <> line_hash)
           OR (cur_id IS NULL AND prev_movement <> 'suppression')
    )
    SELECT row_number() OVER (
               ORDER BY CASE movement WHEN 'creation' THEN 1 WHEN 'modification' THEN 2 ELSE 3 END,
                        ref_date NULLS LAST, object_id
           ) AS line_number,
           movement, object_id, line_hash, payload
    FROM moves"""


def query_params(scope: ExportScope, month: datetime.date, resource: str) -> dict:
    """Parameters of `lines_sql`: bounds, scope, earlier transmitted batches and the change threshold."""
    start, end = month_bounds(month)
    previous = list(
        scope.batches()
        .filter(month__lt=start, status__in=SENT_STATUSES)
        .order_by("month", "id")
        .values_list("pk", "month", "generated_at")
    )
    first = min((m for _, m, _ in previous), default=start)
    since = max((g for _, _, g in previous if g), default=None)
    return {
        "structures": scope.structure_ids(),
        "start": start,
        "end": end,
        "previous": [pk for pk, _, _ in previous],
        "first": first,
        "since": (since - CHANGE_MARGIN) if since else NEVER,
        "resource": resource,
        **pseudonyms.sql_params(),
    }


# Settings of the export's transaction (SET LOCAL: no effect outside a transaction), measured on a national month
# of the 1,000,000-beneficiary base (docs/benchmarks.md):
# - enough memory for the month's hashes and sort;
# - the rows read by primary key (beneficiaries of the month's CEPs…) are in memory, not on a spinning disk: with
#   the default random_page_cost (4) PostgreSQL hashes a million beneficiaries instead of fetching the month's;
# - no JIT: compiling the payload expressions costs more than it saves on a month's rows.
EXPORT_SETTINGS = {"work_mem": "128MB", "random_page_cost": "1.1", "jit": "off"}


def tune(cursor) -> None:
    """Apply EXPORT_SETTINGS to the current transaction."""
    for name, value in EXPORT_SETTINGS.items():
        cursor.execute(f"SET LOCAL {name} = '{value}'")


def insert_lines(batch: ExportBatch, version: ContractVersion) -> dict[str, dict[str, int]]:
    """Compute and record the lines of every file of the batch; returns counts per file and movement."""
    scope = ExportScope.of(batch)
    counts = {}
    with connection.cursor() as cursor:
        tune(cursor)
        for resource in version.resources.values():
            params = query_params(scope, batch.month, resource.name)
            params.update(batch=batch.pk, object_type=resource.object_type)
            # Counted from the inserted rows themselves (RETURNING), not by reading the lines again.
            cursor.execute(
                "WITH inserted AS (INSERT INTO reporting_exportline (batch_id, resource, line_number, movement, "
                "object_type, object_id, line_hash, payload, state, return_code, return_message) "
                "SELECT %(batch)s, %(resource)s, line_number, movement, %(object_type)s, object_id, line_hash, "
                f"payload, 'new', '', '' FROM ({lines_sql(resource, national=scope.national)}) q RETURNING movement) "
                "SELECT movement, count(*) FROM inserted GROUP BY movement",
                params,
            )
            counts[resource.name] = dict(cursor.fetchall())
    return counts
