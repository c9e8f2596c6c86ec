"""cep.common.plain_sql as the indicators use it: the refresh state read with a plain SELECT, as the ORM reads it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cep.common.plain_sql import load
from cep.reporting.indicators import dashboard_data
from cep.reporting.indicators.models import RefreshState

pytestmark = pytest.mark.django_db


def _fields(obj):
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_refresh_state_is_the_orm_row_in_one_query():
    RefreshState.objects.update_or_create(pk=1, defaults={"version": 7, "last_months": ["2024-01", "2024-02"]})
    with CaptureQueriesContext(connection) as captured:
        state = dashboard_data.refresh_state()
    assert len(captured.captured_queries) == 1
    assert _fields(state) == _fields(RefreshState.objects.get(pk=1))
    assert state.last_months == ["2024-01", "2024-02"]  # JSON decoded by the field's converter
    state.version += 1
    state.save()  # a loaded instance saves as an existing row (no duplicate, no error)
    assert RefreshState.objects.get(pk=1).version == 8


def test_missing_or_malformed_key_is_none():
    RefreshState.objects.filter(pk=1).delete()
    assert load(RefreshState, 1) is None and load(RefreshState, "x") is None
    assert dashboard_data.refresh_state().version == 0  # the default state, not saved
