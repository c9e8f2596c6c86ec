"""Reads of import batches: the structure's batches, a batch's refused lines (keyset), the refused-lines file."""

import csv
import io
from collections.abc import Iterator

from cep.common.spreadsheet import safe_row

from .models import ImportBatch, ImportLine, Outcome

PAGE = 50


def batch_page(user, before: int | None = None, size: int = 20) -> tuple[list[ImportBatch], int | None]:
    rows = ImportBatch.objects.visible_to(user).select_related("created_by").order_by("-id")
    if before is not None:
        rows = rows.filter(pk__lt=before)
    rows = list(rows[: size + 1])
    return rows[:size], (rows[size - 1].pk if len(rows) > size else None)


def get_batch(user, pk: int) -> ImportBatch:
    return ImportBatch.objects.visible_to(user).select_related("created_by", "confirmed_by", "undone_by").get(pk=pk)


def line_page(
    batch: ImportBatch,
    outcome: str = Outcome.REFUSED,
    after: int | None = None,
    size: int = PAGE,
    *,
    warned: bool = False,
):
    """The lines of one outcome after line `after` (keyset on the line number); warned: only those with a warning."""
    rows = lines_of(batch, outcome, warned=warned).order_by("line_number")
    if after is not None:
        rows = rows.filter(line_number__gt=after)
    fields = ("line_number", "outcome", "errors", "warnings", "raw", "data", "duplicate_of", "object_id")
    rows = list(rows.only(*fields)[: size + 1])
    return rows[:size], (rows[size - 1].line_number if len(rows) > size else None)


def lines_of(batch: ImportBatch, outcome: str, *, warned: bool = False):
    rows = ImportLine.objects.filter(batch=batch, outcome=outcome)
    return rows.filter(warnings__isnull=False) if warned else rows


def preview(batch: ImportBatch, size: int = 5) -> list[ImportLine]:
    """The first lines, as read: the user checks the accents before confirming the encoding."""
    return list(ImportLine.objects.filter(batch=batch).order_by("line_number")[:size])


def refused_csv(batch: ImportBatch, chunk: int = 2000) -> Iterator[bytes]:
    """« Lignes refusées » as CSV (UTF-8 with BOM, semicolons): the line number, the reasons, then the cells as
    read; every cell through safe_row (formula injection neutralised). Streamed by keyset chunks."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    header = list(batch.column_mapping) + list(batch.ignored_columns)
    writer.writerow(safe_row(["ligne", "colonne", "règle", "motif du refus", *header]))
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
    after = 0
    while True:
        lines = list(
            ImportLine.objects.filter(batch=batch, outcome=Outcome.REFUSED, line_number__gt=after)
            .order_by("line_number")
            .values_list("line_number", "errors", "raw")[:chunk]
        )
        if not lines:
            return
        buffer.seek(0)
        buffer.truncate()
        for number, errors, raw in lines:
            errors = errors or [{}]
            writer.writerow(
                safe_row(
                    [
                        number,
                        " | ".join(e.get("column", "") for e in errors),
                        " | ".join(e.get("rule", "") for e in errors),
                        " | ".join(e.get("message", "") for e in errors),
                        *(raw or []),
                    ]
                )
            )
        yield buffer.getvalue().encode("utf-8")
        after = lines[-1][0]
