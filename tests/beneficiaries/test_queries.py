"""The dossier reads of cep/beneficiaries/queries.py that the pages and the API share."""

import pytest

from cep.accounts.rights import Right
from cep.audit.models import SensitiveAccess
from cep.beneficiaries.queries import read_rqth
from cep.common.errors import RuleViolation
from tests.factories import withdraw

pytestmark = pytest.mark.django_db


def test_read_rqth_returns_the_value_and_logs_the_read(beneficiary, counselor):
    beneficiary.has_rqth = True
    assert read_rqth(counselor, beneficiary, channel="web") is True
    access = SensitiveAccess.objects.get()
    assert (access.actor_id, access.beneficiary_id, access.channel, access.field) == (
        counselor.pk,
        beneficiary.pk,
        "web",
        "rqth",
    )
    read_rqth(counselor, beneficiary, channel="api")
    assert list(SensitiveAccess.objects.order_by("id").values_list("channel", flat=True)) == ["web", "api"]


def test_read_rqth_refuses_another_structures_dossier(beneficiary, other_counselor):
    with pytest.raises(RuleViolation) as err:
        read_rqth(other_counselor, beneficiary, channel="api")
    assert err.value.rule == "DROITS"
    assert not SensitiveAccess.objects.exists()


def test_droits_without_view_dossier_the_dossier_queries_refuse(beneficiary, counselor):
    from cep.beneficiaries.queries import get_dossier
    from cep.enrolments.queries import search_beneficiaries

    withdraw(counselor, Right.VIEW_DOSSIER)
    for read in (
        lambda: read_rqth(counselor, beneficiary, channel="api"),
        lambda: get_dossier(counselor, beneficiary.pk),
        lambda: search_beneficiaries(counselor),
    ):
        with pytest.raises(RuleViolation) as err:
            read()
        assert err.value.rule == "DROITS" and "« Consulter les informations d'un dossier »" in err.value.message
    assert not SensitiveAccess.objects.exists()
