"""Keyset pagination with an opaque cursor: pages never skip or repeat rows, whatever the table's size."""

import datetime

from django.db import models
from django.db.models import Q, QuerySet

from cep.common import keyset

from .errors import ApiError

BAD_CURSOR = "Curseur de pagination invalide : reprenez la recherche depuis la première page."


def _kind(field) -> type:
    """The codec's type of a sort column."""
    if isinstance(field, models.DateTimeField):
        raise TypeError(f"keyset_page: {field.name} is a datetime, not a supported sort key")
    if isinstance(field, models.DateField):
        return datetime.date
    if isinstance(field, models.IntegerField | models.AutoField | models.ForeignKey):
        return int
    if isinstance(field, models.CharField | models.TextField):
        return str
    raise TypeError(f"keyset_page: unsupported sort column {field.name}")


def decode_or_409(cursor: str | None, shape) -> tuple | None:
    """The sort key of a cursor the API wrote. A cursor of the published shape (base64url) that the API did not
    write is a 409 CURSEUR naming the field « cursor » (anything else is refused by the schema: 422)."""
    if not cursor:
        return None
    values = keyset.decode(cursor, shape)
    if values is None:
        raise ApiError(409, "CURSEUR", BAD_CURSOR, "cursor")
    return values


def keyset_page(qs: QuerySet, *, order: tuple[str, ...], cursor: str | None, limit: int) -> tuple[list, str | None]:
    """One page of `qs` ordered by `order` (e.g. ("-date", "-id"); the last key must be unique).

    Returns (rows, next_cursor); next_cursor is None on the last page. One query.
    """
    names = [o.lstrip("-") for o in order]
    fields = [qs.model._meta.get_field(n) for n in names]
    values = decode_or_409(cursor, [_kind(f) for f in fields])
    if values:
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
    return rows, keyset.encode([getattr(last, f.attname) for f in fields])
