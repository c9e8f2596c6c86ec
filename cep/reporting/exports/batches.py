"""Monthly export batches: request, produce (background job), validate, transmit (the return file: returns.py).

Status: généré → validé (only when the validator found no error) → transmis → accusé de réception (return file
imported). A batch whose files have errors stays « généré »: fix the data and produce the month again.
"""

import datetime
import hashlib
import logging
import tempfile

from django.db import connection, transaction
from django.utils import timezone

from cep.accounts.rights import Right, Role
from cep.audit.services import record
from cep.common import months
from cep.common.access import ensure_right
from cep.common.dates import today
from cep.common.errors import RuleViolation
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
    running = ExportBatch.objects.filter(
        scope=scope,
        structure=structure,
        operator=operator,
        month=month,
        job_state__in=(JobState.QUEUED, JobState.RUNNING),
    )
    if running.exists():
        raise RuleViolation("EXPORT", f"Le fichier de {month:%m/%Y} est déjà en cours de production.", field="month")
    batch = ExportBatch.objects.create(
        scope=scope,
        structure=structure,
        operator=operator,
        month=month,
        contract_version=version.version,
        created_by=actor,
        job_step="En attente du traitement",
    )
    if run:
        from .tasks import produce_export_batch

        produce_export_batch.enqueue(batch.pk)
    return batch


def _update(batch: ExportBatch, **fields) -> None:
    """Progress columns are written at once (autocommit) so that the page polling them sees them."""
    for name, value in fields.items():
        setattr(batch, name, value)
    ExportBatch.objects.filter(pk=batch.pk).update(**fields)


def _lock_key(batch: ExportBatch) -> str:
    return f"reporting:{batch.scope}:{batch.structure_id}:{batch.operator_id}:{batch.month:%Y-%m}"


def produce(batch_id: int, *, run_auto_close: bool = True) -> ExportBatch:
    """The job: automatic exits, lines, files, validation. Never raises: a failure is recorded on the batch."""
    from cep.enrolments.services import auto_close

    batch = ExportBatch.objects.get(pk=batch_id)
    version = get_version(batch.contract_version)
    try:
        _update(
            batch, job_state=JobState.RUNNING, job_step="Sortie automatique des CEP sans manifestation depuis 6 mois"
        )
        closed = auto_close(on=min(month_bounds(batch.month)[1], today())) if run_auto_close else 0
        _update(batch, auto_closed_count=closed, job_step="Calcul des lignes du mois et des corrections")
        counts = _generate_lines(batch, version)
        total = sum(sum(c.values()) for c in counts.values())
        _update(
            batch, progress_total=total, progress_done=0, job_step="Contrôle des fichiers et calcul des empreintes"
        )
        report, files = Report(), []
        done_before = 0
        for resource in version.resources.values():
            validator = Validator(load_schema(version, resource.name), resource, batch.month)
            before, report.file = report.rows, resource.name
            sha256, size = _hash_and_validate(batch, resource, validator, report, done_before, total)
            done_before += report.rows - before
            _update(batch, progress_done=done_before)
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
            valid = report.valid
            _update(
                batch,
                sha256=hashlib.sha256(manifest.encode()).hexdigest(),
                row_count=total,
                error_count=report.error_count,
                validation_errors=[e.as_dict() for e in report.errors],
                status=BatchStatus.VALIDATED if valid else BatchStatus.GENERATED,
                validated_at=now if valid else None,
                job_state=JobState.DONE,
                job_step="Fichier validé" if valid else "Fichier refusé par le contrôle : corrigez les erreurs",
                progress_done=total,
            )
    except RuleViolation as exc:
        _update(batch, job_state=JobState.FAILED, job_error=exc.message, job_step="Échec")
    except Exception:
        logger.exception("export batch %s failed", batch_id)
        _update(
            batch,
            job_state=JobState.FAILED,
            job_step="Échec",
            job_error="La production du fichier a échoué de façon inattendue ; aucune donnée n'a été perdue. "
            "Relancez la production ou prévenez l'administrateur.",
        )
    return batch


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
            _update(batch, progress_done=min(total, done_before + rows))

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
        ExportLine.objects.filter(batch=batch).delete()
        batch.generated_at = timezone.now()
        ExportBatch.objects.filter(pk=batch.pk).update(generated_at=batch.generated_at)
        return insert_lines(batch, version)


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
