import datetime

import pytest

from cep.audit.models import AuditEntry
from cep.enrolments.models import Cep

TODAY = datetime.date.today()


def days(n: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=n)


@pytest.fixture
def db_state():
    """A fingerprint of everything a refused action must leave untouched."""

    def take():
        ceps = list(Cep.objects.order_by("pk").values())
        return ceps, AuditEntry.objects.count()

    return take
