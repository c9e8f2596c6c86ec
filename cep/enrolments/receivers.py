"""Enrolments' answers to what happens in the layers below (docs/decisions.md, 2026-12-01).

The layering is beneficiaries < events < offers < enrolments: events and offers never import enrolments; they send
their signals (cep/events/signals.py, cep/offers/signals.py) and the receivers below, connected in the app's
ready() (cep/enrolments/apps.py), keep the CEP side up to date. Signals are sent synchronously inside the sender's
transaction: whatever a receiver writes commits or rolls back with the change that caused it.
"""

from . import clock
from .models import Cep
from .workflow import OPEN_STATUSES


def recompute_clock(sender, *, event, **kwargs) -> None:
    """events.signals.event_saved and event_deleted — R9: the person's events changed, so the inactivity clock of
    their CEP in progress in the structure is recomputed from the manifestations (forward or back)."""
    clock.recompute(beneficiary_id=event.beneficiary_id, structure_id=event.structure_id)


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
