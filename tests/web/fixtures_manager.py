"""Fixtures of the manager, security and permission tests (imported explicitly by those modules)."""

import datetime

import pytest

from cep.accounts.rights import Role
from cep.offers.models import NationalMeasure, ServiceOffer
from cep.referentials import models as ref
from tests.clock import today
from tests.factories import UserFactory


def make_offer(structure, name="Offre CEP", **fields):
    values = {
        "structure": structure,
        "region_id": structure.region_id if structure else "94",
        "origin": "structure",
        "theme": ref.ServiceTheme.objects.get(code="formation"),
        "service_act": ref.ServiceAct.objects.get(code="info_conseil_formations"),
        "name": name,
        "start_date": today() - datetime.timedelta(days=30),
        "national_measure": NationalMeasure.CEP,
    }
    values.update(fields)
    return ServiceOffer.objects.create(**values)


@pytest.fixture
def admin_account(refdata):
    return UserFactory(username="administrateur", role=Role.ADMIN, structure=None)


@pytest.fixture
def regional_observer(refdata):
    return UserFactory(username="observateur_regional", role=Role.REGIONAL_OBSERVER, structure=None, region_id="94")


@pytest.fixture
def national_observer(refdata):
    return UserFactory(username="observateur_national", role=Role.NATIONAL_OBSERVER, structure=None)


@pytest.fixture
def offer(structure, counselor):
    return make_offer(structure, referent=counselor)


@pytest.fixture
def other_offer(other_structure):
    return make_offer(other_structure, name="Offre d'une autre structure")


@pytest.fixture
def regional_offer(refdata):
    return make_offer(None, name="Offre régionale Corse", region_id="94")
