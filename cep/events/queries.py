"""Reads on events (selectors), shared by pages and the API. Scoped by `Event.objects.visible_to(user)`.

Events sit below offers (docs/decisions.md, 2026-12-01): what events read about the services proposed during
them (the « Actions » filter, the services shown) is added by cep.offers.queries.with_services.
"""

import datetime

from django.db.models import Max, Q, QuerySet

from cep.common.dates import today

from .models import Event


def manifestations() -> Q:
    """R9: the events that are manifestations of the person, read from the referentials (data, not code).

    A live contact between the person and the structure in either direction (nature « contact direct », sens
    between the person and the structure), or anything the person sent (sens « Jeune vers Structure »). Never a
    system event (« Suppression de dispositif »), a partner or internal event, nor a letter, e-mail or SMS the
    structure sent. MANIFESTATION_SQL says the same in SQL for set-based statements.
    """
    return Q(is_system=False) & (
        Q(direction__is_from_person=True) | Q(direction__is_with_person=True, nature__is_live_contact=True)
    )


# manifestations() as an SQL condition on an events_event row aliased `e` (uncorrelated sub-selects on the two small
# referential tables: PostgreSQL hashes them once per statement).
MANIFESTATION_SQL = """(NOT e.is_system AND (
    e.direction_id IN (SELECT code FROM referentials_eventdirection WHERE is_from_person)
    OR (e.direction_id IN (SELECT code FROM referentials_eventdirection WHERE is_with_person)
        AND e.nature_id IN (SELECT code FROM referentials_eventnature WHERE is_live_contact))))"""


def latest_manifestation(beneficiary_id: int, structure_id: int, since: datetime.date) -> datetime.date | None:
    """R9: the date of the person's latest manifestation in the structure on or after `since`, if any."""
    return (
        Event.objects.filter(manifestations(), beneficiary_id=beneficiary_id, structure_id=structure_id)
        .filter(date__gte=since)
        .aggregate(last=Max("date"))["last"]
    )


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
    cep_context: bool | None = None,
) -> QuerySet:
    """Event search of the guide [003]: date range, nature, sens; all events or those in progress only.

    « En cours » follows events.services.event_in_progress: a (non-system) event of the day.
    cep_context: True, the events with the national context CEP among their three contexts (those the synthesis
    document reads [000]); False, the others; None, all.
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
    if cep_context is not None:
        qs = qs.filter(is_cep=cep_context)
    return qs


def dossier_events(
    user,
    beneficiary,
    *,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    nature: str = "",
    direction: str = "",
    in_progress: bool = False,
    cep_context: bool | None = None,
    before: tuple[datetime.date, int] | None = None,
) -> QuerySet:
    """Suivi › Événements: a dossier's events, newest first, with their labels (one query).

    before: keyset cursor (date, id) of the last event of the previous page (index beneficiary, date, id).
    Not evaluated: the page slices it, after offers.queries.with_services has added the services proposed.
    """
    qs = filter_events(
        Event.objects.visible_to(user).filter(beneficiary=beneficiary),
        date_from=date_from,
        date_to=date_to,
        nature=nature,
        direction=direction,
        in_progress=in_progress,
        cep_context=cep_context,
    )
    if before:
        qs = qs.filter(Q(date__lt=before[0]) | Q(date=before[0], id__lt=before[1]))
    return qs.select_related(
        "primary_context",
        "secondary_context",
        "tertiary_context",
        "direction",
        "nature",
        "place",
        "function",
        "intervener",
    ).order_by("-date", "-id")
