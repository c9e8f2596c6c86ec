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
