"""Refreshing the monthly aggregate tables (cep/reporting/indicator_models.py), PostgreSQL, set-based.

One month is recomputed by a few INSERT … SELECT … GROUP BY statements in one transaction: its rows are
deleted and rebuilt from the base tables (CEPs, services, dossiers, structures). Nothing is read row by row.

Incremental refresh: the months to recompute are found from the rows changed since the last refresh
(``updated_at`` of CEPs, services and dossiers after the watermark), plus the months a changed CEP counted in
at the previous refresh (CepLedger: a reopened CEP loses its exit month, a cancelled phase 3 its month).
The new watermark is the start of the refresh, or the start of the oldest transaction still running in the
database if earlier: a row saved by a transaction that commits during the refresh has an ``updated_at``
after that instant, so the next refresh sees it.

The CEPs in progress at month end are the cumulated flows (entries − moves − exits per phase) over the
months of each structure (MonthlyStock): a change in month M recomputes the stock of M and after only.
"""

import datetime
import time
from collections.abc import Callable, Iterable

from django.db import connection, transaction
from django.utils import timezone

from cep.common.dates import today
from cep.common.months import month_end, month_start, months_between

from .indicator_models import RefreshState

LOCK_KEY = 72_014_2019  # pg advisory lock: one refresh at a time

Progress = Callable[[int, int, datetime.date | None], None]


class RefreshBusy(Exception):
    """Another refresh holds the lock."""


# Duration histogram buckets (lower bound, in days): exact to 91, weekly to 364, 30-day to 1094, then one.
DURATION_BUCKET_SQL = """CASE
    WHEN {d} < 92 THEN {d}
    WHEN {d} < 365 THEN 92 + 7 * (({d} - 92) / 7)
    WHEN {d} < 1095 THEN 365 + 30 * (({d} - 365) / 30)
    ELSE 1095 END"""

_LOC = "st.operator_id, st.network_id, st.region_id, st.department_id"
_LOC_COLS = "month, structure_id, operator_id, network_id, region_id, department_id"

# The CEPs that count in the month: entered, moved to phase 3 or ended in it. Deleted CEPs never count.
_MONTH_CEPS = """
CREATE TEMP TABLE ind_month_cep ON COMMIT DROP AS
SELECT c.id, c.structure_id, c.entry_date, c.entry_phase, c.phase2_entry_date, c.phase2_end_date,
       c.phase3_entry_date, c.end_date, c.ended_in_phase, c.exit_reason_id, c.request_reason_id,
       c.project_type_id, b.sex, b.birth_date, b.employment_status_id, b.qualification_level_id, b.has_rqth
FROM enrolments_cep c
JOIN beneficiaries_beneficiary b ON b.id = c.beneficiary_id
WHERE c.status <> 'deleted'
  AND (c.entry_date BETWEEN %(s)s AND %(e)s
       OR c.phase3_entry_date BETWEEN %(s)s AND %(e)s
       OR c.end_date BETWEEN %(s)s AND %(e)s)
"""

# Entries and public reached. Level 1: the people who received a CEP level-1 service in the month (once per
# person and structure); levels 2 and 3: the CEPs entered in the month, by entry phase.
_PEOPLE = """
CREATE TEMP TABLE ind_month_people ON COMMIT DROP AS
SELECT l1.structure_id, 1 AS level, b.sex::varchar AS sex, b.birth_date, b.employment_status_id,
       b.qualification_level_id, b.has_rqth, l1.first_on AS on_date, NULL::varchar AS request_reason_id,
       NULL::varchar AS project_type
FROM (SELECT structure_id, beneficiary_id, min(proposed_on) AS first_on
      FROM offers_service
      WHERE is_cep_level1 AND proposed_on BETWEEN %(s)s AND %(e)s
      GROUP BY structure_id, beneficiary_id) l1
JOIN beneficiaries_beneficiary b ON b.id = l1.beneficiary_id
UNION ALL
SELECT structure_id, entry_phase, sex, birth_date, employment_status_id, qualification_level_id, has_rqth,
       entry_date, request_reason_id, COALESCE(project_type_id, 'non_renseigne')
FROM ind_month_cep WHERE entry_date BETWEEN %(s)s AND %(e)s
"""

# One pass over the month's people, one hash aggregate per breakdown (GROUPING SETS), unpivoted afterwards.
_PUBLIC = f"""
INSERT INTO reporting_monthlycount ({_LOC_COLS}, family, level, code, value)
SELECT %(s)s, a.structure_id, {_LOC}, a.family, a.level, a.code, a.n
FROM (
    SELECT g.structure_id, g.level, g.n,
           CASE WHEN g.gb = 0 THEN 'age_band' WHEN g.gs = 0 THEN 'sex' WHEN g.ge = 0 THEN 'employment_status'
                WHEN g.gq = 0 THEN 'qualification_level' WHEN g.gr = 0 THEN 'rqth'
                WHEN g.gm = 0 THEN 'request_reason' WHEN g.gp = 0 THEN 'project_type' ELSE 'entries' END AS family,
           COALESCE(g.band, g.sex, g.employment, g.qualification, g.rqth, g.reason, g.project, 'total') AS code
    FROM (
        SELECT p.structure_id, p.level, count(*) AS n,
               x.band, p.sex, x.employment, x.qualification, x.rqth, p.request_reason_id AS reason,
               p.project_type AS project,
               GROUPING(x.band) AS gb, GROUPING(p.sex) AS gs, GROUPING(x.employment) AS ge,
               GROUPING(x.qualification) AS gq, GROUPING(x.rqth) AS gr, GROUPING(p.request_reason_id) AS gm,
               GROUPING(p.project_type) AS gp
        FROM ind_month_people p
        CROSS JOIN LATERAL (SELECT
            CASE WHEN y < 26 THEN 'moins_26' WHEN y <= 35 THEN '26_35' WHEN y <= 45 THEN '36_45'
                 WHEN y <= 55 THEN '46_55' ELSE '56_plus' END AS band,
            COALESCE(p.employment_status_id, 'non_renseigne') AS employment,
            COALESCE(p.qualification_level_id, 'non_renseigne') AS qualification,
            CASE WHEN p.has_rqth THEN 'oui' ELSE 'non' END AS rqth
            FROM (SELECT date_part('year', age(p.on_date, p.birth_date)) AS y) yy) x
        GROUP BY GROUPING SETS (
            (p.structure_id, p.level), (p.structure_id, p.level, x.band), (p.structure_id, p.level, p.sex),
            (p.structure_id, p.level, x.employment), (p.structure_id, p.level, x.qualification),
            (p.structure_id, p.level, x.rqth), (p.structure_id, p.level, p.request_reason_id),
            (p.structure_id, p.level, p.project_type))
    ) g
) a
JOIN organisations_structure st ON st.id = a.structure_id
WHERE NOT (a.family IN ('request_reason', 'project_type') AND a.code = 'total')
"""

_MOVES_AND_EXITS = f"""
INSERT INTO reporting_monthlycount ({_LOC_COLS}, family, level, code, value)
SELECT %(s)s, a.structure_id, {_LOC}, a.family, a.level, a.code, a.n
FROM (
    SELECT c.structure_id, v.family, v.level, v.code, count(*) AS n
    FROM ind_month_cep c
    CROSS JOIN LATERAL (VALUES
        ('phase3_moves', 3, CASE WHEN c.phase2_entry_date IS NOT NULL
                                  AND c.phase3_entry_date BETWEEN %(s)s AND %(e)s THEN 'total' END),
        ('exits', c.ended_in_phase, CASE WHEN c.end_date BETWEEN %(s)s AND %(e)s THEN c.exit_reason_id END)
    ) AS v(family, level, code)
    WHERE v.code IS NOT NULL
    GROUP BY c.structure_id, v.family, v.level, v.code
) a
JOIN organisations_structure st ON st.id = a.structure_id
"""

# Services: a CEP level-1 service outside a CEP is level 1; a service proposed during a CEP (whatever its event
# context) counts in the CEP's phase on that day. Services of a deleted CEP only count if they are level 1.
_SERVICES = f"""
INSERT INTO reporting_monthlycount ({_LOC_COLS}, family, level, code, value)
SELECT %(s)s, a.structure_id, {_LOC}, 'services', a.level, a.service_act_id, a.n
FROM (
    SELECT sv.structure_id, CASE
        WHEN c.id IS NULL THEN 1
        WHEN c.phase3_entry_date IS NOT NULL AND sv.proposed_on >= c.phase3_entry_date THEN 3
        ELSE 2 END AS level, sv.service_act_id, count(*) AS n
    FROM offers_service sv
    LEFT JOIN enrolments_cep c ON c.id = sv.cep_id AND c.status <> 'deleted'
    WHERE sv.proposed_on BETWEEN %(s)s AND %(e)s AND (c.id IS NOT NULL OR sv.is_cep_level1)
    GROUP BY 1, 2, 3
) a
JOIN organisations_structure st ON st.id = a.structure_id
"""

# Durations in days (end − start) of the CEPs that ended in the month: per phase and for the whole CEP.
_DURATIONS = f"""
INSERT INTO reporting_monthlyduration ({_LOC_COLS}, phase, bucket, value)
SELECT %(s)s, a.structure_id, {_LOC}, a.phase, a.bucket, a.n
FROM (
    SELECT c.structure_id, d.phase, b.bucket, count(*) AS n
    FROM ind_month_cep c
    CROSS JOIN LATERAL (VALUES
        (0, c.end_date - c.entry_date),
        (2, CASE WHEN c.phase2_entry_date IS NOT NULL
                 THEN COALESCE(c.phase2_end_date, c.end_date) - c.phase2_entry_date END),
        (3, CASE WHEN c.ended_in_phase = 3 THEN c.end_date - c.phase3_entry_date END)
    ) AS d(phase, days)
    CROSS JOIN LATERAL (SELECT {DURATION_BUCKET_SQL.format(d="d.days")} AS bucket) b
    WHERE c.end_date BETWEEN %(s)s AND %(e)s AND d.days IS NOT NULL
    GROUP BY c.structure_id, d.phase, b.bucket
) a
JOIN organisations_structure st ON st.id = a.structure_id
"""

_STOCK_FLOWS = f"""
INSERT INTO reporting_monthlystock ({_LOC_COLS}, entries_phase2, entries_phase3, moves_phase3, exits_phase2,
                                    exits_phase3, in_progress_phase2, in_progress_phase3)
SELECT %(s)s, c.structure_id, {_LOC},
       count(*) FILTER (WHERE c.entry_date BETWEEN %(s)s AND %(e)s AND c.entry_phase = 2),
       count(*) FILTER (WHERE c.entry_date BETWEEN %(s)s AND %(e)s AND c.entry_phase = 3),
       count(*) FILTER (WHERE c.phase2_entry_date IS NOT NULL AND c.phase3_entry_date BETWEEN %(s)s AND %(e)s),
       count(*) FILTER (WHERE c.end_date BETWEEN %(s)s AND %(e)s AND c.ended_in_phase = 2),
       count(*) FILTER (WHERE c.end_date BETWEEN %(s)s AND %(e)s AND c.ended_in_phase = 3),
       0, 0
FROM ind_month_cep c
JOIN organisations_structure st ON st.id = c.structure_id
GROUP BY c.structure_id, {_LOC}
"""

# Every structure that ever had a CEP gets a stock row for each month up to the current one (returns the first
# month filled, whose stock must then be cumulated).
_STOCK_FILL = f"""
WITH filled AS (
INSERT INTO reporting_monthlystock ({_LOC_COLS}, entries_phase2, entries_phase3, moves_phase3, exits_phase2,
                                    exits_phase3, in_progress_phase2, in_progress_phase3)
SELECT g.m::date, f.structure_id, {_LOC}, 0, 0, 0, 0, 0, 0, 0
FROM (SELECT structure_id, min(month) AS first FROM reporting_monthlystock GROUP BY structure_id) f
JOIN organisations_structure st ON st.id = f.structure_id
CROSS JOIN LATERAL generate_series(f.first, %(current)s::date, interval '1 month') AS g(m)
WHERE NOT EXISTS (SELECT 1 FROM reporting_monthlystock x WHERE x.structure_id = f.structure_id AND x.month = g.m)
RETURNING month
)
SELECT min(month) FROM filled
"""

_STOCK_CUMULATE = """
UPDATE reporting_monthlystock t
SET in_progress_phase2 = x.p2, in_progress_phase3 = x.p3
FROM (SELECT id, month,
             sum(entries_phase2 - moves_phase3 - exits_phase2) OVER w AS p2,
             sum(entries_phase3 + moves_phase3 - exits_phase3) OVER w AS p3
      FROM reporting_monthlystock
      WINDOW w AS (PARTITION BY structure_id ORDER BY month)) x
WHERE t.id = x.id AND x.month >= %(since)s
  AND (t.in_progress_phase2 <> x.p2 OR t.in_progress_phase3 <> x.p3)
"""

# Evolution of the offer: CEP offers (mesure nationale CEP) active in each month, from their dates.
_OFFERS = """
INSERT INTO reporting_monthlyoffers (month, structure_id, operator_id, network_id, region_id, department_id,
                                     active, new)
SELECT g.m::date, o.structure_id, st.operator_id, COALESCE(st.network_id, ''),
       COALESCE(st.region_id, o.region_id), COALESCE(st.department_id, ''),
       count(*), count(*) FILTER (WHERE date_trunc('month', o.start_date) = g.m)
FROM offers_serviceoffer o
LEFT JOIN organisations_structure st ON st.id = o.structure_id
CROSS JOIN LATERAL generate_series(date_trunc('month', o.start_date),
                                   LEAST(date_trunc('month', COALESCE(o.end_date, %(current)s)), %(current)s),
                                   interval '1 month') AS g(m)
WHERE o.national_measure = 'cep'
GROUP BY 1, 2, 3, 4, 5, 6
"""

_LEDGER_UPSERT = """
INSERT INTO reporting_cepledger (cep_id, entry_month, phase3_month, end_month, counted)
SELECT id, date_trunc('month', entry_date)::date, date_trunc('month', phase3_entry_date)::date,
       date_trunc('month', end_date)::date, status <> 'deleted'
FROM enrolments_cep {where}
ON CONFLICT (cep_id) DO UPDATE SET entry_month = EXCLUDED.entry_month, phase3_month = EXCLUDED.phase3_month,
    end_month = EXCLUDED.end_month, counted = EXCLUDED.counted
"""

# Months touched by the rows changed since the watermark (see the module docstring).
_TOUCHED = """
WITH changed AS (SELECT id, entry_date, phase3_entry_date, end_date FROM enrolments_cep WHERE updated_at > %(wm)s),
benef AS (SELECT id FROM beneficiaries_beneficiary WHERE updated_at > %(wm)s)
SELECT DISTINCT date_trunc('month', d)::date FROM (
    SELECT unnest(ARRAY[c.entry_date, c.phase3_entry_date, c.end_date, l.entry_month, l.phase3_month, l.end_month])
    FROM changed c LEFT JOIN reporting_cepledger l ON l.cep_id = c.id
    UNION ALL
    SELECT sv.proposed_on FROM offers_service sv JOIN changed c ON c.id = sv.cep_id
    UNION ALL
    SELECT proposed_on FROM offers_service WHERE updated_at > %(wm)s
    UNION ALL
    SELECT c.entry_date FROM enrolments_cep c JOIN benef b ON b.id = c.beneficiary_id
    UNION ALL
    SELECT sv.proposed_on FROM offers_service sv JOIN benef b ON b.id = sv.beneficiary_id WHERE sv.is_cep_level1
) AS t(d)
WHERE d IS NOT NULL
ORDER BY 1
"""

# The new watermark: now, or the start of the oldest other transaction still open on this database.
_WATERMARK = """
SELECT LEAST(clock_timestamp(), (SELECT min(xact_start) FROM pg_stat_activity
                     WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL))
"""


def refresh_month(month: datetime.date, cursor=None) -> None:
    """Recompute every aggregate of one month (its rows are replaced), in the current transaction."""
    month = month_start(month)
    params = {"s": month, "e": month_end(month)}
    with transaction.atomic():
        cur = cursor or connection.cursor()
        try:
            cur.execute("SET LOCAL work_mem = '64MB'")  # hash aggregates in memory
            cur.execute("SET LOCAL jit = off")  # short statements: compiling costs more than it saves
            cur.execute("DELETE FROM reporting_monthlycount WHERE month = %(s)s", params)
            cur.execute("DELETE FROM reporting_monthlyduration WHERE month = %(s)s", params)
            cur.execute("DELETE FROM reporting_monthlystock WHERE month = %(s)s", params)
            cur.execute("DROP TABLE IF EXISTS ind_month_cep, ind_month_people")
            # The month's rows are few against the million dossiers: look each dossier up by its key rather
            # than hashing or scanning the whole table.
            cur.execute("SET LOCAL enable_hashjoin = off")
            cur.execute("SET LOCAL enable_mergejoin = off")
            cur.execute(_MONTH_CEPS, params)
            cur.execute(_PEOPLE, params)
            cur.execute("SET LOCAL enable_hashjoin = on")
            cur.execute("SET LOCAL enable_mergejoin = on")
            cur.execute(_PUBLIC, params)
            cur.execute(_MOVES_AND_EXITS, params)
            cur.execute(_SERVICES, params)
            cur.execute(_DURATIONS, params)
            cur.execute(_STOCK_FLOWS, params)
            cur.execute("DROP TABLE ind_month_cep, ind_month_people")
        finally:
            if cursor is None:
                cur.close()


def _finish(cur, since: datetime.date | None) -> None:
    """Stock rows up to the current month, cumulated stocks from `since`, offers (all months: few rows)."""
    current = month_start(today())
    cur.execute(_STOCK_FILL, {"current": current})
    filled = cur.fetchone()[0]
    since = min(filter(None, [since, filled]), default=None)
    if since is not None:
        cur.execute(_STOCK_CUMULATE, {"since": since})
    cur.execute("DELETE FROM reporting_monthlyoffers")
    cur.execute(_OFFERS, {"current": current})


def touched_months(since: datetime.datetime) -> list[datetime.date]:
    with connection.cursor() as cur:
        cur.execute(_TOUCHED, {"wm": since})
        return [row[0] for row in cur.fetchall()]


def all_months() -> list[datetime.date]:
    """Every month from the first CEP or CEP service to the current month."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT LEAST((SELECT min(entry_date) FROM enrolments_cep),"
            " (SELECT min(proposed_on) FROM offers_service WHERE is_cep_level1 OR cep_id IS NOT NULL))"
        )
        first = cur.fetchone()[0]
    if first is None:
        return []
    return months_between(first, month_start(today()))


def _state() -> RefreshState:
    state, _ = RefreshState.objects.get_or_create(pk=1)
    return state


def _lock_is_free() -> bool:
    with connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
        if cur.fetchone()[0]:
            cur.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
            return True
    return False


def mark_queued() -> RefreshState:
    """Called when a background refresh is enqueued: the page shows it at once.

    A state left « running » by a process that died (its advisory lock is gone) is queued again."""
    state = _state()
    if not state.is_busy or (state.state == RefreshState.State.RUNNING and _lock_is_free()):
        RefreshState.objects.filter(pk=1).update(state=RefreshState.State.QUEUED, months_done=0, months_total=0)
        state.refresh_from_db()
    return state


def refresh(
    *, months: Iterable[datetime.date] | None = None, full: bool = False, progress: Progress | None = None
) -> list[datetime.date]:
    """Refresh the aggregates and return the months recomputed.

    - ``full=True``: rebuild everything (all months, the ledger, the offers);
    - ``months``: recompute those months only (the watermark does not move);
    - neither: incremental, the months touched since the last refresh (a full rebuild the first time).
    """
    started = time.monotonic()
    with connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
        if not cur.fetchone()[0]:
            raise RefreshBusy("Une actualisation des indicateurs est déjà en cours.")
    try:
        state = _state()
        with connection.cursor() as cur:
            cur.execute(_WATERMARK)
            new_watermark = cur.fetchone()[0]
        moves_watermark = months is None
        if months is not None:
            todo = sorted({month_start(m) for m in months})
        elif full or state.watermark is None:
            full = True
            todo = all_months()
        else:
            todo = touched_months(state.watermark)
        RefreshState.objects.filter(pk=1).update(
            state=RefreshState.State.RUNNING,
            months_total=len(todo),
            months_done=0,
            current_month=None,
            started_at=timezone.now(),
            error="",
        )
        if full:
            with transaction.atomic(), connection.cursor() as cur:
                for table in ("monthlycount", "monthlyduration", "monthlystock", "cepledger"):
                    cur.execute(f"TRUNCATE reporting_{table}")
        for done, month in enumerate(todo, start=1):
            with connection.cursor() as cur:
                refresh_month(month, cur)
            RefreshState.objects.filter(pk=1).update(months_done=done, current_month=month)
            if progress:
                progress(done, len(todo), month)
        with transaction.atomic(), connection.cursor() as cur:
            if moves_watermark:
                where = "" if full else "WHERE updated_at > %(wm)s"
                cur.execute(_LEDGER_UPSERT.format(where=where), {"wm": state.watermark})
            _finish(cur, todo[0] if todo else None)
        fields = {
            "state": RefreshState.State.IDLE,
            "finished_at": timezone.now(),
            "last_duration_ms": int((time.monotonic() - started) * 1000),
            "last_months": [m.isoformat()[:7] for m in todo],
            "current_month": None,
        }
        if moves_watermark:
            fields["watermark"] = new_watermark
        RefreshState.objects.filter(pk=1).update(**fields)
        from django.db.models import F

        RefreshState.objects.filter(pk=1).update(version=F("version") + 1)
        return todo
    except Exception as exc:
        RefreshState.objects.filter(pk=1).update(state=RefreshState.State.FAILED, error=str(exc)[:2000])
        raise
    finally:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
