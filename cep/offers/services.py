"""Service offers and proposing them to a person (level 1, docs/regles-cep.md §3)."""

import datetime

from django.db import transaction

from cep.accounts.rights import Right
from cep.audit.services import audited
from cep.beneficiaries.services import ensure_not_anonymised
from cep.common.access import ensure_right
from cep.common.dates import fr, today
from cep.common.errors import RuleViolation
from cep.common.text import check_text, model_max_lengths
from cep.events.services import event_in_progress, record_event

from .models import Service, ServiceOffer
from .signals import service_proposing

OFFER_FIELDS = (
    "kind",
    "origin",
    "theme",
    "service_act",
    "regional_service_act",
    "offer_type",
    "name",
    "partner",
    "start_date",
    "end_date",
    "state",
    "referent",
    "national_measure",
)
_EXCLUDE = ("created_at", "updated_at")


def _validate_offer(offer: ServiceOffer) -> None:
    check_text("OFFRE", model_max_lengths(ServiceOffer), **{f: getattr(offer, f) for f in OFFER_FIELDS})
    if not (offer.name or "").strip():
        raise RuleViolation("OFFRE", "Renseignez le nom de l'offre.", field="name")
    if offer.end_date and offer.end_date < offer.start_date:
        raise RuleViolation(
            "OFFRE", "La date de fin de l'offre doit être postérieure ou égale à sa date de début.", field="end_date"
        )
    if offer.referent is not None and offer.structure_id and offer.referent.structure_id != offer.structure_id:
        raise RuleViolation("OFFRE", "Le conseiller référent doit appartenir à la structure.", field="referent")


@transaction.atomic
def create_offer(*, structure, actor, **fields) -> ServiceOffer:
    ensure_right(actor, Right.MANAGE_OFFERS, structure.pk)
    unknown = set(fields) - set(OFFER_FIELDS)
    if unknown:
        raise RuleViolation("OFFRE", f"Champs inconnus : {', '.join(sorted(unknown))}.")
    offer = ServiceOffer(structure=structure, region_id=structure.region_id, **fields)
    _validate_offer(offer)
    with audited(offer, actor=actor, action="create_offer", exclude=_EXCLUDE, structure_id=structure.pk):
        offer.save()
    return offer


@transaction.atomic
def update_offer(*, offer: ServiceOffer, actor, **changes) -> ServiceOffer:
    ensure_right(actor, Right.MANAGE_OFFERS, offer.structure_id)
    unknown = set(changes) - set(OFFER_FIELDS)
    if unknown:
        raise RuleViolation("OFFRE", f"Champs non modifiables : {', '.join(sorted(unknown))}.")
    with audited(ServiceOffer, offer.pk, actor=actor, action="update_offer", exclude=_EXCLUDE) as offer:
        for name, value in changes.items():
            setattr(offer, name, value)
        _validate_offer(offer)
        offer.save()
    return offer


def offer_usable_by(offer: ServiceOffer, structure) -> bool:
    return offer.structure_id == structure.pk or (
        offer.structure_id is None and offer.region_id == structure.region_id
    )


def validate_proposal(*, offer: ServiceOffer, structure, proposed_on: datetime.date, comment: str) -> None:
    """The rules of proposing `offer` on `proposed_on` (OFFRE), on values: « Proposer » (propose_offer) and the
    import of services (cep/imports/service_proposals.py) check the same way."""
    if not offer_usable_by(offer, structure):
        raise RuleViolation("OFFRE", "Cette offre n'appartient pas au catalogue de votre structure.", field="offer")
    if proposed_on > today():
        raise RuleViolation("OFFRE", "La date de proposition ne peut pas être dans le futur.", field="proposed_on")
    if proposed_on < offer.start_date or (offer.end_date and proposed_on > offer.end_date):
        raise RuleViolation(
            "OFFRE",
            f"L'offre « {offer.name} » n'est pas ouverte le {fr(proposed_on)} "
            f"(du {fr(offer.start_date)}{' au ' + fr(offer.end_date) if offer.end_date else ''}).",
            field="proposed_on",
        )
    check_text("OFFRE", comment=comment)
    if len(comment or "") > 255:
        raise RuleViolation("OFFRE", "Le commentaire ne dépasse pas 255 caractères.", field="comment")


@transaction.atomic
def propose_offer(
    *,
    beneficiary,
    offer: ServiceOffer,
    actor,
    proposed_on: datetime.date | None = None,
    comment: str = "",
    event: dict | None = None,
) -> Service:
    """Propose an offer to a person: creates the service and, when no event is in progress, its event.

    The CEP in progress that day, if any, is attached to the service by enrolments (signal service_proposing).
    """
    ensure_right(actor, Right.MANAGE_DOSSIERS, beneficiary.structure_id)
    ensure_not_anonymised(beneficiary)
    proposed_on = proposed_on or today()
    validate_proposal(offer=offer, structure=beneficiary.structure, proposed_on=proposed_on, comment=comment)
    current = event_in_progress(beneficiary, proposed_on)
    if current is None:
        if not event:
            raise RuleViolation(
                "EVENEMENT",
                "Aucun événement n'est en cours sur ce dossier : renseignez l'événement de la proposition.",
                field="event",
            )
        current = record_event(beneficiary=beneficiary, actor=actor, **{"date": proposed_on, **event})
    service = Service(
        beneficiary=beneficiary,
        structure_id=beneficiary.structure_id,
        offer=offer,
        service_act_id=offer.service_act_id,
        is_cep_level1=offer.is_cep_level1,
        proposed_on=proposed_on,
        proposed_by=actor,
        event=current,
        comment=comment,
    )
    service_proposing.send(sender=Service, service=service)  # enrolments attaches the CEP in progress
    with audited(service, actor=actor, action="propose_offer", exclude=_EXCLUDE):
        service.save()
    return service
