"""Reads on events (selectors), shared by pages and the API. Scoped to the user's structure."""

import datetime

from django.db.models import QuerySet

from cep.common.dates import today

from .models import Event


def events_for(user) -> QuerySet:
    """Events of the dossiers of the user's structure (none for observers; all for an admin without structure)."""
    if not getattr(user, "sees_personal_data", False):
        return Event.objects.none()
    if user.structure_id is None:
        return Event.objects.all() if user.role == "admin" else Event.objects.none()
    return Event.objects.filter(structure_id=user.structure_id)


def filter_events(
    qs: QuerySet,
    *,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    nature: str = "",
    direction: str = "",
    in_progress: bool = False,
) -> QuerySet:
    """Event search of the guide [003]: date range, nature, sens; all events or those in progress only.

    « En cours » follows events.services.event_in_progress: a (non-system) event of the day.
    """
    if date_from:
        qs = qs.filter(date__gte=date_from)
    if date_to:
        qs = qs.filter(date__lte=date_to)
    if nature:
        qs = qs.filter(nature_id=nature)
    if direction:
        qs = qs.filter(direction_id=direction)
    if in_progress:
        qs = qs.filter(date=today(), is_system=False)
    return qs
