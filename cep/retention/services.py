"""The daily retention run: anonymise dossiers without contact for N months, purge the RQTH access log.

Batched SQL, never a Python loop over rows: each batch (1,000 dossiers by default) is one transaction of four
statements: choose and lock the batch (keyset on the id), clear the dossiers and their free texts (with the
orientations sent from or received into them: their level-1 summary and their messages), delete their
action plans (with their versions) and the copies of the documents handed to them, and write one audit row per
dossier (one statement), then redact the history of the batch's people through the SQL function
`audit_redact_beneficiary` (migration retention 0001). `updated_at` is not touched: nothing the monthly file or
the indicators read changes, so neither has anything to recompute.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction

from cep.common.dates import today
from cep.common.errors import RuleViolation

from . import queries, rules

BATCH = 1000
LOG_BATCH = 10_000


def retention_months(months: int | str | None = None) -> int:
    """The period: the argument, else settings.CEP_RETENTION_MONTHS (24 by default); at least 12 months."""
    value = months if months is not None else getattr(settings, "CEP_RETENTION_MONTHS", rules.DEFAULT_MONTHS)
    try:
        number = int(str(value).strip())
    except ValueError:
        raise RuleViolation("CONSERVATION", f"Durée de conservation invalide : « {value} » (un nombre de mois).")
    if number < rules.MIN_MONTHS:
        raise RuleViolation(
            "CONSERVATION", f"La durée de conservation est d'au moins {rules.MIN_MONTHS} mois (reçu : {number})."
        )
    return number


@dataclass
class Outcome:
    anonymised: int = 0
    history_rows_redacted: int = 0
    log_rows_purged: int = 0


_CHOOSE = f"""
SELECT b.id FROM beneficiaries_beneficiary b
WHERE b.id > %(after)s AND {queries.TO_ANONYMISE}
ORDER BY b.id LIMIT %(limit)s
FOR UPDATE OF b SKIP LOCKED
"""


def _neutral_sql() -> tuple[str, str, dict]:
    """(SET list, cleared-fields array, parameters) for the dossier's columns of rules.NEUTRAL_BENEFICIARY."""
    sets, cleared, values = [], [], {}
    for column, value in rules.NEUTRAL_BENEFICIARY.items():
        values[f"n_{column}"] = value
        sets.append(f"{column} = %(n_{column})s")
        cleared.append(f"CASE WHEN b.{column} IS DISTINCT FROM %(n_{column})s THEN '{column}' END")
    return ", ".join(sets), f"array_remove(ARRAY[{', '.join(cleared)}]::text[], NULL)", values


def _anonymise_sql() -> tuple[str, dict]:
    sets, cleared, values = _neutral_sql()
    values["n_search_name"] = rules.NEUTRAL_SEARCH_NAME
    ev, sv = rules.FREE_TEXTS["events_event"][0], rules.FREE_TEXTS["offers_service"][0]
    prescriber, referent = rules.FREE_TEXTS["enrolments_cep"]
    ap = rules.FREE_TEXTS["appointments_appointment"][0]
    sql = f"""
WITH old AS (
    SELECT b.id, b.structure_id, {cleared} AS cleared, {queries.LAST_ACTIVITY} AS last_activity
    FROM beneficiaries_beneficiary b WHERE b.id = ANY(%(ids)s)
), ev_old AS (
    SELECT beneficiary_id, count(*) AS n FROM events_event
    WHERE beneficiary_id = ANY(%(ids)s) AND NOT is_system AND {ev} <> '' GROUP BY beneficiary_id
), sv_old AS (
    SELECT beneficiary_id, count(*) AS n FROM offers_service
    WHERE beneficiary_id = ANY(%(ids)s) AND {sv} <> '' GROUP BY beneficiary_id
), cep_old AS (
    SELECT beneficiary_id, count(*) FILTER (WHERE {prescriber} <> '') AS prescribers,
           count(*) FILTER (WHERE {referent} <> '') AS referents
    FROM enrolments_cep WHERE beneficiary_id = ANY(%(ids)s) GROUP BY beneficiary_id
), ev AS (
    UPDATE events_event SET {ev} = '' WHERE beneficiary_id = ANY(%(ids)s) AND NOT is_system AND {ev} <> ''
), sv AS (
    UPDATE offers_service SET {sv} = '' WHERE beneficiary_id = ANY(%(ids)s) AND {sv} <> ''
), cp AS (
    UPDATE enrolments_cep SET {prescriber} = '', {referent} = ''
    WHERE beneficiary_id = ANY(%(ids)s) AND ({prescriber} <> '' OR {referent} <> '')
), ap AS (
    UPDATE appointments_appointment SET {ap} = '' WHERE beneficiary_id = ANY(%(ids)s) AND {ap} <> ''
), orr AS (
    UPDATE orientations_orientation SET summary = '{{}}'::jsonb, comment = '', answer_comment = ''
    WHERE beneficiary_id = ANY(%(ids)s) OR target_beneficiary_id = ANY(%(ids)s)
), ore AS (
    UPDATE orientations_orientationentry SET comment = ''
    WHERE comment <> '' AND orientation_id IN (
        SELECT id FROM orientations_orientation
        WHERE beneficiary_id = ANY(%(ids)s) OR target_beneficiary_id = ANY(%(ids)s))
), pl AS (
    SELECT id FROM plans_actionplan WHERE beneficiary_id = ANY(%(ids)s)
), pl_docs AS (
    DELETE FROM plans_issueddocument WHERE beneficiary_id = ANY(%(ids)s)
), pl_actions AS (
    DELETE FROM plans_planaction WHERE step_id IN (SELECT s.id FROM plans_planstep s JOIN pl ON pl.id = s.plan_id)
), pl_steps AS (
    DELETE FROM plans_planstep WHERE plan_id IN (SELECT id FROM pl)
), pl_trainings AS (
    DELETE FROM plans_trainingcourse WHERE plan_id IN (SELECT id FROM pl)
), pl_services AS (
    DELETE FROM plans_plannedservice WHERE plan_id IN (SELECT id FROM pl)
), pl_lines AS (
    DELETE FROM plans_financingline WHERE plan_id IN (SELECT id FROM pl)
), pl_versions AS (
    DELETE FROM plans_planversion WHERE plan_id IN (SELECT id FROM pl)
), pl_plans AS (
    DELETE FROM plans_actionplan WHERE id IN (SELECT id FROM pl)
), bn AS (
    UPDATE beneficiaries_beneficiary SET {sets}, search_name = %(n_search_name)s, anonymised_at = now()
    WHERE id = ANY(%(ids)s)
)
INSERT INTO audit_auditentry (at, actor_id, actor_label, action, object_type, object_id, structure_id,
                              beneficiary_id, before, after)
SELECT now(), NULL, 'Système', 'anonymise_beneficiary', 'beneficiary', o.id, o.structure_id, o.id,
       jsonb_build_object('cleared_fields', to_jsonb(o.cleared),
                          'event_comments', coalesce(ev_old.n, 0),
                          'service_comments', coalesce(sv_old.n, 0),
                          'cep_prescriber_names', coalesce(cep_old.prescribers, 0),
                          'cep_referent_names', coalesce(cep_old.referents, 0)),
       jsonb_build_object('anonymised', true, 'last_activity', o.last_activity::text,
                          'retention_months', %(months)s)
FROM old o
LEFT JOIN ev_old ON ev_old.beneficiary_id = o.id
LEFT JOIN sv_old ON sv_old.beneficiary_id = o.id
LEFT JOIN cep_old ON cep_old.beneficiary_id = o.id
"""
    return sql, values


def anonymise(
    *, on: datetime.date | None = None, months: int | None = None, batch: int = BATCH, progress: Callable = None
) -> tuple[int, int]:
    """Anonymise every dossier without contact since `on` − `months`; returns (dossiers, history rows redacted).

    Each batch commits on its own: an interrupted run keeps the finished batches, and the next run (idempotent:
    `anonymised_at` is set) takes the rest.
    """
    on, months = on or today(), retention_months(months)
    values = queries.params(on, months)
    sql, neutral = _anonymise_sql()
    done = redacted = 0
    after = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_CHOOSE, {**values, "after": after, "limit": batch})
            ids = [pk for (pk,) in cursor.fetchall()]
            if not ids:
                break
            cursor.execute(sql, {**values, **neutral, "ids": ids})
            cursor.execute(
                "SELECT coalesce(sum(audit_redact_beneficiary(id)), 0) FROM unnest(%(ids)s::bigint[]) AS t(id)",
                {"ids": ids},
            )
            redacted += cursor.fetchone()[0]
        done, after = done + len(ids), ids[-1]
        if progress:
            progress(len(ids))
    return done, redacted


def purge_sensitive_access(*, batch: int = LOG_BATCH, progress: Callable = None) -> int:
    """Delete the RQTH access-log rows older than 12 months (SQL function audit_purge_sensitive_access)."""
    purged = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT audit_purge_sensitive_access(%s)", [batch])
            count = cursor.fetchone()[0]
        purged += count
        if progress and count:
            progress(count)
        if count < batch:
            return purged


def run(*, on: datetime.date | None = None, months: int | None = None, progress: Callable = None) -> Outcome:
    """The daily run (command and background job): anonymise, then purge the RQTH access log."""
    anonymised, redacted = anonymise(on=on, months=months, progress=progress)
    return Outcome(anonymised, redacted, purge_sensitive_access())
