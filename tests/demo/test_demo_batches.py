"""`demo_batches`: the demo's monthly files of M-3 and M-2, sent through the real services."""

import io

import pytest
from django.core.management import call_command

from cep.accounts.rights import Role
from cep.common.dates import add_months, today
from cep.common.months import last_complete_month
from cep.organisations.models import Structure
from cep.reporting.exports.batches import request_export
from cep.reporting.exports.models import BatchStatus, ExportBatch
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_demo_files_are_sent_once_and_the_next_month_builds_on_them(refdata):
    call_command("generate_demo", beneficiaries=300, no_progress=True, stdout=io.StringIO())
    out = io.StringIO()
    call_command("demo_batches", no_progress=True, stdout=out)
    assert "lots transmis" in out.getvalue()
    current = today().replace(day=1)
    structures = Structure.objects.filter(beneficiaries__isnull=False).distinct()
    batches = ExportBatch.objects.all()
    assert {(b.structure_id, b.month) for b in batches} == {
        (s.pk, add_months(current, back)) for s in structures for back in (-3, -2)
    }
    assert {b.status for b in batches} == {BatchStatus.TRANSMITTED}
    assert sum(b.row_count for b in batches) > 0

    again = io.StringIO()
    call_command("demo_batches", no_progress=True, stdout=again)
    assert "rien à faire" in again.getvalue() and ExportBatch.objects.count() == batches.count()

    busiest = max(structures, key=lambda s: sum(b.row_count for b in batches if b.structure_id == s.pk))
    manager = UserFactory(username="resp_demo", role=Role.MANAGER, structure=busiest)
    batch = request_export(actor=manager, month=last_complete_month(), structure=busiest)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.VALIDATED
