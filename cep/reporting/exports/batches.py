"""Monthly export batches: request, produce (background job), validate, transmit (the return file: returns.py).

Status: généré → validé (only when the validator found no error) → transmis → accusé de réception (return file
imported). A batch whose files have errors stays « généré »: fix the data and produce the month again.

The job carries a lease (cep/common/lease.py): it writes a heartbeat while it produces; a batch « En attente » or
« En cours » whose heartbeat is older than the lease lost its worker (killed, out of memory, machine restarted):
`expire_stale` marks it « Échec », and `relaunch_export` produces it again (page « Relancer », `cep_monthly
--retry`), removing in the same transaction the lines and files the dead run had written.
"""

import datetime
import hashlib
import logging
import tempfile

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from cep.accounts.rights import Right, Role
from cep.audit.services import record
from cep.common import months
from cep.common.access import ensure_right
from cep.common.dates import today
from cep.common.errors import RuleViolation
from cep.common.lease import Heartbeat, lease_seconds
from cep.common.months import month_bounds, month_start

from .contract import get_version, version_for_month
from .files import stream_file
from .lines import insert_lines
from .models import BatchStatus, ExportBatch, ExportFile, ExportLine, JobState, LineState, Movement, Scope
from .scopes import ExportScope
from .validation import Report, Validator, load_schema

logger = logging.getLogger(__name__)
PROGRESS_EVERY = 5000


def parse_month(text: str | None) -> datetime.date:
    """The declared month typed as AAAA-MM (months.parse_month), refused as a rule of the export."""
    try:
        return months.parse_month(text)
    except ValueError:
        raise RuleViolation("EXPORT", "Indiquez le mois au format AAAA-MM (par exemple 2026-10).", field="month")


def _check_scope_right(actor, scope: str, structure) -> None:
    if actor is None:
        return
    if scope == Scope.STRUCTURE:
        ensure_right(actor, Right.EXPORT_MONTHLY, structure.pk)
    else:
        ensure_right(actor, Right.EXPORT_MONTHLY)
        if actor.role != Role.ADMIN:
            raise RuleViolation("DROITS", "Seul un administrateur produit le fichier d'un opérateur ou national.")


ACTIVE = (JobState.QUEUED, JobState.RUNNING)
STALE_MESSAGE = (
    "Le traitement s'est arrêté sans terminer (processus de fond interrompu). Relancez la production : "
    "ce que le traitement interrompu avait écrit est effacé à la relance."
)


class LeaseLost(Exception):
    """This run is no longer the batch's current attempt (taken for dead, then relaunched): it stops, silently."""


def request_export(*, actor, month: datetime.date, structure=None, operator=None, run: bool = True) -> ExportBatch:
    """Record a batch to produce and hand it to the background worker (or produce it now, run=False)."""
    scope = Scope.STRUCTURE if structure is not None else Scope.OPERATOR if operator is not None else Scope.NATIONAL
    _check_scope_right(actor, scope, structure)
    month = month_start(month)
    if month >= month_start(today()):
        raise RuleViolation(
            "EXPORT", f"Le mois {month:%m/%Y} n'est pas terminé : seul un mois échu peut être déclaré.", field="month"
        )
    version = version_for_month(month)
    same_month = ExportBatch.objects.filter(scope=scope, structure=structure, operator=operator, month=month)
    expire_stale(same_month)
    if same_month.filter(job_state__in=ACTIVE).exists():
        raise RuleViolation("EXPORT", f"Le fichier de {month:%m/%Y} est déjà en cours de production.", field="month")
    batch = ExportBatch.objects.create(
        scope=scope,
        structure=structure,
        operator=operator,
        month=month,
        contract_version=version.version,
        created_by=actor,
        job_step="En attente du traitement",
        heartbeat_at=timezone.now(),
    )
    if run:
        _enqueue(batch)
    return batch


def _enqueue(batch: ExportBatch) -> None:
    """Hand the batch's current attempt to the worker; the task's id is kept to tell a waiting task from a lost one.

    The database backend writes the task in the current transaction: the worker sees it when the caller commits."""
    from .tasks import produce_export_batch

    result = produce_export_batch.enqueue(batch.pk, batch.attempt)
    batch.task_id = str(result.id)
    ExportBatch.objects.filter(pk=batch.pk, attempt=batch.attempt).update(task_id=batch.task_id)


def _task_waiting(task_id: str) -> bool:
    """True when the batch's task is still waiting for a worker (a long queue is not a dead job)."""
    if not task_id:
        return False
    from django_tasks import TaskResultStatus
    from django_tasks.exceptions import TaskResultDoesNotExist

    from .tasks import produce_export_batch

    try:
        return produce_export_batch.get_result(task_id).status == TaskResultStatus.READY
    except (TaskResultDoesNotExist, NotImplementedError, ValueError):
        return False


def is_stale(batch: ExportBatch, now: datetime.datetime | None = None) -> bool:
    """« En attente » or « En cours » without a heartbeat for longer than the lease (its task no longer waiting)."""
    if batch.job_state not in ACTIVE:
        return False
    cutoff = (now or timezone.now()) - datetime.timedelta(seconds=lease_seconds())
    if batch.heartbeat_at is not None and batch.heartbeat_at >= cutoff:
        return False
    return not (batch.job_state == JobState.QUEUED and _task_waiting(batch.task_id))


def expire_stale(batches=None) -> list[int]:
    """Mark « Échec » every batch (of `batches`, by default all) whose lease expired; returns their ids.

    Conditional update on the attempt and the heartbeat read: a job that beats meanwhile is left alone."""
    cutoff = timezone.now() - datetime.timedelta(seconds=lease_seconds())
    qs = (batches if batches is not None else ExportBatch.objects.all()).filter(job_state__in=ACTIVE)
    qs = qs.filter(heartbeat_at__lt=cutoff) | qs.filter(heartbeat_at__isnull=True)
    expired = []
    for batch in qs.order_by().only("pk", "job_state", "heartbeat_at", "attempt", "task_id"):
        if not is_stale(batch):
            continue
        done = ExportBatch.objects.filter(
            pk=batch.pk, attempt=batch.attempt, job_state=batch.job_state, heartbeat_at=batch.heartbeat_at
        ).update(job_state=JobState.FAILED, job_step="Échec", job_error=STALE_MESSAGE)
        if done:
            logger.warning("export batch %s: lease expired (attempt %s), marked failed", batch.pk, batch.attempt)
            expired.append(batch.pk)
    return expired


@transaction.atomic
def relaunch_export(*, batch: ExportBatch, actor, run: bool = True) -> ExportBatch:
    """Produce a failed batch again (a new attempt): its lines and files are removed in this same transaction.

    Takes the month's production lock first (a dead run taken for dead but still writing its lines finishes, then
    its lines are removed), then the batch's row. Refused unless the batch is « Échec » (or its lease expired)."""
    ensure_can_manage(actor, batch)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [_lock_key(batch)])
    expire_stale(ExportBatch.objects.filter(pk=batch.pk))
    batch = ExportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.job_state != JobState.FAILED:
        raise RuleViolation(
            "EXPORT",
            f"Seul un lot en échec peut être relancé (ce lot est « {batch.get_job_state_display()} »).",
        )
    others = ExportScope.of(batch).batches().filter(month=batch.month, job_state__in=ACTIVE).exclude(pk=batch.pk)
    expire_stale(others)
    if others.filter(job_state__in=ACTIVE).exists():
        raise RuleViolation("EXPORT", f"Le fichier de {batch.month:%m/%Y} est déjà en cours de production.")
    removed_lines, _ = ExportLine.objects.filter(batch=batch).delete()
    removed_files, _ = ExportFile.objects.filter(batch=batch).delete()
    before = {"attempt": batch.attempt, "job_error": batch.job_error}
    ExportBatch.objects.filter(pk=batch.pk).update(
        attempt=F("attempt") + 1,
        status=BatchStatus.GENERATED,
        job_state=JobState.QUEUED,
        job_step="En attente du traitement",
        job_error="",
        progress_done=0,
        progress_total=0,
        sha256="",
        row_count=0,
        error_count=0,
        validation_errors=[],
        auto_closed_count=0,
        generated_at=None,
        validated_at=None,
        heartbeat_at=timezone.now(),
        task_id="",
    )
    batch.refresh_from_db()
    record(
        actor=actor,
        action="relaunch_export",
        obj=batch,
        before=before,
        after={"attempt": batch.attempt, "removed_lines": removed_lines, "removed_files": removed_files},
        structure_id=batch.structure_id,
    )
    if run:
        _enqueue(batch)
    return batch


def _update(batch: ExportBatch, **fields) -> None:
    """Columns written at once (autocommit) so that the page polling them sees them."""
    for name, value in fields.items():
        setattr(batch, name, value)
    ExportBatch.objects.filter(pk=batch.pk).update(**fields)


def _job_update(batch: ExportBatch, **fields) -> None:
    """A column of the running job, written at once, renewing the lease; raises LeaseLost when the batch was
    relaunched meanwhile (this run was taken for dead): it then writes nothing more."""
    fields["heartbeat_at"] = timezone.now()
    for name, value in fields.items():
        setattr(batch, name, value)
    if not ExportBatch.objects.filter(pk=batch.pk, attempt=batch.attempt, job_state=JobState.RUNNING).update(**fields):
        raise LeaseLost(batch.pk)


def _beat(batch_id: int, attempt: int) -> None:
    ExportBatch.objects.filter(pk=batch_id, attempt=attempt, job_state=JobState.RUNNING).update(
        heartbeat_at=timezone.now()
    )


def _lock_key(batch: ExportBatch) -> str:
    return f"reporting:{batch.scope}:{batch.structure_id}:{batch.operator_id}:{batch.month:%Y-%m}"


def checkpoint(batch: ExportBatch, step: str) -> None:
    """A point between two steps of the production (the crash tests stop the worker at each of them)."""


def produce(batch_id: int, *, run_auto_close: bool = True, attempt: int | None = None) -> ExportBatch:
    """The job: automatic exits, lines, files, validation. Never raises: a failure is recorded on the batch.

    Claims the batch first (« En attente » → « En cours », for its current attempt): a task delivered twice, or
    the task of an attempt that was relaunched since, finds nothing to claim and does nothing."""
    batch = ExportBatch.objects.get(pk=batch_id)
    if attempt is None:
        attempt = batch.attempt
    claimed = ExportBatch.objects.filter(pk=batch_id, attempt=attempt, job_state=JobState.QUEUED).update(
        job_state=JobState.RUNNING, heartbeat_at=timezone.now()
    )
    if not claimed:
        logger.warning("export batch %s attempt %s: nothing to claim (state %s)", batch_id, attempt, batch.job_state)
        return batch
    batch.refresh_from_db()
    try:
        with Heartbeat(lambda: _beat(batch_id, attempt)):
            _produce(batch, run_auto_close=run_auto_close)
    except LeaseLost:
        logger.warning("export batch %s attempt %s: relaunched meanwhile, this run stops", batch_id, attempt)
    except RuleViolation as exc:
        _fail(batch, exc.message)
    except Exception:
        logger.exception("export batch %s failed", batch_id)
        _fail(
            batch,
            "La production du fichier a échoué de façon inattendue ; aucune donnée n'a été perdue. "
            "Relancez la production ou prévenez l'administrateur.",
        )
    return batch


def _fail(batch: ExportBatch, message: str) -> None:
    fields = {"job_state": JobState.FAILED, "job_error": message, "job_step": "Échec"}
    for name, value in fields.items():
        setattr(batch, name, value)
    ExportBatch.objects.filter(pk=batch.pk, attempt=batch.attempt, job_state=JobState.RUNNING).update(**fields)


def _produce(batch: ExportBatch, *, run_auto_close: bool) -> None:
    from cep.enrolments.services import auto_close

    version = get_version(batch.contract_version)
    _job_update(batch, job_step="Sortie automatique des CEP sans manifestation depuis 6 mois")
    checkpoint(batch, "auto_close")
    closed = auto_close(on=min(month_bounds(batch.month)[1], today())) if run_auto_close else 0
    checkpoint(batch, "auto_closed")
    _job_update(batch, auto_closed_count=closed, job_step="Calcul des lignes du mois et des corrections")
    counts = _generate_lines(batch, version)
    checkpoint(batch, "lines")
    total = sum(sum(c.values()) for c in counts.values())
    _job_update(
        batch, progress_total=total, progress_done=0, job_step="Contrôle des fichiers et calcul des empreintes"
    )
    report, files = Report(), []
    done_before = 0
    for resource in version.resources.values():
        validator = Validator(load_schema(version, resource.name), resource, batch.month)
        before, report.file = report.rows, resource.name
        sha256, size = _hash_and_validate(batch, resource, validator, report, done_before, total)
        checkpoint(batch, f"validate:{resource.name}")
        done_before += report.rows - before
        _job_update(batch, progress_done=done_before)
        by_movement = counts.get(resource.name, {})
        files.append(
            ExportFile(
                batch=batch,
                resource=resource.name,
                name=batch_file_name(batch, resource.name),
                sha256=sha256,
                size=size,
                row_count=sum(by_movement.values()),
                creation_count=by_movement.get(Movement.CREATION, 0),
                modification_count=by_movement.get(Movement.MODIFICATION, 0),
                deletion_count=by_movement.get(Movement.DELETION, 0),
            )
        )
    manifest = "".join(f"{f.sha256}  {f.name}\n" for f in files)
    now = timezone.now()
    with transaction.atomic():
        ExportFile.objects.filter(batch=batch).delete()
        ExportFile.objects.bulk_create(files)
        checkpoint(batch, "files")
        valid = report.valid
        _job_update(
            batch,
            sha256=hashlib.sha256(manifest.encode()).hexdigest(),
            row_count=total,
            error_count=report.error_count,
            validation_errors=[e.as_dict() for e in report.errors],
            status=BatchStatus.VALIDATED if valid else BatchStatus.GENERATED,
            validated_at=now if valid else None,
            generated_at=batch.generated_at,
            job_state=JobState.DONE,
            job_step="Fichier validé" if valid else "Fichier refusé par le contrôle : corrigez les erreurs",
            progress_done=total,
        )
    checkpoint(batch, "done")


def _hash_and_validate(batch, resource, validator, report, done_before: int, total: int) -> tuple[str, int]:
    """The file's SHA-256 and size, then the validation of every row with the progress written as it goes.

    The COPY stream is spooled to a temporary file first: the progress updates use the same database connection,
    which is busy until a COPY ends (querying it meanwhile would block forever). Memory stays flat.
    """
    digest, size = hashlib.sha256(), 0
    with tempfile.TemporaryFile() as spool:
        for chunk in stream_file(batch.pk, resource):
            digest.update(chunk)
            size += len(chunk)
            spool.write(chunk)
        spool.seek(0)

        def progress(rows):
            _job_update(batch, progress_done=min(total, done_before + rows))

        lines = (raw.decode("utf-8") for raw in spool)
        validator.validate_lines(lines, report, progress, progress_every=PROGRESS_EVERY)
    return digest.hexdigest(), size


def _generate_lines(batch: ExportBatch, version) -> dict:
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        with connection.cursor() as cursor:
            if outermost:
                # The three files see the same snapshot of the data.
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [_lock_key(batch)])
        # Under the month's lock: a relaunch (which takes it too) may have made this run stale meanwhile. The batch
        # row is not locked here: the heartbeat thread keeps writing it while the lines are computed.
        if not ExportBatch.objects.filter(pk=batch.pk, attempt=batch.attempt, job_state=JobState.RUNNING).exists():
            raise LeaseLost(batch.pk)
        ExportLine.objects.filter(batch=batch).delete()
        batch.generated_at = timezone.now()  # written with the job's end (a failed run has no generation date)
        counts = insert_lines(batch, version)
        checkpoint(batch, "lines_inserted")
        return counts


def batch_file_name(batch: ExportBatch, resource: str) -> str:
    from .contract import file_name

    return file_name(resource, batch.month, batch.contract_version, ExportScope.of(batch).suffix)


def ensure_can_manage(actor, batch: ExportBatch) -> None:
    _check_scope_right(actor, batch.scope, batch.structure)


@transaction.atomic
def mark_transmitted(*, batch: ExportBatch, actor) -> ExportBatch:
    ensure_can_manage(actor, batch)
    batch = ExportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != BatchStatus.VALIDATED:
        raise RuleViolation(
            "EXPORT", f"Seul un lot « Validé » peut être transmis (ce lot est « {batch.get_status_display()} »)."
        )
    already = (
        ExportScope.of(batch)
        .batches()
        .filter(month=batch.month, status__in=(BatchStatus.TRANSMITTED, BatchStatus.ACKNOWLEDGED))
        .exclude(pk=batch.pk)
        .first()
    )
    if already is not None:
        raise RuleViolation(
            "EXPORT",
            f"Le lot n° {already.pk} du mois {batch.month:%m/%Y} a déjà été transmis : les corrections partiront "
            "avec le mois suivant.",
        )
    batch.lines.filter(state=LineState.NEW).update(state=LineState.SENT)
    _update(batch, status=BatchStatus.TRANSMITTED, transmitted_at=timezone.now(), transmitted_by=actor)
    record(
        actor=actor,
        action="transmit_export",
        obj=batch,
        before=None,
        after={"status": batch.status},
        structure_id=batch.structure_id,
    )
    return batch
