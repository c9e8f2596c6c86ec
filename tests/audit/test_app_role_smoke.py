"""What the application does still works under the application role (DML only), the history included."""

import datetime

import pytest
from django.db import connection
from django.urls import reverse

from cep.audit.models import AuditEntry, SensitiveAccess
from cep.beneficiaries.queries import read_rqth
from cep.common.dates import today
from cep.common.months import last_complete_month
from cep.enrolments import services as ceps
from cep.reporting.exports.batches import request_export
from cep.reporting.exports.contract import get_version
from cep.reporting.exports.files import stream_file
from cep.reporting.exports.models import BatchStatus
from cep.reporting.indicators.refresh import refresh
from tests.reporting.exports.export_fixtures import build_month

pytestmark = pytest.mark.django_db


def current_user() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        return cursor.fetchone()[0]


def test_r12_application_role_runs_the_application(
    roles, structure, counselor, manager, beneficiary, cep_refs, event_refs, client
):
    month = last_complete_month()
    build_month(
        structure=structure, counselor=counselor, month=month, cep_refs=cep_refs, event_refs=event_refs, people=[]
    )
    with connection.cursor() as cursor:  # until the end of the test's transaction
        cursor.execute(f'SET LOCAL ROLE "{roles.app}"')
    assert current_user() == roles.app
    history, reads = AuditEntry.objects.count(), SensitiveAccess.objects.count()

    cep = ceps.open_cep(
        beneficiary=beneficiary,
        actor=counselor,
        orientation_source=cep_refs["direct"],
        entry_date=today() - datetime.timedelta(days=10),
        entry_phase=2,
        request_reason=cep_refs["reason"],
    )
    ceps.move_to_phase3(cep=cep, on=today(), actor=counselor)
    read_rqth(counselor, beneficiary, channel="web")
    ceps.auto_close(on=today())  # a temporary table, ANALYZE, one set-based UPDATE with its audit rows
    assert refresh(full=True)  # the aggregates are emptied with DELETE (no TRUNCATE)
    batch = request_export(actor=manager, month=month, structure=structure)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.VALIDATED and batch.row_count > 0
    version = get_version(batch.contract_version)
    assert b"".join(stream_file(batch.pk, next(iter(version.resources.values())))).count(b"\n") > 1

    client.force_login(counselor)
    assert client.get(reverse("web:dossier", args=[beneficiary.pk])).status_code == 200
    assert client.get(reverse("web:complements", args=[beneficiary.pk])).status_code == 200
    assert AuditEntry.objects.count() > history + 1 and SensitiveAccess.objects.count() >= reads + 2
    assert current_user() == roles.app
