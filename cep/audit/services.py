"""Writing the audit trail. Called inside the same transaction as the change it records."""

import datetime
import decimal
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from django.db import models, transaction
from django.db.transaction import TransactionManagementError

from .models import AuditEntry, SensitiveAccess


def _json_value(value):
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    return value


def snapshot(obj: models.Model, exclude: tuple[str, ...] = ()) -> dict:
    """The concrete field values of a model instance, JSON-ready (foreign keys as their ids)."""
    data = {}
    for field in obj._meta.concrete_fields:
        if field.name in exclude:
            continue
        data[field.attname] = _json_value(getattr(obj, field.attname))
    return data


def record(
    *,
    actor,
    action: str,
    obj: models.Model,
    before: dict | None,
    after: dict | None,
    structure_id: int | None = None,
    beneficiary_id: int | None = None,
) -> AuditEntry:
    return AuditEntry.objects.create(
        actor_id=getattr(actor, "pk", None),
        actor_label=str(actor) if actor is not None else "Système",
        action=action,
        object_type=obj._meta.model_name,
        object_id=obj.pk,
        structure_id=structure_id if structure_id is not None else getattr(obj, "structure_id", None),
        beneficiary_id=beneficiary_id if beneficiary_id is not None else getattr(obj, "beneficiary_id", None),
        before=before,
        after=after,
    )


def log_sensitive_access(*, actor, beneficiary_id: int, channel: str, field: str = "rqth") -> None:
    SensitiveAccess.objects.create(actor_id=actor.pk, beneficiary_id=beneficiary_id, channel=channel, field=field)


M = TypeVar("M", bound=models.Model)
OwnerId = int | None | Callable[[models.Model], int | None]


@contextmanager
def audited(
    target: type[M] | M,
    pk: int | None = None,
    *,
    actor,
    action: str,
    exclude: tuple[str, ...] = (),
    skip_unchanged: bool = False,
    select_related: tuple[str, ...] = (),
    of: tuple[str, ...] = (),
    structure_id: OwnerId = None,
    beneficiary_id: OwnerId = None,
) -> Iterator[M]:
    """An audited write: lock the row, snapshot it, let the block change and save it, record before/after.

        with audited(Offer, offer.pk, actor=actor, action="update_offer", exclude=_EXCLUDE) as offer:
            offer.name = name
            offer.save()

    - `target` is a model and `pk` its row, or an instance already loaded (its row is locked and read again, so
      the block works on the current values): `SELECT … FOR UPDATE` (`of`, `select_related` as in Django);
    - `target` is a new instance (no pk yet): no lock, `before` is None, and the block must save it (a creation);
    - the block saves (so that it keeps its own `save(update_fields=…)` or its handling of IntegrityError);
    - on exit the audit entry is written with the snapshots (`exclude`: fields left out of both), unless the
      block raised (nothing recorded; the service's transaction rolls back) or `skip_unchanged` and nothing
      changed (a no-op edit, or an early return before any change);
    - `structure_id` / `beneficiary_id` of the entry: a value, or a function of the saved object (e.g. a
      dossier's own pk, known only once created); by default the object's own `structure_id` / `beneficiary_id`.

    Runs inside the service's transaction (`@transaction.atomic`), never opens one itself: no savepoint queries.
    """
    if not transaction.get_connection().in_atomic_block:
        raise TransactionManagementError("audited() runs inside the service's transaction (transaction.atomic).")
    if isinstance(target, type):
        model, creating = target, False
    else:
        model, pk, creating = type(target), target.pk, target.pk is None
    if creating:
        obj, before = target, None
    else:
        rows = model._default_manager.select_for_update(of=of)
        if select_related:  # select_related() without names would follow every foreign key
            rows = rows.select_related(*select_related)
        obj = rows.get(pk=pk)
        before = snapshot(obj, exclude)
    yield obj
    if obj.pk is None or obj._state.adding:
        raise TransactionManagementError(f"audited(): the new {model._meta.model_name} was not saved in the block.")
    after = snapshot(obj, exclude)
    if skip_unchanged and after == before:
        return
    record(
        actor=actor,
        action=action,
        obj=obj,
        before=before,
        after=after,
        structure_id=structure_id(obj) if callable(structure_id) else structure_id,
        beneficiary_id=beneficiary_id(obj) if callable(beneficiary_id) else beneficiary_id,
    )
