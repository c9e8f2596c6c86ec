"""Booking a rendez-vous and saying what became of it (issue 14). One transaction per action, audited.

Rights: the right « Événements » books and marks rendez-vous (they prepare and record events); reading them needs
« Consulter les informations d'un dossier ». « Honoré » records the event through cep.events.services.record_event,
in the same transaction: its validation, its audit entry and the R9 clock (events.signals.event_saved) apply.
"""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from cep.accounts.rights import Right
from cep.audit.services import audited
from cep.beneficiaries.services import ensure_not_anonymised
from cep.common.access import ensure_right
from cep.common.dates import today
from cep.common.errors import RuleViolation
from cep.common.text import check_text
from cep.enrolments.models import Cep
from cep.enrolments.workflow import OPEN_STATUSES
from cep.events.services import record_event
from cep.referentials.models import EventContext, ReceptionPlace, StaffFunction

from .models import MAX_DURATION, MIN_DURATION, Appointment, Status
from .workflow import OUTCOMES, allowed

RULE = "RENDEZ-VOUS"
_EXCLUDE = ("created_at", "updated_at")
# An honoured rendez-vous held at a distance is recorded at « À distance (domicile de la personne) ».
REMOTE_PLACE = "domicile"
CEP_CONTEXT, GENERAL_CONTEXT = "cep", "evenement_general"
COUNSELOR_FUNCTION = "conseiller"


def local_day(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date()


def _validate(appointment: Appointment) -> None:
    if appointment.starts_at is None:
        raise RuleViolation(RULE, "Renseignez la date et l'heure du rendez-vous.", field="starts_at")
    if timezone.is_naive(appointment.starts_at):
        raise RuleViolation(RULE, "L'heure du rendez-vous doit porter son fuseau horaire.", field="starts_at")
    if local_day(appointment.starts_at) < today():
        raise RuleViolation(
            RULE,
            "Un rendez-vous se prend pour aujourd'hui ou une date à venir ; un entretien passé s'enregistre comme "
            "un événement.",
            field="starts_at",
        )
    if not MIN_DURATION <= (appointment.duration or 0) <= MAX_DURATION:
        raise RuleViolation(RULE, "La durée d'un rendez-vous va de 5 minutes à 8 heures.", field="duration")
    if appointment.mode_id is None:
        raise RuleViolation(RULE, "Renseignez la modalité du rendez-vous.", field="mode")
    day = local_day(appointment.starts_at)
    if not appointment.mode.is_valid_on(day):
        raise RuleViolation(RULE, f"« {appointment.mode.label} » n'est pas valide à cette date.", field="mode")
    if appointment.mode.is_remote:
        appointment.place = None  # a distance: no place
    elif appointment.place is None:
        raise RuleViolation(RULE, "Renseignez le lieu d'un rendez-vous en présentiel.", field="place")
    elif not appointment.place.is_valid_on(day):
        raise RuleViolation(RULE, f"« {appointment.place.label} » n'est pas valide à cette date.", field="place")
    if appointment.counselor.structure_id != appointment.structure_id or not appointment.counselor.is_active:
        raise RuleViolation(RULE, "Le conseiller doit être un utilisateur actif de la structure.", field="counselor")
    check_text(RULE, subject=appointment.comment)
    if len(appointment.comment or "") > 255:
        raise RuleViolation(RULE, "L'objet ne dépasse pas 255 caractères.", field="subject")


def _ensure_free(appointment: Appointment) -> None:
    """The counselor has no other planned rendez-vous overlapping this one."""
    others = Appointment.objects.filter(
        counselor_id=appointment.counselor_id,
        status=Status.PLANNED,
        starts_at__lt=appointment.ends_at,
        starts_at__gte=appointment.starts_at - datetime.timedelta(minutes=MAX_DURATION),
    ).exclude(pk=appointment.pk)
    for other in others.only("starts_at", "duration"):
        if other.ends_at > appointment.starts_at:
            at = timezone.localtime(other.starts_at)
            raise RuleViolation(
                RULE,
                f"{appointment.counselor} a déjà un rendez-vous prévu le {at:%d/%m/%Y} à {at:%H:%M}.",
                field="starts_at",
            )


@transaction.atomic
def book_appointment(
    *,
    beneficiary,
    actor,
    starts_at: datetime.datetime,
    mode,
    duration: int = 45,
    place=None,
    counselor=None,
    subject: str = "",
) -> Appointment:
    """Book a rendez-vous on the dossier (today or later), for `counselor` (by default the actor)."""
    ensure_right(actor, Right.EVENTS, beneficiary.structure_id)
    ensure_not_anonymised(beneficiary)
    appointment = Appointment(
        beneficiary=beneficiary,
        structure_id=beneficiary.structure_id,
        starts_at=starts_at,
        duration=duration,
        mode=mode,
        place=place,
        counselor=counselor or actor,
        comment=(subject or "").strip(),
        created_by=actor,
    )
    _validate(appointment)
    _ensure_free(appointment)
    try:
        with transaction.atomic(), audited(appointment, actor=actor, action="book_appointment", exclude=_EXCLUDE):
            appointment.save()
    except IntegrityError:  # the same counselor booked at the same minute by someone else, at the same time
        raise RuleViolation(RULE, "Ce conseiller a déjà un rendez-vous prévu à cette heure.", field="starts_at")
    return appointment


def _event_fields(appointment: Appointment) -> dict:
    """The event of an honoured rendez-vous: its day, its mode's nature and sens, the counselor; CEP context when a
    CEP is in progress on the dossier in the structure that day."""
    day = local_day(appointment.starts_at)
    cep_open = Cep.objects.filter(
        beneficiary_id=appointment.beneficiary_id,
        structure_id=appointment.structure_id,
        status__in=OPEN_STATUSES,
        entry_date__lte=day,
    ).exists()
    mode = appointment.mode
    comment = f"Rendez-vous honoré{' : ' + appointment.comment if appointment.comment else ''}"
    return {
        "date": day,
        "primary_context": EventContext.objects.get(pk=CEP_CONTEXT if cep_open else GENERAL_CONTEXT),
        "direction": mode.event_direction,
        "nature": mode.event_nature,
        "place": ReceptionPlace.objects.get(pk=REMOTE_PLACE) if mode.is_remote else appointment.place,
        "function": StaffFunction.objects.get(pk=COUNSELOR_FUNCTION),
        "intervener": appointment.counselor,
        "comment": comment[:255],
        "walk_in": False,
        "delivery_mode": "a_distance" if mode.is_remote else "sur_site",
        "group_mode": "individuel",
    }


@transaction.atomic
def set_status(*, appointment: Appointment, actor, status: str) -> Appointment:
    """Move a rendez-vous along workflow.TRANSITIONS: « Honoré » records its event (one), « Non honoré » records
    nothing (not a manifestation: the R9 clock does not move), « Annuler » frees the slot."""
    ensure_right(actor, Right.EVENTS, appointment.structure_id)
    with audited(
        Appointment, appointment.pk, actor=actor, action=f"appointment_{status}", exclude=_EXCLUDE
    ) as appointment:
        if status not in Status.values:
            raise RuleViolation(RULE, "Statut de rendez-vous inconnu.", field="status")
        if status not in allowed(appointment.status):
            raise RuleViolation(
                RULE,
                f"Un rendez-vous « {appointment.get_status_display()} » ne peut pas passer à "
                f"« {Status(status).label} ».",
                field="status",
            )
        if status in OUTCOMES and local_day(appointment.starts_at) > today():
            at = timezone.localtime(appointment.starts_at)
            raise RuleViolation(
                RULE,
                f"Ce rendez-vous est prévu le {at:%d/%m/%Y} : vous pourrez dire s'il a été honoré à partir de ce "
                "jour-là.",
                field="status",
            )
        if status == Status.HONOURED:
            ensure_not_anonymised(appointment.beneficiary)
            fields = _event_fields(appointment)
            appointment.event = record_event(beneficiary=appointment.beneficiary, actor=actor, **fields)
        appointment.status = status
        appointment.save()
    return appointment
