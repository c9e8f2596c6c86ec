"""Reading the batches for the pages: visible batches and lines (keyset pages), differences between two
productions of the same month."""

from django.db import connection
from django.db.models import Q

from .contract import get_version
from .models import ExportBatch, JobState
from .scopes import ExportScope


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


def visible_batches(user):
    """The batches a user may see: their structure's; every batch for an administrator without structure."""
    return ExportBatch.objects.visible_to(user).select_related("structure", "operator", "created_by")


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
        qs = qs.filter(Q(resource__gt=after[0]) | Q(resource=after[0], line_number__gt=after[1]))
    rows = list(qs[: size + 1])
    nxt = (rows[size - 1].resource, rows[size - 1].line_number) if len(rows) > size else None
    return rows[:size], nxt
