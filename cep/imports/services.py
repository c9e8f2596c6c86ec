"""Import batches: check a file (dry run), confirm it (applied in the background), undo it. docs/import.md.

- `check_file` reads the file once, streamed, and saves the batch and its lines (COPY), then plans every line with
  a few set-based statements. It writes nothing but the batch: no dossier, no audit row, no search word.
- `confirm` records who confirmed and hands the batch to the worker (`apply`, or at once with run=False).
- `apply` writes the saved plan (never the file again) in one transaction: the whole batch or nothing; it first
  checks that the plan still holds (nobody created or changed one of its dossiers since the check).
- `undo` checks the request and hands it to the worker; `perform_undo` reverts the applied batch in one
  transaction while nothing was built on its dossiers since.
"""

import datetime
import json
import logging
import threading

from django.db import OperationalError, connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from cep.accounts.rights import Right
from cep.audit.services import record
from cep.common.access import ensure_right
from cep.common.errors import RuleViolation
from cep.common.lease import Heartbeat, lease_seconds

from . import beneficiaries, ceps, created, events, service_proposals
from .columns import CellError, map_columns
from .models import ACTIVE_STATUSES, UNDO_STATUSES, ImportBatch, ImportLine, Kind, Outcome, Status
from .reading import MAX_CELL, open_table

logger = logging.getLogger(__name__)

MAX_LINES = 1_000_000
APPLY_CHUNK = 50_000  # lines per statement while applying (the progress bar moves between them)
STALE_PLAN = (
    "Les dossiers ont changé depuis le contrôle du fichier (ligne {line}) : rien n'a été importé. Déposez le fichier "
    "à nouveau pour refaire le contrôle."
)
STALE_JOB = "Le traitement s'est arrêté sans terminer (processus de fond interrompu) : rien n'a été importé."
FAILED_JOB = "L'import a échoué de façon inattendue : rien n'a été importé. Prévenez l'administrateur."


def ensure_can_import(actor, structure_id: int | None = None) -> None:
    ensure_right(actor, Right.IMPORT_DATA, structure_id)
    if actor is not None and actor.structure_id is None:
        raise RuleViolation(
            "IMPORT", "Un import se fait pour une structure : connectez-vous avec un compte de structure."
        )


# Each kind of file: its template, its check, its plan, apply and undo (docs/import.md).
KINDS = {
    Kind.BENEFICIARIES: beneficiaries,
    Kind.CEPS: ceps,
    Kind.EVENTS: events,
    Kind.SERVICES: service_proposals,
}


COPY_BLOCK = 5_000  # lines checked, then written by one COPY with the ids of their future rows


def _copy_lines(batch: ImportBatch, table, index: dict[str, int], checker, target: str) -> tuple[int, int | None]:
    """Check every row and write its line (COPY, streamed by blocks). A « create » line gets the id of the row it
    will create in `target` (created.draw_ids). Returns the number of lines and the first id drawn (None: none)."""
    count, first_id = 0, None
    block: list[tuple] = []
    with connection.cursor() as cursor:
        for number, cells in table.rows():
            count += 1
            if count > MAX_LINES:
                raise RuleViolation(
                    "IMPORT", f"Le fichier dépasse {MAX_LINES:,} lignes : découpez-le.".replace(",", " ")
                )
            block.append(_checked_line(batch, table, index, checker, number, cells))
            if len(block) == COPY_BLOCK:
                drawn = _write_block(cursor, block, target)
                first_id, block = first_id or drawn, []
        if block:
            drawn = _write_block(cursor, block, target)
            first_id = first_id or drawn
    return count, first_id


def _checked_line(batch: ImportBatch, table, index: dict[str, int], checker, number: int, cells: list[str]) -> tuple:
    if any(len(value) > MAX_CELL for value in cells):
        column = next(i for i, v in enumerate(cells) if len(v) > MAX_CELL)
        name = table.header[column] if column < len(table.header) else f"colonne {column + 1}"
        errors = [
            {
                "column": name,
                "rule": "SAISIE",
                "message": f"Cellule de plus de {MAX_CELL} caractères : elle n'est pas lue.",
            }
        ]
        cells = [v[:200] for v in cells]
        key, data = "", None
    else:
        key, data, errors = checker.check(index, cells)
    if errors:
        return (batch.pk, number, Outcome.REFUSED, "", None, _json(errors), _json(cells[: len(table.header)]))
    return (batch.pk, number, Outcome.CREATE, key, _json(data), None, None)


def _write_block(cursor, block: list[tuple], target: str) -> int | None:
    """COPY one block of checked lines; returns the first id drawn for its « create » lines (None: none)."""
    creates = sum(line[2] == Outcome.CREATE for line in block)
    drawn = created.draw_ids(cursor, target, creates) if creates else []
    ids = iter(drawn)
    with cursor.copy(
        "COPY imports_importline (batch_id, line_number, outcome, match_key, data, errors, raw, object_id) FROM STDIN"
    ) as copy:
        for line in block:
            copy.write_row((*line, next(ids) if line[2] == Outcome.CREATE else None))
    return drawn[0] if drawn else None


_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str)  # built once: json.dumps builds one per call


def _json(value) -> str:
    """JSON for a jsonb column: PostgreSQL refuses the NUL character even escaped (it is shown as U+FFFD)."""
    return _ENCODER.encode(value).replace("\\u0000", "\\ufffd")


def check_file(*, actor, file, name: str, kind: str = Kind.BENEFICIARIES, encoding: str | None = None) -> ImportBatch:
    """The dry run: a batch « Contrôlé » with one planned line per data row. A file that cannot be read is refused
    whole (RuleViolation « IMPORT ») and nothing is written."""
    ensure_can_import(actor)
    if kind not in KINDS:
        raise RuleViolation("IMPORT", "Ce type de fichier n'est pas encore importable.")
    module = KINDS[kind]
    table = open_table(file, name, encoding)
    try:
        index, mapping, ignored = map_columns(table.header, module.COLUMNS)
    except CellError as error:
        raise RuleViolation(error.rule, error.message) from None
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            structure_id=actor.structure_id,
            kind=kind,
            file_name=name.replace("\x00", "\ufffd")[:255],
            file_sha256=table.sha256,
            file_size=table.size,
            file_format=table.format,
            encoding=table.encoding,
            encoding_detected=table.encoding_detected,
            delimiter=table.delimiter,
            column_mapping=mapping,
            ignored_columns=ignored,
            created_by=actor,
        )
        checker = module.checker(batch)
        lines, first_id = _copy_lines(batch, table, index, checker, module.TABLE)
        if not lines:
            raise RuleViolation("IMPORT", "Le fichier ne contient aucune ligne de données sous l'en-tête.")
        with connection.cursor() as cursor:
            # The lines were just written: without statistics the planner would join them row by row. Only the
            # columns the plan joins and filters on (the JSON columns are long to sample and never filtered on).
            cursor.execute("ANALYZE imports_importline (batch_id, line_number, outcome, match_key, object_id)")
            module.plan(cursor, batch, checker)
            if first_id is not None:
                created.forget_unused_ids(cursor, module.TABLE, batch.pk, first_id)
        _count(batch, lines)
    return batch


def _count(batch: ImportBatch, lines: int) -> None:
    rows = (
        ImportLine.objects.filter(batch=batch)
        .order_by()
        .values_list("outcome")
        .annotate(n=Count("*"), warned=Count("line_number", filter=Q(warnings__isnull=False)))
    )
    counts = {outcome: (n, warned) for outcome, n, warned in rows}
    for outcome in Outcome.values:
        setattr(batch, f"{outcome}_count", counts.get(outcome, (0, 0))[0])
    batch.warning_count = sum(warned for _, warned in counts.values())
    batch.line_count = lines
    batch.progress_total = lines
    batch.save()


def _batch_for_update(batch_id: int, actor) -> ImportBatch:
    batch = ImportBatch.objects.select_for_update().get(pk=batch_id)
    ensure_can_import(actor, batch.structure_id)
    return batch


@transaction.atomic
def confirm(*, batch: ImportBatch, actor, encoding_confirmed: bool, run: bool = True) -> ImportBatch:
    """« Confirmer l'import »: the saved plan is handed to the background worker (run=False: applied now)."""
    batch = _batch_for_update(batch.pk, actor)
    if batch.status != Status.CHECKED:
        raise RuleViolation("IMPORT", f"Ce lot n'est plus à confirmer (il est « {batch.get_status_display()} »).")
    if batch.file_format == "csv" and not encoding_confirmed:
        raise RuleViolation(
            "IMPORT",
            f"Confirmez l'encodage du fichier ({batch.encoding_label}) après avoir vérifié les accents de l'aperçu.",
            field="encoding_confirmed",
        )
    if not (batch.create_count or batch.update_count):
        raise RuleViolation("IMPORT", "Aucune ligne à créer ni à mettre à jour : il n'y a rien à importer.")
    if ImportBatch.objects.filter(structure_id=batch.structure_id, status__in=ACTIVE_STATUSES).exists():
        raise RuleViolation("IMPORT", "Un autre import de la structure est en cours : attendez qu'il se termine.")
    batch.status, batch.confirmed_by, batch.confirmed_at = Status.QUEUED, actor, timezone.now()
    batch.heartbeat_at, batch.job_step, batch.progress_done = timezone.now(), "En attente du traitement", 0
    batch.progress_total = batch.create_count + batch.update_count
    batch.save()
    # Handed over once this transaction commits: the job never runs while the batch's row is still locked here
    # (a task backend that runs at once would otherwise wait on it).
    transaction.on_commit(lambda: _enqueue(batch) if run else apply(batch.pk, attempt=batch.attempt))
    return batch


def _enqueue(batch: ImportBatch) -> None:
    from .tasks import apply_import_batch

    result = apply_import_batch.enqueue(batch.pk, batch.attempt)
    ImportBatch.objects.filter(pk=batch.pk, attempt=batch.attempt).update(task_id=str(result.id))


def _progress(batch_id: int, **fields) -> None:
    """Written on a connection of its own (a thread) and committed at once: the polling page sees it while the
    batch's one transaction is still open."""

    def write():
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:  # never wait long on the batch's row: skip this beat instead
                    cursor.execute("SET LOCAL lock_timeout = '2s'")
                ImportBatch.objects.filter(pk=batch_id).update(heartbeat_at=timezone.now(), **fields)
        except OperationalError:
            logger.warning("import batch %s: progress not written (row locked)", batch_id)
        finally:
            connection.close()

    thread = threading.Thread(target=write, name="cep-import-progress")
    thread.start()
    thread.join()


def _run_job(
    batch_id: int, attempt: int | None, *, waiting: str, running: str, step: str, work, failed, unexpected: str
) -> ImportBatch:
    """A job on one batch (apply or undo): claimed once (`waiting` → `running` for this attempt), done in one
    transaction with a heartbeat. Never raises: a refusal, or `unexpected` for any other error, is handed to
    `failed(batch, message)`."""
    batch = ImportBatch.objects.get(pk=batch_id)
    attempt = batch.attempt if attempt is None else attempt
    if not ImportBatch.objects.filter(pk=batch_id, attempt=attempt, status=waiting).update(
        status=running, heartbeat_at=timezone.now(), job_step=step
    ):
        return batch  # delivered twice, or already taken for dead
    batch.refresh_from_db()
    try:
        with Heartbeat(lambda: _progress(batch_id)):
            with transaction.atomic():
                work(batch)
    except RuleViolation as exc:
        failed(batch, exc.message)
    except Exception:
        logger.exception("job on import batch %s failed", batch_id)
        failed(batch, unexpected)
    batch.refresh_from_db()
    return batch


def apply(batch_id: int, *, attempt: int | None = None) -> ImportBatch:
    """The job: the saved plan written in one transaction. Never raises: a failure is recorded on the batch."""
    return _run_job(
        batch_id,
        attempt,
        waiting=Status.QUEUED,
        running=Status.RUNNING,
        step="Écriture des dossiers",
        work=_apply,
        failed=_fail,
        unexpected=FAILED_JOB,
    )


def _fail(batch: ImportBatch, message: str) -> None:
    ImportBatch.objects.filter(pk=batch.pk, status=Status.RUNNING).update(
        status=Status.FAILED, job_error=message, job_step="Échec"
    )


def _apply(batch: ImportBatch) -> None:
    # The batch's row is not locked here: the progress is written on another connection (it would wait for this
    # transaction). The claim (QUEUED → RUNNING for one attempt) already makes this run the only one.
    module = KINDS[batch.kind]
    actor = batch.confirmed_by
    params = {"batch": batch.pk, "structure": batch.structure_id}
    with connection.cursor() as cursor:
        # One import at a time per structure: two batches of the same people would both plan a creation.
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"imports:{batch.structure_id}"])
        stale = module.stale_line(cursor, params)
        if stale:
            raise RuleViolation("IMPORT", STALE_PLAN.format(line=stale))
        referent = actor.pk if actor.structure_id == batch.structure_id else None
        done, last = 0, _last_line(batch)
        for low in range(1, last + 1, APPLY_CHUNK):
            chunk = {**params, "low": low, "high": low + APPLY_CHUNK - 1, "referent": referent, "actor": actor.pk}
            done += module.apply_chunk(cursor, chunk)
            _progress(batch.pk, progress_done=done, job_step=f"Écriture des {module.WRITTEN}")
        _progress(batch.pk, job_step=f"Historique des {module.WRITTEN}")
        module.audit_apply(cursor, {**params, "actor": actor.pk, "actor_label": str(actor)})
    batch.status, batch.applied_at, batch.job_step = Status.APPLIED, timezone.now(), "Terminé"
    batch.progress_done = batch.progress_total
    batch.save(update_fields=["status", "applied_at", "job_step", "progress_done"])
    record(
        actor=actor,
        action="apply_import",
        obj=batch,
        before={"status": Status.QUEUED},
        after={"status": Status.APPLIED, "file_sha256": batch.file_sha256, **_counts(batch)},
    )


def _counts(batch) -> dict:
    return {f"{k}_count": v for k, v in batch.counts().items()}


def _last_line(batch: ImportBatch) -> int:
    line = ImportLine.objects.filter(batch=batch).order_by("-line_number").values_list("line_number", flat=True)
    return line.first() or 0


def _ensure_nothing_built_on(batch: ImportBatch) -> None:
    module = KINDS[batch.kind]
    built = module.built_on(batch)
    if built:
        raise RuleViolation(
            "IMPORT_ANNULATION", f"L'import ne peut plus être annulé : {module.UNDO_BLOCKED.format(built=built)}"
        )


STALE_UNDO = "L'annulation s'est arrêtée sans terminer (processus de fond interrompu) : rien n'a été annulé."
FAILED_UNDO = "L'annulation a échoué de façon inattendue : rien n'a été annulé. Prévenez l'administrateur."


@transaction.atomic
def undo(*, batch: ImportBatch, actor, run: bool = True) -> ImportBatch:
    """« Annuler l'import »: checked now (right, state, nothing built on its dossiers), then handed to the
    background worker (`perform_undo`; run=False: done now), since deleting a large batch's dossiers takes minutes.
    The dossiers created are deleted and the ones updated get their values back, in one transaction; refused
    (IMPORT_ANNULATION) once anything was built on one of them."""
    batch = _batch_for_update(batch.pk, actor)
    if batch.status != Status.APPLIED:
        raise RuleViolation(
            "IMPORT_ANNULATION",
            f"Seul un import terminé peut être annulé (ce lot est « {batch.get_status_display()} »).",
        )
    if ImportBatch.objects.filter(structure_id=batch.structure_id, status__in=ACTIVE_STATUSES).exists():
        raise RuleViolation("IMPORT_ANNULATION", "Un autre import de la structure est en cours : attendez sa fin.")
    _ensure_nothing_built_on(batch)
    batch.status, batch.undone_by, batch.attempt = Status.TO_UNDO, actor, batch.attempt + 1
    batch.heartbeat_at, batch.job_step, batch.job_error, batch.task_id = timezone.now(), "En attente", "", ""
    batch.save()
    attempt = batch.attempt
    transaction.on_commit(lambda: _enqueue_undo(batch) if run else perform_undo(batch.pk, attempt=attempt))
    return batch


def _enqueue_undo(batch: ImportBatch) -> None:
    from .tasks import undo_import_batch

    result = undo_import_batch.enqueue(batch.pk, batch.attempt)
    ImportBatch.objects.filter(pk=batch.pk, attempt=batch.attempt).update(task_id=str(result.id))


def perform_undo(batch_id: int, *, attempt: int | None = None) -> ImportBatch:
    """The undo job, in one transaction. Never raises: refused or failed, the batch stays « Importé » and says why."""
    return _run_job(
        batch_id,
        attempt,
        waiting=Status.TO_UNDO,
        running=Status.UNDOING,
        step="Vérification",
        work=_undo,
        failed=_undo_failed,
        unexpected=FAILED_UNDO,
    )


def _undo_failed(batch: ImportBatch, message: str) -> None:
    ImportBatch.objects.filter(pk=batch.pk, status__in=UNDO_STATUSES).update(
        status=Status.APPLIED, job_error=message, job_step="", undone_by=None
    )


def _undo(batch: ImportBatch) -> None:
    module = KINDS[batch.kind]
    actor = batch.undone_by
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"imports:{batch.structure_id}"])
    _ensure_nothing_built_on(batch)  # again: a CEP may have been opened on one of its dossiers since the request
    audit = {"batch": batch.pk, "structure": batch.structure_id, "actor": actor.pk, "actor_label": str(actor)}
    _progress(batch.pk, job_step="Suppression de ce que l'import a écrit")
    with connection.cursor() as cursor:
        module.undo(cursor, audit)
    ImportBatch.objects.filter(pk=batch.pk).update(status=Status.UNDONE, undone_at=timezone.now(), job_step="")
    record(
        actor=actor,
        action="undo_import",
        obj=batch,
        before={"status": Status.APPLIED},
        after={"status": Status.UNDONE},
    )


def expire_stale(batches=None) -> list[int]:
    """Mark « Échec » the batches whose job stopped beating for longer than the lease (the worker died): their
    transaction was rolled back by PostgreSQL, nothing was written."""
    cutoff = timezone.now() - datetime.timedelta(seconds=lease_seconds())
    qs = (batches if batches is not None else ImportBatch.objects.all()).filter(heartbeat_at__lt=cutoff)
    dead = Q(status=Status.RUNNING) | Q(status=Status.QUEUED, task_id="")  # stopped beating, or never handed over
    ids = list(qs.filter(dead).values_list("pk", flat=True))
    if ids:
        ImportBatch.objects.filter(dead, pk__in=ids, heartbeat_at__lt=cutoff).update(
            status=Status.FAILED, job_error=STALE_JOB, job_step="Échec"
        )
    # A dead undo rolled back too: the import stays applied, and says so.
    dead_undo = Q(status=Status.UNDOING) | Q(status=Status.TO_UNDO, task_id="")
    undo_ids = list(qs.filter(dead_undo).values_list("pk", flat=True))
    if undo_ids:
        ImportBatch.objects.filter(dead_undo, pk__in=undo_ids, heartbeat_at__lt=cutoff).update(
            status=Status.APPLIED, job_error=STALE_UNDO, job_step="", undone_by=None
        )
    return ids + undo_ids


@transaction.atomic
def discard(*, batch: ImportBatch, actor) -> None:
    """« Abandonner »: a checked batch that will not be confirmed is removed with its lines."""
    batch = _batch_for_update(batch.pk, actor)
    if batch.status not in (Status.CHECKED, Status.FAILED):
        raise RuleViolation("IMPORT", "Seul un lot contrôlé et non importé peut être abandonné.")
    ImportLine.objects.filter(batch=batch).delete()
    batch.delete()
