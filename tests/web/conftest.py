import datetime

import pytest

from cep.accounts.rights import Role
from cep.offers.models import NationalMeasure, OfferKind
from cep.offers.services import create_offer
from cep.referentials import models as ref
from tests.clock import today
from tests.factories import UserFactory


@pytest.fixture
def signed_in(client, counselor):
    client.force_login(counselor)
    return client


@pytest.fixture
def level1_offer(structure, manager):
    return create_offer(
        structure=structure,
        actor=manager,
        kind=OfferKind.INTERNAL,
        origin="structure",
        theme=ref.ServiceTheme.objects.get(code="formation"),
        service_act=ref.ServiceAct.objects.get(code="info_conseil_formations"),
        name="Offre CEP",
        start_date=today() - datetime.timedelta(days=365),
        national_measure=NationalMeasure.CEP,
    )


@pytest.fixture
def observer(refdata):
    return UserFactory(username="observateur", role=Role.NATIONAL_OBSERVER, structure=None)


@pytest.fixture
def event_fields(event_refs, counselor):
    return {**event_refs, "intervener": counselor}
