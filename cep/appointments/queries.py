"""Reads on rendez-vous (selectors), shared by pages, the API and the agenda feed."""

import datetime

from django.db.models import QuerySet
from django.utils import timezone

from cep.common.access import ensure_can_view_dossiers
from cep.common.dates import today

from .models import Appointment, Status

LABELS = ("mode", "place", "counselor", "event")


def dossier_appointments(user, beneficiary) -> QuerySet:
    """A dossier's rendez-vous, those to come first (soonest first), then the past ones (latest first) — one
    query; the page splits them."""
    return Appointment.objects.visible_to(user).filter(beneficiary=beneficiary).select_related(*LABELS)


def split_upcoming(rows, now: datetime.datetime | None = None) -> tuple[list, list]:
    """(planned rendez-vous from today on, soonest first; the others, latest first)."""
    now = now or timezone.now()
    start_of_day = timezone.make_aware(datetime.datetime.combine(timezone.localdate(now), datetime.time()))
    upcoming = [a for a in rows if a.status == Status.PLANNED and a.starts_at >= start_of_day]
    ids = {a.pk for a in upcoming}
    past = sorted((a for a in rows if a.pk not in ids), key=lambda a: (a.starts_at, a.pk), reverse=True)
    return sorted(upcoming, key=lambda a: (a.starts_at, a.pk)), past


def day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """Midnight to midnight of `day` in Europe/Paris, as aware datetimes (23 or 25 hours on DST days)."""
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time()))
    end = timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time()))
    return start, end


def my_week(user, *, days: int = 7, limit: int = 100) -> dict:
    """Home page: the user's rendez-vous of today (cancelled ones aside) and the planned ones of the next `days`
    days (one query).

    {"today": [...], "week": [...]} — « week » from tomorrow to today + days (decision in docs/decisions.md)."""
    ensure_can_view_dossiers(user)
    day = today()
    start, _ = day_bounds(day)
    _, end = day_bounds(day + datetime.timedelta(days=days))
    rows = list(
        Appointment.objects.visible_to(user)
        .filter(counselor=user, starts_at__gte=start, starts_at__lt=end)
        .exclude(status=Status.CANCELLED)
        .select_related("beneficiary", "mode", "place")
        .order_by("starts_at", "id")[:limit]
    )
    _, end_of_today = day_bounds(day)
    return {
        "today": [a for a in rows if a.starts_at < end_of_today],
        "week": [a for a in rows if a.starts_at >= end_of_today and a.status == Status.PLANNED],
    }
