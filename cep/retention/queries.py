"""Which dossiers the retention job anonymises, in SQL (docs/decisions.md, « Durée de conservation »).

Last contact (« activité ») of a dossier = the latest of: its date de premier accueil, its creation and its
justification; the dates of its events (system events excepted: « Suppression de dispositif » is no contact); the
proposal dates of its services; the entry, initial-interview, phase-3 entry, end and last-manifestation dates of
its CEPs (deleted ones included). A dossier is anonymised when that date is strictly before the cutoff
(today − N months, calendar months clamped like R9: exactly N months ago is kept, one day more is not) and it has
no CEP in progress. Every test below reads an index (event_benef_date_idx, service_benef_idx, cep_benef_idx).
"""

import datetime
from dataclasses import dataclass, field

from django.db import connection
from django.utils import timezone

from cep.common.dates import add_months
from cep.enrolments.workflow import OPEN_STATUSES

from . import rules

# Aliases: b = beneficiary. Parameters: cutoff (date), cutoff_at (aware datetime, local midnight), open (statuses).
# Written as ANDed NOT EXISTS (never NOT (… OR …), where a NULL justification date would make the whole test NULL):
# PostgreSQL turns them into anti-joins.
TO_ANONYMISE = """b.anonymised_at IS NULL
    AND b.first_reception_date < %(cutoff)s AND b.created_at < %(cutoff_at)s
    AND (b.justified_at IS NULL OR b.justified_at < %(cutoff_at)s)
    AND NOT EXISTS (SELECT 1 FROM events_event e
                    WHERE e.beneficiary_id = b.id AND NOT e.is_system AND e.date >= %(cutoff)s)
    AND NOT EXISTS (SELECT 1 FROM offers_service sv WHERE sv.beneficiary_id = b.id AND sv.proposed_on >= %(cutoff)s)
    AND NOT EXISTS (SELECT 1 FROM enrolments_cep c
                    WHERE c.beneficiary_id = b.id
                      AND (c.status = ANY(%(open)s)
                           OR greatest(c.entry_date, c.initial_interview_date, c.phase3_entry_date, c.end_date,
                                       c.last_manifestation_date) >= %(cutoff)s))"""

# The date of the last contact, for the audit row (same definition as above).
LAST_ACTIVITY = """greatest(
    b.first_reception_date, (b.created_at AT TIME ZONE %(tz)s)::date, (b.justified_at AT TIME ZONE %(tz)s)::date,
    (SELECT max(e.date) FROM events_event e WHERE e.beneficiary_id = b.id AND NOT e.is_system),
    (SELECT max(sv.proposed_on) FROM offers_service sv WHERE sv.beneficiary_id = b.id),
    (SELECT max(greatest(c.entry_date, c.initial_interview_date, c.phase3_entry_date, c.end_date,
                         c.last_manifestation_date)) FROM enrolments_cep c WHERE c.beneficiary_id = b.id)
)"""

SENSITIVE_ACCESS_EXPIRED = "at < now() - make_interval(months => %(log_months)s)"


@dataclass
class Plan:
    """What a run does (or would do): the cutoff, dossiers per structure, RQTH log rows past 12 months."""

    on: datetime.date
    months: int
    cutoff: datetime.date
    per_structure: list[tuple[int, str, int]] = field(default_factory=list)  # (id, name, dossiers)
    expired_log_rows: int = 0

    @property
    def dossiers(self) -> int:
        return sum(n for _, _, n in self.per_structure)


def cutoff_for(on: datetime.date, months: int) -> datetime.date:
    return add_months(on, -months)


def params(on: datetime.date, months: int) -> dict:
    cutoff = cutoff_for(on, months)
    cutoff_at = timezone.make_aware(datetime.datetime.combine(cutoff, datetime.time.min))
    return {
        "cutoff": cutoff,
        "cutoff_at": cutoff_at,
        "open": [status.value for status in OPEN_STATUSES],
        "tz": timezone.get_current_timezone_name(),
        "months": months,
        "log_months": rules.SENSITIVE_ACCESS_MONTHS,
    }


def plan(*, on: datetime.date, months: int) -> Plan:
    """The counts of a run, read without writing anything (the dry run, and the real run's announcement)."""
    values = params(on, months)
    result = Plan(on=on, months=months, cutoff=values["cutoff"])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.id, s.name, count(*) FROM beneficiaries_beneficiary b "
            "JOIN organisations_structure s ON s.id = b.structure_id "
            f"WHERE {TO_ANONYMISE} GROUP BY s.id, s.name ORDER BY s.name, s.id",
            values,
        )
        result.per_structure = [(pk, name, n) for pk, name, n in cursor.fetchall()]
        cursor.execute(f"SELECT count(*) FROM audit_sensitiveaccess WHERE {SENSITIVE_ACCESS_EXPIRED}", values)
        result.expired_log_rows = cursor.fetchone()[0]
    return result
