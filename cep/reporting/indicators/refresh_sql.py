"""The statements of the refresh (refresh.py), PostgreSQL.

The month's statements (parameters %(start)s and %(end)s: population.month_params) read the base tables once into
two temporary tables, the month's CEPs and the month's people, then aggregate them into the monthly tables; the
rows are located (operator, network, région, département copied from the structure). What the month's entries,
services and exits are is defined once for the indicators and the monthly file: cep/reporting/population.py.
"""

from ..population import (
    CEP_COUNTS,
    ENTERED,
    EXITED,
    IN_MONTH,
    SERVICE_CEP,
    SERVICE_LEVEL1,
    SERVICE_OF_MONTH,
)
from .durations import DURATION_BUCKET_SQL

LOC = "st.operator_id, st.network_id, st.region_id, st.department_id"
LOC_COLS = "month, structure_id, operator_id, network_id, region_id, department_id"

# A move to phase 3 in M (indicators only: in the monthly file it changes the entry line): a CEP that counts,
# entered in phase 2, whose phase-3 entry date is in M. Moving to phase 3 is neither an exit nor an entry.
MOVED_TO_PHASE3 = f"{CEP_COUNTS} AND c.phase2_entry_date IS NOT NULL AND c.phase3_entry_date {IN_MONTH}"

# The month's CEPs, read once: the CEPs that count with a date in M (entry, move to phase 3 or end), flagged with
# what they are in the month's population (population.py): entered, moved to phase 3, exited.
MONTH_CEPS = f"""
CREATE TEMP TABLE ind_month_cep ON COMMIT DROP AS
SELECT c.id, c.structure_id, c.entry_date, c.entry_phase, c.phase2_entry_date, c.phase2_end_date,
       c.phase3_entry_date, c.end_date, c.ended_in_phase, c.exit_reason_id, c.request_reason_id,
       c.project_type_id, b.sex, b.birth_date, b.employment_status_id, b.qualification_level_id, b.has_rqth,
       ({ENTERED}) IS TRUE AS entered, ({MOVED_TO_PHASE3}) IS TRUE AS moved_to_phase3,
       ({EXITED}) IS TRUE AS exited
FROM enrolments_cep c
JOIN beneficiaries_beneficiary b ON b.id = c.beneficiary_id
WHERE {CEP_COUNTS}
  AND (c.entry_date {IN_MONTH}
       OR c.phase3_entry_date {IN_MONTH}
       OR c.end_date {IN_MONTH})
"""

# Entries and public reached. Level 1: the people who received a CEP level-1 service in the month (once per
# person and structure); levels 2 and 3: the CEPs entered in the month, by entry phase.
PEOPLE = f"""
CREATE TEMP TABLE ind_month_people ON COMMIT DROP AS
SELECT l1.structure_id, 1 AS level, b.sex::varchar AS sex, b.birth_date, b.employment_status_id,
       b.qualification_level_id, b.has_rqth, l1.first_on AS on_date, NULL::varchar AS request_reason_id,
       NULL::varchar AS project_type
FROM (SELECT sv.structure_id, sv.beneficiary_id, min(sv.proposed_on) AS first_on
      FROM offers_service sv
      WHERE {SERVICE_LEVEL1} AND {SERVICE_OF_MONTH}
      GROUP BY sv.structure_id, sv.beneficiary_id) l1
JOIN beneficiaries_beneficiary b ON b.id = l1.beneficiary_id
UNION ALL
SELECT structure_id, entry_phase, sex, birth_date, employment_status_id, qualification_level_id, has_rqth,
       entry_date, request_reason_id, COALESCE(project_type_id, 'non_renseigne')
FROM ind_month_cep WHERE entered
"""

# One pass over the month's people, one hash aggregate per breakdown (GROUPING SETS), unpivoted afterwards.
PUBLIC = f"""
INSERT INTO reporting_monthlycount ({LOC_COLS}, family, level, code, value)
SELECT %(start)s, a.structure_id, {LOC}, a.family, a.level, a.code, a.n
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

MOVES_AND_EXITS = f"""
INSERT INTO reporting_monthlycount ({LOC_COLS}, family, level, code, value)
SELECT %(start)s, a.structure_id, {LOC}, a.family, a.level, a.code, a.n
FROM (
    SELECT c.structure_id, v.family, v.level, v.code, count(*) AS n
    FROM ind_month_cep c
    CROSS JOIN LATERAL (VALUES
        ('phase3_moves', 3, CASE WHEN c.moved_to_phase3 THEN 'total' END),
        ('exits', c.ended_in_phase, CASE WHEN c.exited THEN c.exit_reason_id END)
    ) AS v(family, level, code)
    WHERE v.code IS NOT NULL
    GROUP BY c.structure_id, v.family, v.level, v.code
) a
JOIN organisations_structure st ON st.id = a.structure_id
"""

# Services (population.py): a CEP level-1 service outside a CEP that counts is level 1; a service proposed during a
# CEP that counts (whatever its event context) counts in the CEP's phase on that day.
SERVICES = f"""
INSERT INTO reporting_monthlycount ({LOC_COLS}, family, level, code, value)
SELECT %(start)s, a.structure_id, {LOC}, 'services', a.level, a.service_act_id, a.n
FROM (
    SELECT sv.structure_id, CASE
        WHEN c.id IS NULL THEN 1
        WHEN c.phase3_entry_date IS NOT NULL AND sv.proposed_on >= c.phase3_entry_date THEN 3
        ELSE 2 END AS level, sv.service_act_id, count(*) AS n
    FROM offers_service sv
    LEFT JOIN enrolments_cep c ON {SERVICE_CEP}
    WHERE {SERVICE_OF_MONTH} AND (c.id IS NOT NULL OR {SERVICE_LEVEL1})
    GROUP BY 1, 2, 3
) a
JOIN organisations_structure st ON st.id = a.structure_id
"""

# Durations in days (end − start) of the CEPs that ended in the month: per phase and for the whole CEP.
DURATIONS = f"""
INSERT INTO reporting_monthlyduration ({LOC_COLS}, phase, bucket, value)
SELECT %(start)s, a.structure_id, {LOC}, a.phase, a.bucket, a.n
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
    WHERE c.exited AND d.days IS NOT NULL
    GROUP BY c.structure_id, d.phase, b.bucket
) a
JOIN organisations_structure st ON st.id = a.structure_id
"""

STOCK_FLOWS = f"""
INSERT INTO reporting_monthlystock ({LOC_COLS}, entries_phase2, entries_phase3, moves_phase3, exits_phase2,
                                    exits_phase3, in_progress_phase2, in_progress_phase3)
SELECT %(start)s, c.structure_id, {LOC},
       count(*) FILTER (WHERE c.entered AND c.entry_phase = 2),
       count(*) FILTER (WHERE c.entered AND c.entry_phase = 3),
       count(*) FILTER (WHERE c.moved_to_phase3),
       count(*) FILTER (WHERE c.exited AND c.ended_in_phase = 2),
       count(*) FILTER (WHERE c.exited AND c.ended_in_phase = 3),
       0, 0
FROM ind_month_cep c
JOIN organisations_structure st ON st.id = c.structure_id
GROUP BY c.structure_id, {LOC}
"""

# Every structure that ever had a CEP gets a stock row for each month up to the current one (returns the first
# month filled, whose stock must then be cumulated).
STOCK_FILL = f"""
WITH filled AS (
INSERT INTO reporting_monthlystock ({LOC_COLS}, entries_phase2, entries_phase3, moves_phase3, exits_phase2,
                                    exits_phase3, in_progress_phase2, in_progress_phase3)
SELECT g.m::date, f.structure_id, {LOC}, 0, 0, 0, 0, 0, 0, 0
FROM (SELECT structure_id, min(month) AS first FROM reporting_monthlystock GROUP BY structure_id) f
JOIN organisations_structure st ON st.id = f.structure_id
CROSS JOIN LATERAL generate_series(f.first, %(current)s::date, interval '1 month') AS g(m)
WHERE NOT EXISTS (SELECT 1 FROM reporting_monthlystock x WHERE x.structure_id = f.structure_id AND x.month = g.m)
RETURNING month
)
SELECT min(month) FROM filled
"""

STOCK_CUMULATE = """
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
OFFERS = """
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

LEDGER_UPSERT = f"""
INSERT INTO reporting_cepledger (cep_id, entry_month, phase3_month, end_month, counted)
SELECT c.id, date_trunc('month', c.entry_date)::date, date_trunc('month', c.phase3_entry_date)::date,
       date_trunc('month', c.end_date)::date, {CEP_COUNTS}
FROM enrolments_cep c {{where}}
ON CONFLICT (cep_id) DO UPDATE SET entry_month = EXCLUDED.entry_month, phase3_month = EXCLUDED.phase3_month,
    end_month = EXCLUDED.end_month, counted = EXCLUDED.counted
"""

# Months touched by the rows changed since the watermark (see the module docstring).
TOUCHED = """
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
WATERMARK = """
SELECT LEAST(clock_timestamp(), (SELECT min(xact_start) FROM pg_stat_activity
                     WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL
                       AND backend_type = 'client backend'))
"""
