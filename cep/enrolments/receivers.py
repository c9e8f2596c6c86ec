"""Enrolments' answers to what happens in the layers below (docs/decisions.md, 2026-12-01).

The layering is beneficiaries < events < offers < enrolments: events and offers never import enrolments; they send
their signals (cep/events/signals.py, cep/offers/signals.py) and the receivers below, connected in the app's
ready() (cep/enrolments/apps.py), keep the CEP side up to date. Signals are sent synchronously inside the sender's
transaction: whatever a receiver writes commits or rolls back with the change that caused it.
"""

from django.db.models import F, Q

from .models import Cep
from .workflow import OPEN_STATUSES


def note_manifestation(sender, *, event, **kwargs) -> None:
    """events.signals.event_saved — R9: an event on or after the CEP's entry moves the last manifestation of the
    CEP in progress forward (never backward). One UPDATE; `updated_at` unchanged, no audit entry."""
    day = event.date
    Cep.objects.filter(
        beneficiary_id=event.beneficiary_id,
        structure_id=event.structure_id,
        status__in=OPEN_STATUSES,
        entry_date__lte=day,
    ).filter(Q(last_manifestation_date__isnull=True) | Q(last_manifestation_date__lt=day)).update(
        last_manifestation_date=day, updated_at=F("updated_at")
    )


def attach_cep_in_progress(sender, *, service, **kwargs) -> None:
    """offers.signals.service_proposing — the CEP in progress on the day the service is proposed, if any, is the
    service's CEP (it then counts in national statistics whatever the context). One SELECT, before the save."""
    service.cep = (
        Cep.objects.filter(
            beneficiary_id=service.beneficiary_id,
            structure_id=service.structure_id,
            status__in=OPEN_STATUSES,
            entry_date__lte=service.proposed_on,
        )
        .only("pk")
        .first()
    )
