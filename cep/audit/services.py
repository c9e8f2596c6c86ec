"""Writing the audit trail. Called inside the same transaction as the change it records."""

import datetime
import decimal
import uuid

from django.db import models

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
