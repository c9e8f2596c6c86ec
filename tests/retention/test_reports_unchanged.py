"""Anonymisation changes neither the monthly files nor the indicators: past months regenerate byte-identical.

A demo base whose history ended 30 months ago (so that most of its people have had no contact for 24 months): every
month's national file is produced in order (each month sees the earlier ones transmitted, as in production), and
the indicators are rebuilt; then the dossiers are anonymised, the batches are deleted, and everything is produced
again. Each file's SHA-256 and every aggregate row are the same, and the files do carry anonymised people.
"""

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from cep.common.dates import add_months, today
from cep.enrolments.models import Cep
from cep.reporting.exports.contract import version_for_month
from cep.reporting.exports.files import file_digest
from cep.reporting.exports.lines import insert_lines
from cep.reporting.exports.models import BatchStatus, ExportBatch, Movement, Scope
from cep.reporting.indicators.models import MonthlyCount, MonthlyDuration, MonthlyOffers, MonthlyStock
from cep.reporting.indicators.refresh import all_months, refresh
from cep.retention import services

pytestmark = pytest.mark.django_db(transaction=False)


def produce_every_month() -> dict[tuple, tuple[str, int]]:
    """(month, file) → (sha256, size) of each month's national file, produced in order, each then transmitted."""
    digests = {}
    for month in all_months():
        version = version_for_month(month)
        batch = ExportBatch.objects.create(scope=Scope.NATIONAL, month=month, contract_version=version.version)
        insert_lines(batch, version)
        for name, resource in version.resources.items():
            digests[(month, name)] = file_digest(batch.pk, resource)
        ExportBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.TRANSMITTED, generated_at=timezone.now())
    return digests


def aggregates() -> dict[str, list]:
    return {
        model.__name__: sorted(
            tuple(sorted((k, v) for k, v in row.items() if k != "id")) for row in model.objects.values()
        )
        for model in (MonthlyCount, MonthlyStock, MonthlyDuration, MonthlyOffers)
    }


def test_monthly_files_and_indicators_are_byte_identical_after_anonymisation(refdata):
    demo_today = add_months(today(), -30)
    call_command(
        "generate_demo", beneficiaries=300, today=demo_today.isoformat(), no_progress=True, stdout=io.StringIO()
    )
    refresh(full=True)
    files, counts = produce_every_month(), aggregates()
    assert len({month for month, _ in files}) >= 18 and len(counts["MonthlyCount"]) > 100

    anonymised, _ = services.anonymise()
    assert anonymised >= 100, anonymised  # most of the 300 people; those with a CEP still open stay
    in_progress = Cep.objects.filter(status__in=["phase2", "phase3"])
    assert in_progress.exists()
    assert not in_progress.filter(beneficiary__anonymised_at__isnull=False).exists()

    ExportBatch.objects.all().delete()
    assert produce_every_month() == files
    refresh(full=True)
    assert aggregates() == counts

    # Not vacuous: the files carry anonymised people, and no correction line was needed for them.
    anonymised_ceps = set(Cep.objects.filter(beneficiary__anonymised_at__isnull=False).values_list("pk", flat=True))
    lines = ExportBatch.objects.filter(scope=Scope.NATIONAL).values_list("lines__object_id", "lines__resource")
    assert len({pk for pk, resource in lines if resource == "entrees"} & anonymised_ceps) > 50
    assert not ExportBatch.objects.filter(lines__movement=Movement.MODIFICATION).exists()
