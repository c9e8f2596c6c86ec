"""Recording events on a dossier (docs/regles-cep.md §4).

Some are manifestations of the person (R9, queries.manifestations)."""

import datetime

from django.db import transaction

from cep.accounts.rights import Right
from cep.audit.services import audited, record, snapshot
from cep.beneficiaries.services import ensure_not_anonymised
from cep.common.access import ensure_right
from cep.common.dates import today
from cep.common.errors import RuleViolation
from cep.common.text import check_text

from .models import Event
from .signals import event_deleted, event_saved

EVENT_FIELDS = (
    "date",
    "primary_context",
    "secondary_context",
    "tertiary_context",
    "direction",
    "nature",
    "place",
    "function",
    "intervener",
    "comment",
    "walk_in",
    "delivery_mode",
    "group_mode",
)
REQUIRED = {
    "date": "la date",
    "primary_context": "le contexte primaire",
    "direction": "le sens",
    "nature": "la nature",
    "place": "le lieu d'accueil",
    "function": "la fonction",
    "intervener": "l'intervenant",
}
_EXCLUDE = ("updated_at", "created_at")


def validate_event(event: Event) -> None:
    """The rules of one event (EVENEMENT), on the unsaved object: the services and the import of events check it."""
    for name, label in REQUIRED.items():
        if getattr(event, name + "_id", None) is None and getattr(event, name, None) is None:
            raise RuleViolation("EVENEMENT", f"Renseignez {label}.", field=name)
    if event.date > today():
        raise RuleViolation("EVENEMENT", "La date d'un événement ne peut pas être dans le futur.", field="date")
    check_text("EVENEMENT", comment=event.comment)
    if len(event.comment or "") > 255:
        raise RuleViolation("EVENEMENT", "Le commentaire ne dépasse pas 255 caractères.", field="comment")
    contexts = [c for c in (event.primary_context_id, event.secondary_context_id, event.tertiary_context_id) if c]
    if len(contexts) != len(set(contexts)):
        raise RuleViolation("EVENEMENT", "Un même contexte ne peut être choisi deux fois.", field="secondary_context")
    if event.intervener.structure_id != event.structure_id:
        raise RuleViolation("EVENEMENT", "L'intervenant doit appartenir à la structure.", field="intervener")
    for name in (
        "primary_context",
        "secondary_context",
        "tertiary_context",
        "direction",
        "nature",
        "place",
        "function",
    ):
        value = getattr(event, name)
        if value is not None and not value.is_valid_on(event.date):
            raise RuleViolation("EVENEMENT", f"« {value.label} » n'est pas valide à cette date.", field=name)


@transaction.atomic
def record_event(*, beneficiary, actor, **fields) -> Event:
    ensure_right(actor, Right.EVENTS, beneficiary.structure_id)
    ensure_not_anonymised(beneficiary)
    unknown = set(fields) - set(EVENT_FIELDS)
    if unknown:
        raise RuleViolation("EVENEMENT", f"Champs inconnus : {', '.join(sorted(unknown))}.")
    fields.setdefault("intervener", actor)
    event = Event(beneficiary=beneficiary, structure_id=beneficiary.structure_id, created_by=actor, **fields)
    validate_event(event)
    with audited(event, actor=actor, action="record_event", exclude=_EXCLUDE):
        event.save()
        event_saved.send(sender=Event, event=event, created=True)  # R9: the CEP's last manifestation
    return event


@transaction.atomic
def update_event(*, event: Event, actor, **changes) -> Event:
    ensure_right(actor, Right.EVENTS, event.structure_id)
    if event.is_system:
        raise RuleViolation("EVENEMENT", "Un événement système ne peut pas être modifié.")
    unknown = set(changes) - set(EVENT_FIELDS)
    if unknown:
        raise RuleViolation("EVENEMENT", f"Champs non modifiables : {', '.join(sorted(unknown))}.")
    with audited(Event, event.pk, actor=actor, action="update_event", exclude=_EXCLUDE, skip_unchanged=True) as event:
        for name, value in changes.items():
            setattr(event, name, value)
        validate_event(event)
        event.save()
        event_saved.send(sender=Event, event=event, created=False)  # R9: the CEP's last manifestation
    return event


@transaction.atomic
def delete_event(*, event: Event, actor) -> None:
    """Remove an event entered by mistake (audited: its last image is kept in the audit trail).

    Refused for a system event (the trace of a deletion, R11) and for the event of a proposed service (the service
    points to it). Enrolments recompute the inactivity clock of the person's CEP in progress (R9, event_deleted).
    """
    ensure_right(actor, Right.EVENTS, event.structure_id)
    event = Event.objects.select_for_update(of=("self",)).get(pk=event.pk)
    if event.is_system:
        raise RuleViolation("EVENEMENT", "Un événement système ne peut pas être supprimé.")
    if event.services.exists():
        raise RuleViolation(
            "EVENEMENT",
            "Cet événement porte un service proposé à la personne : il ne peut pas être supprimé.",
        )
    before, pk = snapshot(event, _EXCLUDE), event.pk
    event.delete()
    event.pk = pk  # the deleted row's id, for the audit entry and the receivers
    record(actor=actor, action="delete_event", obj=event, before=before, after=None)
    event_deleted.send(sender=Event, event=event)  # R9: the CEP's last manifestation may move back


def record_system_event(
    *, beneficiary, actor, on: datetime.date, context_code: str, nature_code: str, comment: str
) -> Event:
    """An event the system writes itself (e.g. « Suppression de dispositif »); not a manifestation."""
    event = Event(
        beneficiary=beneficiary,
        structure_id=beneficiary.structure_id,
        date=on,
        primary_context_id=context_code,
        nature_id=nature_code,
        direction_id="interne",
        place_id="siege",
        function_id="conseiller",
        intervener=actor,
        comment=comment[:255],
        is_system=True,
        created_by=actor,
    )
    with audited(event, actor=actor, action="record_event", exclude=_EXCLUDE):
        event.save()
    return event


def event_in_progress(beneficiary, on: datetime.date | None = None) -> Event | None:
    """« Événement en cours »: an event of the day on the dossier (decision recorded in docs/decisions.md)."""
    on = on or today()
    return beneficiary.events.filter(date=on, is_system=False).order_by("-id").first()
