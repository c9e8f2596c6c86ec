"""Monthly export batches: request, produce (background job), validate, transmit, import the return file.

Status: généré → validé (only when the validator found no error) → transmis → accusé de réception (return file
imported). A batch whose files have errors stays « généré »: fix the data and produce the month again.
"""

import datetime
import hashlib
import logging
import re
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
from .exports import ExportScope, insert_lines, stream_file
from .models import BatchStatus, ExportBatch, ExportFile, ExportLine, JobState, LineState, Movement, Scope
from .validation import Report, Validator, load_schema

logger = logging.getLogger(__name__)
ACCEPTED = "0000"
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


def parse_return_file(content: bytes) -> list[tuple[int, str, str]]:
    """`ligne;code;message` lines (an optional header line). Every error is reported, nothing is applied."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RuleViolation("RETOUR", "Le fichier retour doit être un fichier CSV encodé en UTF-8.", field="file")
    rows, errors, seen = [], [], set()
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        parts = [p.strip() for p in raw.split(";", 2)]
        if number == 1 and not parts[0].isdigit():
            continue  # header
        if len(parts) < 2:
            errors.append(f"ligne {number} : le format attendu est « numéro de ligne;code;message »")
            continue
        line, code, message = parts[0], parts[1], parts[2] if len(parts) > 2 else ""
        if not line.isdigit():
            errors.append(f"ligne {number} : « {line} » n'est pas un numéro de ligne")
        elif not re.fullmatch(r"[A-Za-z0-9]{4}", code):
            errors.append(
                f"ligne {number} : le code retour « {code} » doit comporter 4 caractères (lettres ou chiffres)"
            )
        elif int(line) in seen:
            errors.append(f"ligne {number} : la ligne {line} est citée deux fois")
        else:
            seen.add(int(line))
            rows.append((int(line), code, message[:500]))
    if errors:
        more = f" (et {len(errors) - 5} autre(s))" if len(errors) > 5 else ""
        raise RuleViolation("RETOUR", "Fichier retour refusé : " + " ; ".join(errors[:5]) + more + ".", field="file")
    if not rows:
        raise RuleViolation("RETOUR", "Le fichier retour ne contient aucune ligne.", field="file")
    return rows


@transaction.atomic
def import_return_file(*, batch: ExportBatch, resource: str, content: bytes, actor) -> dict[str, int]:
    """Set each cited line's state (0000 = traitée, any other code = rejetée) and its return code and message."""
    ensure_can_manage(actor, batch)
    batch = ExportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status not in (BatchStatus.TRANSMITTED, BatchStatus.ACKNOWLEDGED):
        raise RuleViolation("RETOUR", "Un fichier retour ne s'importe que pour un lot transmis.")
    version = get_version(batch.contract_version)
    if resource not in version.resources:
        raise RuleViolation("RETOUR", "Choisissez le fichier concerné par ce retour.", field="resource")
    rows = parse_return_file(content)
    numbers = set(batch.lines.filter(resource=resource).values_list("line_number", flat=True))
    unknown = sorted(n for n, _, _ in rows if n not in numbers)
    if unknown:
        shown = ", ".join(str(n) for n in unknown[:10])
        raise RuleViolation(
            "RETOUR",
            f"Fichier retour refusé : lignes inconnues dans le fichier « {resource} » : {shown}.",
            field="file",
        )
    _apply_return_codes(batch, resource, rows)
    if batch.status != BatchStatus.ACKNOWLEDGED:
        _update(batch, status=BatchStatus.ACKNOWLEDGED, acknowledged_at=timezone.now())
    accepted = sum(1 for _, code, _ in rows if code == ACCEPTED)
    record(
        actor=actor,
        action="import_export_return",
        obj=batch,
        before=None,
        after={"resource": resource, "processed": accepted, "rejected": len(rows) - accepted},
        structure_id=batch.structure_id,
    )
    return {"processed": accepted, "rejected": len(rows) - accepted}


RETURN_CHUNK = 5000


def _apply_return_codes(batch: ExportBatch, resource: str, rows) -> None:
    """One UPDATE … FROM (VALUES …) per chunk."""
    with connection.cursor() as cursor:
        for start in range(0, len(rows), RETURN_CHUNK):
            chunk = rows[start : start + RETURN_CHUNK]
            values = ", ".join(["(%s, %s, %s)"] * len(chunk))
            params = [v for row in chunk for v in row]
            cursor.execute(
                f"UPDATE reporting_exportline l SET return_code = v.code, return_message = v.message, "
                f"state = CASE WHEN v.code = %s THEN 'processed' ELSE 'rejected' END "
                f"FROM (VALUES {values}) AS v(line_number, code, message) "
                f"WHERE l.batch_id = %s AND l.resource = %s AND l.line_number = v.line_number",
                [ACCEPTED, *params, batch.pk, resource],
            )


def previous_batch(batch: ExportBatch) -> ExportBatch | None:
    return (
        ExportScope.of(batch)
        .batches()
        .filter(month=batch.month, job_state=JobState.DONE, pk__lt=batch.pk)
        .order_by("-pk")
        .first()
    )


def differences(batch: ExportBatch, limit: int = 100) -> dict | None:
    """Lines added, removed or changed since the previous production of the same month (None: first one)."""
    previous = previous_batch(batch)
    if previous is None:
        return None
    version = get_version(batch.contract_version)
    result = {"previous": previous, "identical": previous.sha256 == batch.sha256, "items": [], "counts": {}}
    if result["identical"]:
        return result
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT coalesce(a.resource, b.resource), a.line_number, b.line_number, a.movement, b.movement,
                   a.payload, b.payload,
                   CASE WHEN b.id IS NULL THEN 'added' WHEN a.id IS NULL THEN 'removed' ELSE 'changed' END AS kind
            FROM (SELECT * FROM reporting_exportline WHERE batch_id = %s) a
            FULL OUTER JOIN (SELECT * FROM reporting_exportline WHERE batch_id = %s) b
              ON a.resource = b.resource AND a.object_id = b.object_id
            WHERE a.id IS NULL OR b.id IS NULL OR a.line_hash <> b.line_hash OR a.movement <> b.movement
            ORDER BY 1, coalesce(a.line_number, b.line_number)
            """,
            [batch.pk, previous.pk],
        )
        rows = cursor.fetchall()
    for resource, new_no, old_no, new_mv, old_mv, new_payload, old_payload, kind in rows:
        result["counts"][kind] = result["counts"].get(kind, 0) + 1
        if len(result["items"]) >= limit:
            continue
        names = version.resources[resource].fields
        new_values = new_payload.split(";") if new_payload is not None else [""] * len(names)
        old_values = old_payload.split(";") if old_payload is not None else [""] * len(names)
        key_index = names.index(version.resources[resource].key)
        changes = [
            (name, old, new) for name, old, new in zip(names, old_values, new_values, strict=False) if old != new
        ]
        if new_mv != old_mv and kind == "changed":
            changes.insert(0, ("type_mouvement", old_mv, new_mv))
        result["items"].append(
            {
                "resource": resource,
                "kind": kind,
                "line": new_no,
                "previous_line": old_no,
                "key": (new_values if new_payload is not None else old_values)[key_index],
                "changes": changes if kind == "changed" else [],
            }
        )
    return result


# Queries for the pages ---------------------------------------------------------------------------------------


def visible_batches(user):
    """The batches a user may see: their structure's; every batch for an administrator without structure."""
    qs = ExportBatch.objects.select_related("structure", "operator", "created_by")
    if user.role == Role.ADMIN and user.structure_id is None:
        return qs
    return qs.filter(scope=Scope.STRUCTURE, structure_id=user.structure_id)


def batch_page(user, before: int | None = None, size: int = 20) -> tuple[list[ExportBatch], int | None]:
    """Keyset page of batches, newest first; returns the rows and the cursor of the next page."""
    qs = visible_batches(user).order_by("-pk")
    if before:
        qs = qs.filter(pk__lt=before)
    rows = list(qs[: size + 1])
    return rows[:size], (rows[size - 1].pk if len(rows) > size else None)


def get_batch(user, pk: int) -> ExportBatch:
    """A visible batch or ExportBatch.DoesNotExist (another structure's batch does not exist for the user)."""
    return visible_batches(user).prefetch_related("files").get(pk=pk)


def line_page(batch: ExportBatch, *, resource: str = "", state: str = "", after: tuple | None = None, size=50):
    """Keyset page of a batch's lines (optionally one file or one state), for the return codes table."""
    qs = batch.lines.order_by("resource", "line_number").only(
        "resource", "line_number", "movement", "state", "return_code", "return_message"
    )
    if resource:
        qs = qs.filter(resource=resource)
    if state:
        qs = qs.filter(state=state)
    if after:
        from django.db.models import Q

        qs = qs.filter(Q(resource__gt=after[0]) | Q(resource=after[0], line_number__gt=after[1]))
    rows = list(qs[: size + 1])
    nxt = (rows[size - 1].resource, rows[size - 1].line_number) if len(rows) > size else None
    return rows[:size], nxt
