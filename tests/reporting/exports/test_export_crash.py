"""A monthly file whose worker dies: the lease expires, the batch shows « Échec », and the relaunch (page, command)
gives files byte-identical to an uninterrupted run, whatever step the worker died at (issue 10, point 4)."""

import datetime
import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from cep.audit.models import AuditEntry
from cep.common.errors import RuleViolation
from cep.reporting.exports import batches
from cep.reporting.exports.contract import get_version
from cep.reporting.exports.files import stream_file
from cep.reporting.exports.models import BatchStatus, ExportBatch, ExportFile, ExportLine, JobState
from config.database import embedded_url
from tests.reporting.exports.export_fixtures import *  # noqa: F401,F403

ROOT = Path(__file__).resolve().parents[3]
STEPS = [
    "auto_close",
    "auto_closed",
    "lines_inserted",  # inside the transaction that writes the lines, before it commits
    "lines",
    "validate:entrees",
    "validate:services",
    "validate:sorties",
    "files",  # inside the last transaction (files and « Terminé »), before it commits
]


class WorkerKilled(BaseException):
    """What SIGKILL does to the process, in-process: nothing of it runs any more (no except Exception, no
    « Échec » written); the open transaction is rolled back, what was committed stays."""


def files_of(batch) -> dict[str, bytes]:
    version = get_version(batch.contract_version)
    return {
        f.name: b"".join(stream_file(batch.pk, version.resources[f.resource]))
        for f in ExportFile.objects.filter(batch=batch)
    }


def digest(files: dict[str, bytes]) -> str:
    return hashlib.sha256(b"".join(name.encode() + b"\0" + body for name, body in sorted(files.items()))).hexdigest()


def reference_run(structure, month) -> tuple[ExportBatch, dict]:
    batch = batches.request_export(actor=None, month=month, structure=structure, run=False)
    batch = batches.produce(batch.pk)
    assert batch.job_state == JobState.DONE and batch.status == BatchStatus.VALIDATED
    return batch, files_of(batch)


def lease_passes(batch) -> None:
    """The dead worker's lease runs out (its last heartbeat is older than the lease)."""
    ExportBatch.objects.filter(pk=batch.pk).update(heartbeat_at=timezone.now() - datetime.timedelta(hours=1))


@pytest.mark.django_db
@pytest.mark.parametrize("step", STEPS)
def test_r_export_worker_killed_at_each_step_relaunch_gives_identical_bytes(
    month_data, manager, structure, month, monkeypatch, step
):
    reference, expected = reference_run(structure, month)
    batch = batches.request_export(actor=manager, month=month, structure=structure, run=False)

    def die(b, name):
        if name == step:
            raise WorkerKilled(name)

    monkeypatch.setattr(batches, "checkpoint", die)
    with pytest.raises(WorkerKilled):
        batches.produce(batch.pk)
    monkeypatch.setattr(batches, "checkpoint", lambda b, name: None)
    batch.refresh_from_db()
    assert batch.job_state == JobState.RUNNING  # nobody wrote « Échec »: the worker is dead

    # While the lease runs the batch is « En cours »: no relaunch, no second production of the month.
    with pytest.raises(RuleViolation, match="Seul un lot en échec"):
        batches.relaunch_export(batch=batch, actor=manager, run=False)
    with pytest.raises(RuleViolation, match="déjà en cours"):
        batches.request_export(actor=manager, month=month, structure=structure, run=False)

    lease_passes(batch)
    assert batches.expire_stale() == [batch.pk]
    batch.refresh_from_db()
    assert (batch.job_state, batch.get_job_state_display()) == (JobState.FAILED, "Échec")

    relaunched = batches.relaunch_export(batch=batch, actor=manager, run=False)
    assert relaunched.attempt == 2 and relaunched.job_state == JobState.QUEUED
    assert not ExportLine.objects.filter(batch=batch).exists() and not ExportFile.objects.filter(batch=batch).exists()
    assert AuditEntry.objects.filter(action="relaunch_export", object_id=batch.pk).exists()
    done = batches.produce(batch.pk)
    assert done.job_state == JobState.DONE and done.status == BatchStatus.VALIDATED
    assert files_of(done) == expected and digest(files_of(done)) == digest(expected)
    assert done.sha256 == reference.sha256
    assert ExportLine.objects.filter(batch=batch).count() == ExportLine.objects.filter(batch=reference).count()


@pytest.mark.django_db
def test_r_export_a_live_job_keeps_its_lease_and_a_stale_run_writes_nothing(month_data, manager, structure, month):
    batch = batches.request_export(actor=manager, month=month, structure=structure, run=False)
    ExportBatch.objects.filter(pk=batch.pk).update(job_state=JobState.RUNNING)
    assert batches.expire_stale() == []  # heartbeat written at creation: within the lease
    lease_passes(batch)
    assert batches.expire_stale() == [batch.pk]
    batch.refresh_from_db()
    batches.relaunch_export(batch=batch, actor=manager, run=False)
    # The task of the first attempt, delivered late (or a worker taken for dead that wakes up): nothing to claim.
    assert batches.produce(batch.pk, attempt=1).job_state == JobState.QUEUED
    assert not ExportLine.objects.filter(batch=batch).exists()
    assert batches.produce(batch.pk, attempt=2).job_state == JobState.DONE


@pytest.mark.django_db
def test_r_export_a_run_taken_for_dead_stops_when_relaunched(month_data, manager, structure, month, monkeypatch):
    """The slow worker comes back after its batch was relaunched: its next write raises LeaseLost, it stops."""
    batch = batches.request_export(actor=manager, month=month, structure=structure, run=False)

    def relaunch_meanwhile(b, name):
        if name == "lines" and b.attempt == 1:
            lease_passes(b)
            batches.expire_stale()
            batches.relaunch_export(batch=b, actor=manager, run=False)

    monkeypatch.setattr(batches, "checkpoint", relaunch_meanwhile)
    batches.produce(batch.pk)
    batch.refresh_from_db()
    assert (batch.attempt, batch.job_state, batch.job_error) == (2, JobState.QUEUED, "")
    assert not ExportLine.objects.filter(batch=batch).exists()


@pytest.mark.django_db
def test_r_export_only_a_failed_batch_is_relaunched_by_someone_who_may_produce_it(
    month_data, manager, counselor, structure, month
):
    batch, _ = reference_run(structure, month)
    with pytest.raises(RuleViolation, match="Seul un lot en échec"):
        batches.relaunch_export(batch=batch, actor=manager, run=False)
    ExportBatch.objects.filter(pk=batch.pk).update(job_state=JobState.FAILED)
    with pytest.raises(RuleViolation):
        batches.relaunch_export(batch=batch, actor=counselor, run=False)
    batch.refresh_from_db()
    assert batches.relaunch_export(batch=batch, actor=manager, run=False).job_state == JobState.QUEUED


@pytest.mark.django_db
def test_r_export_page_shows_failure_and_relaunches(month_data, manager, structure, month, client):
    """« En cours » forever before the lease: the page now shows « Échec » and a « Relancer » button that works."""
    client.force_login(manager)
    batch = batches.request_export(actor=manager, month=month, structure=structure, run=False)
    ExportBatch.objects.filter(pk=batch.pk).update(job_state=JobState.RUNNING, job_step="Calcul des lignes")
    detail = reverse("reporting:export_detail", args=[batch.pk])
    html = client.get(detail).content.decode()
    assert "Relancer" not in html and "hx-trigger" in html
    lease_passes(batch)
    progress = client.get(reverse("reporting:export_progress", args=[batch.pk]), HTTP_HX_REQUEST="true")
    assert progress["HX-Refresh"] == "true"  # the polling stops and the page reloads
    html = client.get(detail).content.decode()
    assert "La production a échoué" in html and "processus de fond interrompu" in html and "Relancer" in html
    assert "Échec" in client.get(reverse("reporting:exports")).content.decode()
    response = client.post(reverse("reporting:export_relaunch", args=[batch.pk]), follow=True)
    assert "est relancée (tentative n° 2)" in response.content.decode()
    batch.refresh_from_db()
    assert batch.attempt == 2 and batch.job_state == JobState.DONE  # the test settings run the task at once
    # Relaunching a produced batch is refused with a message.
    response = client.post(reverse("reporting:export_relaunch", args=[batch.pk]), follow=True)
    assert "Seul un lot en échec peut être relancé" in response.content.decode()


@pytest.mark.django_db
def test_r_export_cep_monthly_retry_resumes_a_month(month_data, structure, other_structure, month, capsys):
    """Killed during the second structure: --retry keeps the first (produced) and relaunches the second."""
    first, _ = reference_run(structure, month)
    dead = batches.request_export(actor=None, month=month, structure=other_structure, run=False)
    ExportBatch.objects.filter(pk=dead.pk).update(job_state=JobState.RUNNING)
    ExportLine.objects.create(
        batch=dead, resource="entrees", line_number=1, movement="creation", object_type="cep", object_id=1,
        line_hash="x", payload="half-written",
    )  # fmt: skip
    with pytest.raises(CommandError, match="déjà en cours"):  # within the lease: the month is still « en cours »
        call_command("cep_monthly", month=f"{month:%Y-%m}", structure=other_structure.pk)
    lease_passes(dead)
    call_command("cep_monthly", month=f"{month:%Y-%m}", retry=True)
    out = capsys.readouterr().out
    assert "1 lot(s) relancé(s), 1 lot(s) déjà produit(s) gardé(s)" in out
    dead.refresh_from_db()
    assert dead.job_state == JobState.DONE and dead.attempt == 2
    assert not ExportLine.objects.filter(batch=dead, payload="half-written").exists()
    assert ExportBatch.objects.filter(structure=structure, month=month).count() == 1  # kept, not produced again


@pytest.mark.django_db(transaction=True)
def test_r_export_real_worker_process_killed_then_relaunched_gives_identical_bytes(
    month_data, manager, structure, month, tmp_path
):
    """A real worker process (manage.py shell) killed with SIGKILL while it validates the files: its lines were
    committed, its files not. After the lease, `cep_monthly --retry` relaunches it: byte-identical files."""
    reference, expected = reference_run(structure, month)
    batch = batches.request_export(actor=manager, month=month, structure=structure, run=False)
    marker = tmp_path / "paused"
    script = (
        "import time\n"
        "from pathlib import Path\n"
        "from cep.reporting.exports import batches\n"
        "def pause(b, name):\n"
        "    if name == 'validate:services':\n"
        f"        Path({str(marker)!r}).write_text(name)\n"
        "        time.sleep(600)\n"
        "batches.checkpoint = pause\n"
        f"batches.produce({batch.pk})\n"
    )
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        # The test database, on a TCP host or on the embedded server's socket folder (encoded the one way).
        "DATABASE_URL": embedded_url((db["HOST"] or "127.0.0.1", db["PORT"] or 5432), db["NAME"], db["USER"]),
    }
    worker = subprocess.Popen([sys.executable, "manage.py", "shell", "-c", script], cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert worker.poll() is None, "the worker stopped before the step"
            assert time.monotonic() < deadline, "the worker never reached the step"
            time.sleep(0.05)
        os.kill(worker.pid, signal.SIGKILL)
        assert worker.wait(timeout=30) == -signal.SIGKILL
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    batch.refresh_from_db()
    assert batch.job_state == JobState.RUNNING and ExportLine.objects.filter(batch=batch).exists()
    assert not ExportFile.objects.filter(batch=batch).exists()
    lease_passes(batch)
    call_command("cep_monthly", month=f"{month:%Y-%m}", structure=structure.pk, retry=True)
    batch.refresh_from_db()
    assert batch.job_state == JobState.DONE and batch.attempt == 2
    assert digest(files_of(batch)) == digest(expected) and batch.sha256 == reference.sha256
