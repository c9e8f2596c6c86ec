"""Keyset pagination with an opaque cursor: pages never skip or repeat rows, whatever the table's size."""

import base64
import binascii
import datetime
import json

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from .errors import ApiError

BAD_CURSOR = "Curseur de pagination invalide : reprenez la recherche depuis la première page."


def encode_cursor(values: list) -> str:
    plain = [v.isoformat() if isinstance(v, datetime.date) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode(cursor: str, count: int) -> list:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeError):
        raise ApiError(422, "VALIDATION", BAD_CURSOR, "cursor")
    if not (isinstance(values, list) and len(values) == count and all(isinstance(v, str | int) for v in values)):
        raise ApiError(422, "VALIDATION", BAD_CURSOR, "cursor")
    return values


def keyset_page(qs: QuerySet, *, order: tuple[str, ...], cursor: str | None, limit: int) -> tuple[list, str | None]:
    """One page of `qs` ordered by `order` (e.g. ("-date", "-id"); the last key must be unique).

    Returns (rows, next_cursor); next_cursor is None on the last page. One query.
    """
    names = [o.lstrip("-") for o in order]
    if cursor:
        raw = _decode(cursor, len(names))
        try:
            values = [qs.model._meta.get_field(n).to_python(v) for n, v in zip(names, raw, strict=True)]
        except (ValidationError, TypeError, ValueError):
            raise ApiError(422, "VALIDATION", BAD_CURSOR, "cursor")
        after = Q()
        for i, key in enumerate(order):
            name = names[i]
            step = Q(**{f"{name}__{'lt' if key.startswith('-') else 'gt'}": values[i]})
            for j in range(i):
                step &= Q(**{names[j]: values[j]})
            after |= step
        qs = qs.filter(after)
    rows = list(qs.order_by(*order)[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, encode_cursor([getattr(last, qs.model._meta.get_field(n).attname) for n in names])
