"""The indicator refresh whose process dies: « Échec » once its lease expired, and the relaunch gives the same tables
as an uninterrupted refresh, whatever step it died at (issue 10, point 4, applied to the refresh job)."""

import datetime

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from cep.accounts.rights import Role
from cep.reporting.indicators import dashboard_data
from cep.reporting.indicators import refresh as refresh_module
from cep.reporting.indicators.models import CepLedger, MonthlyCount, MonthlyDuration, MonthlyStock, RefreshState
from cep.reporting.indicators.refresh import refresh
from tests.factories import UserFactory
from tests.reporting.indicators.test_indicators import build_data

pytestmark = pytest.mark.django_db


class ProcessKilled(BaseException):
    """SIGKILL, in-process: no except Exception runs (no « Échec » written), the open transaction rolls back."""


def tables() -> dict:
    def rows(model, *fields):
        return sorted(model.objects.values_list(*fields))

    return {
        "counts": rows(MonthlyCount, "month", "structure_id", "family", "level", "code", "value"),
        "durations": rows(MonthlyDuration, "month", "structure_id", "phase", "bucket", "value"),
        "stock": rows(MonthlyStock, "month", "structure_id", "in_progress_phase2", "in_progress_phase3"),
        "ledger": rows(CepLedger, "cep_id", "entry_month", "phase3_month", "end_month", "counted"),
    }


@pytest.fixture
def built(refdata):
    cache.clear()
    build_data()
    refresh(full=True)
    return tables()


def kill_at(monkeypatch, step):
    def die(name):
        if name == step:
            raise ProcessKilled(name)

    monkeypatch.setattr(refresh_module, "checkpoint", die)


@pytest.mark.parametrize("step", ["emptied", "month:1", "month:3", "finish", "finished"])
def test_r_indicators_refresh_killed_at_each_step_then_relaunched_gives_the_same_tables(built, monkeypatch, step):
    kill_at(monkeypatch, step)
    with pytest.raises(ProcessKilled):
        refresh(full=True)
    monkeypatch.setattr(refresh_module, "checkpoint", lambda name: None)
    assert RefreshState.objects.get(pk=1).state == RefreshState.State.RUNNING  # nobody wrote « Échec »
    RefreshState.objects.filter(pk=1).update(heartbeat_at=timezone.now() - datetime.timedelta(hours=1))
    assert dashboard_data.refresh_state().get_state_display() == "Échec"
    refresh()  # the relaunch: the ordinary (incremental) refresh of the page's button
    assert tables() == built
    assert RefreshState.objects.get(pk=1).state == RefreshState.State.IDLE


def test_r_indicators_a_live_refresh_keeps_its_lease_and_a_dead_one_shows_failed_on_the_page(built, client):
    admin = UserFactory(username="ind_admin_lease", role=Role.ADMIN, structure=None)
    client.force_login(admin)
    RefreshState.objects.filter(pk=1).update(
        state="running", months_total=10, months_done=4, heartbeat_at=timezone.now()
    )
    fragment = client.get(reverse("reporting:dashboard_refresh")).content.decode()
    assert 'hx-trigger="every 2s"' in fragment  # alive: still polled
    RefreshState.objects.filter(pk=1).update(heartbeat_at=timezone.now() - datetime.timedelta(hours=1))
    fragment = client.get(reverse("reporting:dashboard_refresh")).content.decode()
    assert "hx-trigger" not in fragment and "processus de fond interrompu" in fragment
    assert RefreshState.objects.get(pk=1).state == RefreshState.State.FAILED
    version = RefreshState.objects.get(pk=1).version
    client.post(reverse("reporting:dashboard_refresh"))  # the page's button relaunches it
    state = RefreshState.objects.get(pk=1)
    assert state.state == RefreshState.State.IDLE and state.version == version + 1
