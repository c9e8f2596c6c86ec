"""R9: the inactivity clock of a CEP in progress, one definition for the services, the receivers and the checks.

The clock's day (`Cep.last_manifestation_date`) is the latest of: the entry date, the day of the last reopening
(R10 restarts the clock), and the person's latest manifestation in the structure on or after the entry
(cep.events.queries.manifestations: a live contact either way, or anything the person sent). It is recomputed from
the events whenever one of the person's events is recorded, moved, changed or deleted, so it moves back as well as
forward. A closed CEP keeps the clock it had when it closed (its automatic exit date depends on it).
"""

import datetime

from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import Greatest

from cep.events.models import Event
from cep.events.queries import latest_manifestation, manifestations

from .models import Cep
from .workflow import OPEN_STATUSES


def clock_day(
    *, beneficiary_id: int, structure_id: int, entry_date: datetime.date, reopened_on: datetime.date | None = None
) -> datetime.date:
    """The clock's day of a CEP about to be written (opening)."""
    days = [entry_date, reopened_on, latest_manifestation(beneficiary_id, structure_id, entry_date)]
    return max(day for day in days if day is not None)


def recompute(*, beneficiary_id: int, structure_id: int) -> int:
    """Recompute the clock of the person's CEP in progress in the structure (one UPDATE; `updated_at` unchanged, no
    audit entry: the event's own audit entry says what changed). Returns the number of rows updated (0 or 1)."""
    latest = (
        Event.objects.filter(
            manifestations(),
            beneficiary_id=OuterRef("beneficiary_id"),
            structure_id=OuterRef("structure_id"),
            date__gte=OuterRef("entry_date"),
        )
        .order_by("-date")
        .values("date")[:1]
    )
    return Cep.objects.filter(
        beneficiary_id=beneficiary_id, structure_id=structure_id, status__in=OPEN_STATUSES
    ).update(
        last_manifestation_date=Greatest(F("entry_date"), F("reopened_on"), Subquery(latest)),
        updated_at=F("updated_at"),
    )
