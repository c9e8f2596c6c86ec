"""The pseudonymised monthly files as received at the national level (docs/regles-cep.md §1: the national observer
reads aggregates and pseudonymised monthly files).

A batch is received once its structure or operator marked it « Transmis » (or got the acknowledgement): the
national observer lists and downloads those files, never a batch still being prepared. Every download is
recorded in the append-only history (who, when, which file).
"""

import datetime

from cep.accounts.rights import Right
from cep.audit.services import record

from .models import BatchStatus, ExportBatch, JobState

RECEIVED_STATUSES = (BatchStatus.TRANSMITTED, BatchStatus.ACKNOWLEDGED)


def may_receive(user) -> bool:
    """National level only: the right, and no structure (a structure's staff never reads other structures)."""
    return user.is_authenticated and user.has_right(Right.RECEIVE_MONTHLY) and user.structure_id is None


def received_batches(user):
    if not may_receive(user):
        return ExportBatch.objects.none()
    return ExportBatch.objects.filter(status__in=RECEIVED_STATUSES, job_state=JobState.DONE).select_related(
        "structure", "operator"
    )


def received_page(
    user, *, month: datetime.date | None = None, before: int | None = None, size: int = 20
) -> tuple[list[ExportBatch], int | None]:
    """Keyset page of the received batches, newest first, optionally of one declared month."""
    qs = received_batches(user).prefetch_related("files").order_by("-pk")
    if month:
        qs = qs.filter(month=month)
    if before:
        qs = qs.filter(pk__lt=before)
    rows = list(qs[: size + 1])
    return rows[:size], (rows[size - 1].pk if len(rows) > size else None)


def get_received(user, pk: int) -> ExportBatch:
    """A received batch or ExportBatch.DoesNotExist."""
    return received_batches(user).prefetch_related("files").get(pk=pk)


def record_download(*, actor, batch: ExportBatch, resource: str, channel: str) -> None:
    record(
        actor=actor,
        action="download_export_file",
        obj=batch,
        before=None,
        after={"resource": resource, "channel": channel, "month": batch.month.isoformat()[:7]},
        structure_id=batch.structure_id,
    )
