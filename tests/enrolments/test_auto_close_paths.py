"""The set-based PostgreSQL path of R9 and the row-by-row path (used on SQLite) give the same result."""

import datetime

import pytest

from cep.audit.models import AuditEntry
from cep.enrolments import services as s
from cep.enrolments.models import Cep
from tests.factories import BeneficiaryFactory

TODAY = datetime.date.today()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["postgresql", "generic"])
def test_r9_both_paths_close_the_same_ceps(path, structure, counselor, cep_refs):
    expected = {}
    for i, (entry_ago, last_ago, phase3_ago) in enumerate(
        [(400, 300, None), (400, 150, None), (400, 390, 200), (300, 250, 100), (250, 200, None), (200, 170, None)]
    ):
        b = BeneficiaryFactory(structure=structure, referent=counselor)
        cep = s.open_cep(
            beneficiary=b,
            actor=counselor,
            orientation_source=cep_refs["direct"],
            entry_date=TODAY - datetime.timedelta(days=entry_ago),
            entry_phase=2,
            request_reason=cep_refs["reason"],
        )
        if phase3_ago:
            s.move_to_phase3(cep=cep, on=TODAY - datetime.timedelta(days=phase3_ago), actor=counselor)
        Cep.objects.filter(pk=cep.pk).update(last_manifestation_date=TODAY - datetime.timedelta(days=last_ago))
        expected[cep.pk] = i
    closed = s._auto_close_postgresql(TODAY) if path == "postgresql" else s._auto_close_generic(TODAY)
    rows = {c.pk: (c.status, c.end_date, c.ended_in_phase) for c in Cep.objects.filter(pk__in=expected)}
    results = {expected[pk]: value for pk, value in rows.items()}
    from cep.common.dates import add_months

    assert results[0] == ("closed", add_months(TODAY - datetime.timedelta(days=300), 6), 2)
    assert results[1][0] == "phase2"
    assert results[2] == ("closed", TODAY - datetime.timedelta(days=200), 3)
    assert results[3] == ("closed", add_months(TODAY - datetime.timedelta(days=250), 6), 3)
    assert results[4] == ("closed", add_months(TODAY - datetime.timedelta(days=200), 6), 2)
    assert results[5][0] == "phase2"
    assert closed == 4 == AuditEntry.objects.filter(action="auto_close").count()
