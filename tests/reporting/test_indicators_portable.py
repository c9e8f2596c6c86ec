"""The indicator refresh without PostgreSQL (cep/reporting/indicators_refresh_portable.py) stores exactly the rows
of the set-based SQL refresh: both are run on the same PostgreSQL data and every row of the five tables is
compared, after a full rebuild and after incremental refreshes that follow reopened, cancelled, deleted and edited
data. Then the demo as `make run` serves it, on a temporary SQLite database (subprocess): the regional observer
reads non-empty tables for the region and the nation in both frameworks."""

import datetime
import json
import os
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from cep.enrolments.models import Cep
from cep.offers.models import Service, ServiceOffer
from cep.reporting import indicators_refresh
from cep.reporting.indicator_models import (
    CepLedger,
    MonthlyCount,
    MonthlyDuration,
    MonthlyOffers,
    MonthlyStock,
    RefreshState,
)
from cep.reporting.indicators_refresh import RefreshBusy, refresh
from tests.reporting.test_indicators import build_data

ROOT = Path(__file__).resolve().parents[2]
TABLES = (MonthlyCount, MonthlyDuration, MonthlyStock, MonthlyOffers, CepLedger)


def _fields(model) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields if f.attname != "id"]


def rows() -> dict[str, Counter]:
    """Every row of the five tables without its surrogate id, as a multiset."""
    return {model.__name__: Counter(model.objects.values_list(*_fields(model))) for model in TABLES}


def save_tables() -> dict:
    return {model: list(model.objects.values(*_fields(model))) for model in TABLES}


def restore_tables(saved: dict, watermark: datetime.datetime) -> None:
    for model, values in saved.items():
        model.objects.all().delete()
        model.objects.bulk_create([model(**v) for v in values])
    RefreshState.objects.filter(pk=1).update(watermark=watermark)


@pytest.fixture
def portable(monkeypatch):
    """Run the refresh through the portable path although the database is PostgreSQL."""

    def use(on: bool):
        monkeypatch.setattr(indicators_refresh, "_portable", lambda: on)

    return use


def _change_data():
    """Reopen a closed CEP, cancel a phase 3, delete a CEP, edit a birth date, add a level-1 service."""
    reopened = Cep.objects.filter(status="closed", ended_in_phase=2).order_by("pk").first()
    reopened.status, reopened.end_date, reopened.exit_reason_id, reopened.ended_in_phase = "phase2", None, None, None
    reopened.save()
    cancelled = Cep.objects.filter(status="phase3", phase2_entry_date__isnull=False).order_by("pk").first()
    cancelled.status, cancelled.phase3_entry_date, cancelled.phase2_end_date = "phase2", None, None
    cancelled.save()
    deleted = (
        Cep.objects.filter(status="closed", services__isnull=False)
        .exclude(pk__in=[reopened.pk, cancelled.pk])
        .order_by("pk")
        .first()
    )
    deleted.status = "deleted"
    deleted.save()
    person = Cep.objects.exclude(status="deleted").order_by("-pk").first().beneficiary
    person.birth_date = person.birth_date.replace(year=person.birth_date.year - 17)
    person.save()
    level1 = Service.objects.filter(is_cep_level1=True).order_by("pk").first()
    Service.objects.create(
        beneficiary=person, structure=level1.structure, offer=level1.offer, service_act_id=level1.service_act_id,
        is_cep_level1=True, proposed_on=datetime.date(2024, 5, 20), proposed_by=level1.proposed_by,
    )  # fmt: skip
    return [reopened, cancelled, deleted]


@pytest.mark.django_db
def test_portable_refresh_stores_the_same_rows_as_the_sql_full_and_incremental(refdata, portable):
    build_data()
    sql_months = refresh(full=True)
    sql_rows = rows()
    assert all(sql_rows.values()), "every table has rows"
    assert sum(sql_rows["MonthlyCount"].values()) > 300
    portable(True)
    assert refresh(full=True) == sql_months
    assert rows() == sql_rows

    # Incremental: both start from the same tables and the same watermark, after the same changes.
    watermark = timezone.now()
    RefreshState.objects.filter(pk=1).update(watermark=watermark)
    saved = save_tables()
    changed = _change_data()
    portable(False)
    sql_months = refresh()
    sql_rows = rows()
    assert datetime.date(2024, 5, 1) in sql_months and len(sql_months) >= 3
    restore_tables(saved, watermark)
    portable(True)
    assert refresh() == sql_months
    assert rows() == sql_rows
    assert CepLedger.objects.get(cep_id=changed[2].pk).counted is False

    # And a full rebuild of the changed data, both ways.
    portable(False)
    sql_months = refresh(full=True)
    sql_rows = rows()
    portable(True)
    assert refresh(full=True) == sql_months
    assert rows() == sql_rows


@pytest.mark.django_db
def test_portable_refresh_of_the_demo_equals_the_sql_refresh(portable):
    call_command("generate_demo", beneficiaries=300, seed=11, no_progress=True, stdout=open(os.devnull, "w"))
    assert ServiceOffer.objects.filter(national_measure="cep").exists()
    months = refresh(full=True)
    expected = rows()
    assert len(months) >= 12 and sum(expected["MonthlyCount"].values()) > 500
    portable(True)
    assert refresh(full=True) == months
    assert rows() == expected


@pytest.mark.django_db
def test_one_portable_refresh_at_a_time(refdata, portable):
    """Without advisory lock: a « running » state started less than ten minutes ago refuses a second refresh;
    an older one was left by a dead process and is taken over."""
    portable(True)
    RefreshState.objects.create(pk=1, state=RefreshState.State.RUNNING, started_at=timezone.now())
    with pytest.raises(RefreshBusy):
        refresh()
    assert indicators_refresh.mark_queued().state == RefreshState.State.RUNNING
    RefreshState.objects.filter(pk=1).update(started_at=timezone.now() - datetime.timedelta(minutes=11))
    assert indicators_refresh.mark_queued().state == RefreshState.State.QUEUED
    assert refresh() == []  # no data: nothing to recompute, but the refresh ran
    state = RefreshState.objects.get(pk=1)
    assert state.state == RefreshState.State.IDLE and state.watermark is not None


SQLITE_CHECK = textwrap.dedent(
    """
    import csv, io, json
    from django.test import Client
    from cep.reporting.indicator_models import RefreshState
    result = {"state": RefreshState.objects.get(pk=1).state, "pages": {}}
    client = Client(SERVER_NAME="localhost")
    for username in ("observateur.ara", "responsable.ml"):
        signed_in = client.post("/connexion/", {"username": username, "password": "Demo-CEP-2026!"})
        assert signed_in.status_code == 302, username
        for framework in ("2014", "2019"):
            page = client.get("/indicateurs/", {"referentiel": framework})
            download = client.get("/indicateurs/telechargement/", {"referentiel": framework, "format": "csv"})
            xlsx = client.get("/indicateurs/telechargement/", {"referentiel": framework, "format": "xlsx"})
            nonzero = {}
            for row in csv.reader(io.StringIO(download.content.decode("utf-8-sig")), delimiter=";"):
                if len(row) > 2 and any(cell.isdigit() and int(cell) > 0 for cell in row[2:]):
                    nonzero[row[0]] = nonzero.get(row[0], 0) + 1
            result["pages"][f"{username} {framework}"] = {
                "status": [page.status_code, download.status_code, xlsx.status_code],
                "tables": page.content.decode().count("<table"),
                "nonzero": nonzero,
            }
        client.logout()
    print("RESULT " + json.dumps(result))
    """
)


def test_demo_on_sqlite_shows_the_indicators_end_to_end(tmp_path):
    """`make run`'s database: migrate, demo, accounts, refresh_indicators on SQLite; the regional observer reads
    non-empty tables for the region and the nation, in both frameworks; the manager their structure."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
    }

    def manage(*args):
        done = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    manage("migrate", "--noinput", "-v0")
    manage("generate_demo", "--beneficiaries", "300", "--no-progress")
    manage("demo_accounts")
    assert "mois recalculé(s)" in manage("refresh_indicators", "--no-progress")  # the first one: full
    assert "mois" in manage("refresh_indicators", "--no-progress")  # then incremental
    checked = manage("shell", "-c", SQLITE_CHECK)
    result = json.loads(checked.split("RESULT ", 1)[1])
    assert result["state"] == "idle"
    for key, page in result["pages"].items():
        assert page["status"] == [200, 200, 200], key
        assert page["tables"] >= 12, key
        if key.startswith("observateur"):
            assert set(page["nonzero"]) == {"Auvergne-Rhône-Alpes", "France entière"}, key
        assert min(page["nonzero"].values()) >= 20, (key, page)
