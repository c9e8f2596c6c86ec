"""Reads on events (selectors), shared by pages and the API. Scoped by `Event.objects.visible_to(user)`."""

import datetime

from django.db.models import QuerySet

from cep.common.dates import today

from .models import Event

# The order of a dossier's events, newest first, hence the shape of their keyset cursor: (date, id).
EVENT_KEY = (datetime.date, int)


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


def dossier_events(
    user,
    beneficiary,
    *,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    nature: str = "",
    direction: str = "",
    actions: str = "",
    in_progress: bool = False,
    before: tuple[datetime.date, int] | None = None,
    limit: int = 50,
) -> list:
    """Suivi › Événements: a dossier's events, newest first, with labels and proposed services (3 queries).

    actions: "with_services" / "without_services" keeps the events during which a service was (not) proposed.
    before: keyset cursor (date, id) of the last event of the previous page (index beneficiary, date, id).
    """
    from django.db.models import Exists, OuterRef, Prefetch

    from cep.offers.models import Service

    qs = filter_events(
        Event.objects.visible_to(user).filter(beneficiary=beneficiary),
        date_from=date_from,
        date_to=date_to,
        nature=nature,
        direction=direction,
        in_progress=in_progress,
    )
    if before:
        from django.db.models import Q

        qs = qs.filter(Q(date__lt=before[0]) | Q(date=before[0], id__lt=before[1]))
    with_services = Exists(Service.objects.filter(event_id=OuterRef("pk")))
    if actions == "with_services":
        qs = qs.filter(with_services)
    elif actions == "without_services":
        qs = qs.exclude(with_services)
    return list(
        qs.select_related(
            "primary_context",
            "secondary_context",
            "tertiary_context",
            "direction",
            "nature",
            "place",
            "function",
            "intervener",
        )
        .prefetch_related(Prefetch("services", queryset=Service.objects.select_related("offer").order_by("id")))
        .order_by("-date", "-id")[:limit]
    )
