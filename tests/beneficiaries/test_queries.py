"""The dossier reads of cep/beneficiaries/queries.py that the pages and the API share."""

import pytest

from cep.audit.models import SensitiveAccess
from cep.beneficiaries.queries import read_rqth
from cep.common.errors import RuleViolation

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
