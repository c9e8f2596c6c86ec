import datetime

import pytest

from cep.accounts.rights import Role
from cep.monitoring import services
from tests.factories import OperatorFactory, UserFactory

TODAY = datetime.date(2026, 12, 7)


@pytest.fixture
def analyst(refdata):
    """The Transitions Pro of Corse (94), where the factories put their structures and operators."""
    return UserFactory(username="tp_corse", role=Role.REGIONAL_OBSERVER, structure=None, region_id="94")


@pytest.fixture
def other_analyst(refdata):
    return UserFactory(username="tp_idf", role=Role.REGIONAL_OBSERVER, structure=None, region_id="11")


@pytest.fixture
def national(refdata):
    return UserFactory(username="fc", role=Role.NATIONAL_OBSERVER, structure=None)


@pytest.fixture
def operators(refdata):
    return [OperatorFactory(name="Missions locales de Corse"), OperatorFactory(name="Cap emploi Corse")]


@pytest.fixture
def exercise(analyst):
    return services.open_exercise(actor=analyst, year=2022)
