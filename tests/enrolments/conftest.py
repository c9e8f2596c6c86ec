import datetime

import pytest

from cep.audit.models import AuditEntry
from cep.enrolments.models import Cep
from tests.clock import today


def days(n: int) -> datetime.date:
    """`n` days before today (tests/clock.py: the real day, even while a test moves the application's)."""
    return today() - datetime.timedelta(days=n)


@pytest.fixture
def db_state():
    """A fingerprint of everything a refused action must leave untouched."""

    def take():
        ceps = list(Cep.objects.order_by("pk").values())
        return ceps, AuditEntry.objects.count()

    return take
