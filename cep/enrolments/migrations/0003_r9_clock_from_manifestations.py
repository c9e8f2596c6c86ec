"""R9: the inactivity clock counts only the person's manifestations and moves back as well as forward.

Adds `Cep.reopened_on` (the reopening restarts the clock, R10), fills it from the audit trail, then recomputes the
clock of every CEP in progress from the events, set-based (a few statements whatever the number of CEPs; sized for
1,000,000), and prints how many automatic-exit dates moved. Closed CEPs keep their clock (their exit is written).
The SQL is frozen here on purpose: cep/enrolments/clock.py and cep/events/queries.py say the same for the live code.
"""

from django.conf import settings
from django.db import migrations, models

REOPENED_ON = """
UPDATE enrolments_cep c SET reopened_on = r.day
FROM (SELECT object_id, max((at AT TIME ZONE %(tz)s)::date) AS day FROM audit_auditentry
      WHERE object_type = 'cep' AND action = 'reopen' GROUP BY object_id) r
WHERE c.id = r.object_id
"""

MANIFESTATION = """(NOT e.is_system AND (
    e.direction_id IN (SELECT code FROM referentials_eventdirection WHERE is_from_person)
    OR (e.direction_id IN (SELECT code FROM referentials_eventdirection WHERE is_with_person)
        AND e.nature_id IN (SELECT code FROM referentials_eventnature WHERE is_live_contact))))"""

CLOCKS = f"""
CREATE TEMP TABLE r9_clock AS
SELECT c.id, c.last_manifestation_date AS old_day, GREATEST(c.entry_date, c.reopened_on, m.last) AS new_day,
       CASE WHEN c.status = 'phase3' THEN c.phase3_entry_date ELSE c.phase2_entry_date END AS phase_entry
FROM enrolments_cep c
LEFT JOIN (
    SELECT k.id, max(e.date) AS last
    FROM enrolments_cep k
    JOIN events_event e ON e.beneficiary_id = k.beneficiary_id AND e.structure_id = k.structure_id
                       AND e.date >= k.entry_date
    WHERE k.status IN ('phase2', 'phase3') AND {MANIFESTATION}
    GROUP BY k.id
) m ON m.id = c.id
WHERE c.status IN ('phase2', 'phase3')
"""

# The automatic exit date as auto_close computes it: clock + 6 months, never before the current phase's entry.
EXIT = "GREATEST(({day} + make_interval(months => 6))::date, phase_entry)"
REPORT = f"""
SELECT count(*),
       count(*) FILTER (WHERE {EXIT.format(day="new_day")} < {EXIT.format(day="old_day")}),
       count(*) FILTER (WHERE {EXIT.format(day="new_day")} > {EXIT.format(day="old_day")}
                        OR (old_day IS NULL AND new_day IS NOT NULL)),
       count(*) FILTER (WHERE {EXIT.format(day="new_day")} IS DISTINCT FROM {EXIT.format(day="old_day")}
                        AND {EXIT.format(day="new_day")} <= CURRENT_DATE)
FROM r9_clock
"""

UPDATE = """
UPDATE enrolments_cep c SET last_manifestation_date = r.new_day
FROM r9_clock r WHERE c.id = r.id AND c.last_manifestation_date IS DISTINCT FROM r.new_day
"""


def recompute_clocks(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(REOPENED_ON, {"tz": settings.TIME_ZONE})
        cursor.execute(CLOCKS)
        cursor.execute("ANALYZE r9_clock")
        cursor.execute(REPORT)
        total, earlier, later, due = cursor.fetchone()
        cursor.execute(UPDATE)
        changed = cursor.rowcount
        cursor.execute("DROP TABLE r9_clock")
    if total:
        print(
            f"\n  R9 : {total} CEP en cours recalculés, {changed} dates de dernière manifestation changées ; "
            f"{earlier + later} dates de sortie automatique déplacées ({earlier} plus tôt, {later} plus tard), "
            f"dont {due} déjà échues (la prochaine sortie automatique, cep_auto_close, les clôturera)."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("enrolments", "0002_fk_indexes_that_serve_no_query"),
        ("referentials", "0003_r9_manifestation_flags"),
        ("events", "0003_fk_indexes_that_serve_no_query"),
        ("audit", "0002_append_only_trigger"),
    ]

    operations = [
        migrations.AddField(
            model_name="cep",
            name="reopened_on",
            field=models.DateField(blank=True, null=True, verbose_name="date de réouverture"),
        ),
        migrations.RunPython(recompute_clocks, migrations.RunPython.noop),
    ]
