"""The bytes of a monthly file, streamed from its recorded lines with COPY … TO STDOUT (no Python loop over rows).

A file is its header line, then `numero_ligne;type_mouvement;payload` per line in line-number order: the same
lines give the same bytes, so a month regenerated from unchanged data gives byte-identical files.
"""

import datetime
import hashlib

from django.db import connection

from .contract import DELIMITER, Resource
from .lines import lines_sql, query_params
from .scopes import ExportScope


def header_line(resource: Resource) -> bytes:
    return (DELIMITER.join(resource.all_fields) + "\n").encode()


def _mogrify(sql: str, params) -> str:
    with connection.cursor() as cursor:
        return cursor.cursor.mogrify(sql, params)


def _copy_lines_sql(source_sql: str) -> str:
    return (
        f"COPY (SELECT line_number || '{DELIMITER}' || movement || '{DELIMITER}' || payload "
        f"FROM ({source_sql}) q ORDER BY line_number) TO STDOUT"
    )


def stream_file(batch_id: int, resource: Resource):
    """The file's bytes, chunk by chunk (header, then one line per chunk), straight from PostgreSQL."""
    yield header_line(resource)
    sql = _copy_lines_sql(
        "SELECT line_number, movement, payload FROM reporting_exportline "
        "WHERE batch_id = %(batch)s AND resource = %(resource)s"
    )
    yield from _copy(_mogrify(sql, {"batch": batch_id, "resource": resource.name}))


def _copy(sql: str):
    with connection.cursor() as cursor:
        with cursor.cursor.copy(sql) as copy:
            for chunk in copy:
                yield bytes(chunk)


def file_digest(batch_id: int, resource: Resource) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    for chunk in stream_file(batch_id, resource):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def raw_copy(scope: ExportScope, month: datetime.date, resource: Resource):
    """Benchmark baseline: `COPY (final query) TO STDOUT`, the same lines computed without recording them."""
    yield header_line(resource)
    sql = _copy_lines_sql(lines_sql(resource, national=scope.national))
    yield from _copy(_mogrify(sql, query_params(scope, month, resource.name)))
