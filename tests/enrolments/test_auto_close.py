"""R9: the automatic exit is one set-based PostgreSQL statement (update and audit rows written together)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cep.audit.models import AuditEntry
from cep.common.dates import add_months
from cep.enrolments import services as s
from cep.enrolments.models import Cep
from cep.enrolments.workflow import Status
from tests.clock import today
from tests.factories import BeneficiaryFactory


def days(n: int) -> datetime.date:
    return today() - datetime.timedelta(days=n)


@pytest.mark.django_db
def test_r9_closes_the_inactive_ceps_with_their_end_date_phase_and_audit(structure, counselor, cep_refs):
    cases = {}
    for i, (entry_ago, last_ago, phase3_ago) in enumerate(
        [(400, 300, None), (400, 150, None), (400, 390, 200), (300, 250, 100), (250, 200, None), (200, 170, None)]
    ):
        b = BeneficiaryFactory(structure=structure, referent=counselor)
        cep = s.open_cep(
            beneficiary=b,
            actor=counselor,
            orientation_source=cep_refs["direct"],
            entry_date=days(entry_ago),
            entry_phase=2,
            request_reason=cep_refs["reason"],
        )
        if phase3_ago:
            s.move_to_phase3(cep=cep, on=days(phase3_ago), actor=counselor)
        Cep.objects.filter(pk=cep.pk).update(last_manifestation_date=days(last_ago))
        cases[i] = cep.pk
    with CaptureQueriesContext(connection) as queries:
        closed = s.auto_close(on=today())
    rows = {pk: (c.status, c.end_date, c.ended_in_phase) for pk, c in Cep.objects.in_bulk(cases.values()).items()}
    results = {i: rows[pk] for i, pk in cases.items()}

    assert results[0] == (Status.CLOSED, add_months(days(300), 6), 2)
    assert results[1][0] == Status.PHASE2
    assert results[2] == (Status.CLOSED, days(200), 3)  # never before the current phase's entry
    assert results[3] == (Status.CLOSED, add_months(days(250), 6), 3)
    assert results[4] == (Status.CLOSED, add_months(days(200), 6), 2)
    assert results[5][0] == Status.PHASE2  # its computed end is still in the future
    assert closed == 4 == AuditEntry.objects.filter(action="auto_close").count()
    entry = AuditEntry.objects.get(action="auto_close", object_id=cases[2])
    assert entry.actor_id is None and entry.actor_label == "Système"
    assert (entry.before["status"], entry.after["status"]) == ("phase3", "closed")
    assert entry.after["exit_reason_id"] == "interruption_constatee" and entry.after["auto_closed"] is True
    assert "created_at" not in entry.before and "kid" not in entry.after
    # The snapshot table gets statistics before the statement that joins it (and is dropped afterwards).
    statements = [q["sql"].strip() for q in queries.captured_queries]
    analyze = statements.index("ANALYZE enrolments_cep_snapshot")
    assert analyze < next(i for i, sql in enumerate(statements) if sql.startswith("WITH candidates"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('pg_temp.enrolments_cep_snapshot')")
        assert cursor.fetchone() == (None,)
