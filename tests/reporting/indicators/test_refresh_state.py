"""The refresh state as every dashboard view reads it: one query, the stored row or the unsaved default."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cep.reporting.indicators import dashboard_data
from cep.reporting.indicators.models import RefreshState

pytestmark = pytest.mark.django_db


def test_refresh_state_is_the_stored_row_in_one_query():
    RefreshState.objects.update_or_create(pk=1, defaults={"version": 7, "last_months": ["2024-01", "2024-02"]})
    with CaptureQueriesContext(connection) as captured:
        state = dashboard_data.refresh_state()
    assert len(captured.captured_queries) == 1
    assert state.version == 7 and state.last_months == ["2024-01", "2024-02"]


def test_missing_row_gives_the_unsaved_default_state():
    RefreshState.objects.filter(pk=1).delete()
    state = dashboard_data.refresh_state()
    assert state.version == 0 and state._state.adding
    assert not RefreshState.objects.exists()
