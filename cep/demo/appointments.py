"""Demo rendez-vous: the demo counselors find their day and their week booked when they sign in.

The demo base is generated once (`generate_demo --if-empty`) and served again days later, so rendez-vous written by
the generator would all be in the past. Instead, each `make run` books, through the booking service (same rules,
same audit as a counselor's booking), the coming rendez-vous of a counselor who has none left.
"""

import datetime
from zoneinfo import ZoneInfo

from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone

from cep.accounts.models import User
from cep.appointments.models import Appointment, Status
from cep.appointments.services import book_appointment
from cep.beneficiaries.models import Beneficiary, DossierStatus
from cep.referentials.models import AppointmentMode, ReceptionPlace

PARIS = ZoneInfo("Europe/Paris")
# Local hours of the slots of a working day, and the modalité of each (présentiel at the siège, or at a distance).
SLOTS = ((9, 30, "presentiel"), (11, 0, "telephone"), (14, 0, "presentiel"), (15, 30, "visio"), (17, 0, "presentiel"))
SUBJECTS = (
    "Point d'étape sur le projet professionnel",
    "Préparation du passage en phase 3",
    "Retour sur l'enquête métier",
    "Premier entretien d'accompagnement",
    "Bilan de la période d'immersion",
)
WORKING_DAYS = 6  # today and the next five working days: the home page's « aujourd'hui » and « cette semaine »


def slots(now: datetime.datetime) -> list[tuple[datetime.datetime, str]]:
    """The demo slots from `now` on: today's still to come, then every slot of the next working days."""
    out, day, days = [], timezone.localtime(now, PARIS).date(), 0
    while days < WORKING_DAYS:
        if day.weekday() < 5:
            days += 1
            for hour, minute, mode in SLOTS:
                start = datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=PARIS)
                if start > now + datetime.timedelta(minutes=15):
                    out.append((start, mode))
        day += datetime.timedelta(days=1)
    return out


def ensure_demo_appointments(usernames=("conseiller.ml", "conseiller.ft"), now=None) -> int:
    """Book the demo counselors' coming rendez-vous when they have none left; idempotent. Returns how many."""
    now = now or timezone.now()
    modes = {m.code: m for m in AppointmentMode.objects.all()}
    siege = ReceptionPlace.objects.get(code="siege")
    # Whatever is planned from the start of `now`'s day counts: the same day as the slots, not the real clock's.
    start_of_day = datetime.datetime.combine(timezone.localtime(now, PARIS).date(), datetime.time(0), tzinfo=PARIS)
    booked = 0
    for user in User.objects.filter(username__in=usernames, structure__isnull=False, is_active=True):
        if Appointment.objects.filter(counselor=user, status=Status.PLANNED, starts_at__gte=start_of_day).exists():
            continue
        wanted = slots(now)
        # The counselor's own dossiers first, then the structure's: justified and not anonymised.
        people = list(
            Beneficiary.objects.filter(
                structure_id=user.structure_id, status=DossierStatus.JUSTIFIED, anonymised_at__isnull=True
            )
            .annotate(own=Case(When(referent=user, then=Value(0)), default=Value(1), output_field=IntegerField()))
            .order_by("own", "id")[: len(wanted)]
        )
        for i, ((start, mode), person) in enumerate(zip(wanted, people, strict=False)):
            book_appointment(
                beneficiary=person,
                actor=user,
                starts_at=start,
                mode=modes[mode],
                place=None if modes[mode].is_remote else siege,
                subject=SUBJECTS[i % len(SUBJECTS)],
            )
            booked += 1
    return booked
