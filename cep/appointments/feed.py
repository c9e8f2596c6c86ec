"""The counselor's agenda as an iCalendar feed (RFC 5545, `icalendar`), read by a calendar application.

The URL carries a secret token (models.CalendarFeed): whoever holds it reads the feed without signing in, so the
feed says as little as possible (privacy by design, docs/decisions.md): the person's first name and the initial of
the last name, the time, the mode and place; never the object of the rendez-vous, the birth date, the phone or the
address. Each event links to the dossier, which asks to sign in.
"""

import datetime
import hashlib
import hmac

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from icalendar import Calendar, Event

from .models import Appointment, CalendarFeed, Status

PAST_DAYS, FUTURE_DAYS = 30, 366
PRODID = "-//CEP//Rendez-vous//FR"


def token_for(feed: CalendarFeed) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"ics:{feed.user_id}:{feed.nonce}".encode(), hashlib.sha256)
    return digest.hexdigest()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def regenerate(user) -> str:
    """A new token for the user's feed (created on first use); the previous URL answers 404 from now on."""
    feed = CalendarFeed.objects.select_for_update().filter(user=user).first() or CalendarFeed(user=user)
    feed.nonce = CalendarFeed.new_nonce()
    token = token_for(feed)
    feed.key_hash = _hash(token)
    feed.save()
    return token


def current_token(user) -> str | None:
    feed = CalendarFeed.objects.filter(user=user).first()
    return token_for(feed) if feed else None


def user_for(token: str):
    """The active structure staff member whose feed this token opens, or None (unknown, revoked, inactive)."""
    if not token or len(token) > 128:
        return None
    feed = CalendarFeed.objects.select_related("user").filter(key_hash=_hash(token)).first()
    if feed is None or not hmac.compare_digest(token_for(feed), token):
        return None
    user = feed.user
    return user if user.is_active and user.sees_personal_data and user.structure_id else None


def person_label(beneficiary) -> str:
    """« Léa D. »: first name and initial of the last name, nothing more."""
    initial = (beneficiary.last_name or "").strip()[:1].upper()
    return f"{beneficiary.first_name} {initial}." if initial else beneficiary.first_name


def build(user, *, dossier_url, now: datetime.datetime | None = None) -> bytes:
    """The user's rendez-vous from 30 days ago to a year ahead; cancelled ones are sent as STATUS:CANCELLED so that
    calendars drop them. `dossier_url(pk)` gives the absolute URL of a dossier."""
    now = now or timezone.now()
    rows = (
        Appointment.objects.filter(
            counselor=user,
            structure_id=user.structure_id,
            starts_at__gte=now - datetime.timedelta(days=PAST_DAYS),
            starts_at__lt=now + datetime.timedelta(days=FUTURE_DAYS),
        )
        .select_related("beneficiary", "mode", "place")
        .order_by("starts_at", "id")
    )
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "Rendez-vous CEP")
    cal.add("x-wr-timezone", settings.TIME_ZONE)
    for a in rows:
        event = Event()
        event.add("uid", f"rendez-vous-{a.pk}@cep")
        event.add("dtstamp", a.updated_at.astimezone(datetime.UTC))
        event.add("last-modified", a.updated_at.astimezone(datetime.UTC))
        event.add("dtstart", a.starts_at.astimezone(datetime.UTC))
        event.add("dtend", a.ends_at.astimezone(datetime.UTC))
        summary = f"Rendez-vous – {person_label(a.beneficiary)}"
        if a.status in (Status.HONOURED, Status.NO_SHOW):
            summary += f" ({a.get_status_display().lower()})"
        event.add("summary", summary)
        event.add("location", str(a.place) if a.place_id else str(a.mode))
        event.add("description", f"Modalité : {a.mode}")
        event.add("status", "CANCELLED" if a.status == Status.CANCELLED else "CONFIRMED")
        event.add("url", dossier_url(a.beneficiary_id))
        cal.add_component(event)
    return cal.to_ical()
