"""Issue 11: the retention clears the identity but keeps the identity pseudonym (the monthly files regenerate
identically and an overlap stays visible to the national report)."""

import pytest

from cep.beneficiaries.models import Beneficiary
from cep.retention import services

from .conftest import GONE_ON

pytestmark = pytest.mark.django_db


def test_anonymisation_keeps_the_identity_pseudonym(old_dossier):
    before = Beneficiary.objects.get(pk=old_dossier.pk).identity_pseudonym
    assert before
    services.anonymise(on=GONE_ON, months=24)
    after = Beneficiary.objects.get(pk=old_dossier.pk)
    assert after.anonymised_at is not None and after.first_name == "Anonyme"
    assert after.identity_pseudonym == before
    after.save()  # a later save of the anonymised row never recomputes it from the neutral identity
    assert Beneficiary.objects.get(pk=old_dossier.pk).identity_pseudonym == before


def test_a_1_2_0_file_of_an_anonymised_person_regenerates_byte_identical(old_dossier, counselor, cep_refs):
    """The 1.2.0 `entrees` line reads the stored pseudonym: anonymising the person changes no byte."""
    import datetime

    from cep.enrolments import services as ceps
    from cep.enrolments.models import Cep
    from cep.reporting.exports.contract import get_version
    from cep.reporting.exports.files import file_digest
    from cep.reporting.exports.lines import insert_lines
    from cep.reporting.exports.models import ExportBatch, Scope

    cep = ceps.open_cep(
        beneficiary=old_dossier,
        actor=counselor,
        orientation_source=cep_refs["direct"],
        entry_date=datetime.date(2023, 2, 1),
        entry_phase=2,
        request_reason=cep_refs["reason"],
    )
    Cep.objects.filter(pk=cep.pk).update(
        status="closed", end_date=datetime.date(2023, 3, 1), exit_reason=cep_refs["formalised"], ended_in_phase=2
    )
    version = get_version("1.2.0")

    def digests():
        batch = ExportBatch.objects.create(
            scope=Scope.NATIONAL, month=datetime.date(2023, 2, 1), contract_version="1.2.0"
        )
        insert_lines(batch, version)
        result = {name: file_digest(batch.pk, resource) for name, resource in version.resources.items()}
        result["payloads"] = list(batch.lines.filter(resource="entrees").values_list("payload", flat=True))
        batch.delete()
        return result

    before = digests()
    pseudonym = Beneficiary.objects.get(pk=old_dossier.pk).identity_pseudonym
    assert len(before["payloads"]) == 1 and before["payloads"][0].endswith(pseudonym)
    services.anonymise(on=GONE_ON, months=24)
    assert Beneficiary.objects.get(pk=old_dossier.pk).anonymised_at is not None
    assert digests() == before
