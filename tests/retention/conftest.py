"""A dossier whose last contact is an event of 15 March 2023, built through the audited services."""

import datetime

import pytest
from django.utils import timezone

from cep.beneficiaries.models import Beneficiary
from cep.beneficiaries.services import create_beneficiary, justify_beneficiary
from cep.events.services import record_event
from cep.organisations.models import Commune
from cep.referentials import models as ref

FIRST = datetime.date(2023, 1, 10)
LAST_CONTACT = datetime.date(2023, 3, 15)
KEPT_ON = datetime.date(2025, 3, 15)  # exactly 24 months after the last contact: kept
GONE_ON = datetime.date(2025, 3, 16)  # one day more: anonymised
IDENTITY = {
    "last_name": "Martin-Lefèvre",
    "first_name": "Zoé",
    "birth_name": "Durand",
    "email": "zoe.martin@exemple.fr",
    "phone": "0612345678",
    "address": "3 rue des Lilas",
}
COMMENT = "Mme Martin-Lefèvre évoque un arrêt maladie"


def at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))


def make_dossier(
    *, structure, actor, event_refs, first=FIRST, last_contact=LAST_CONTACT, justify=True, **extra
) -> Beneficiary:
    """A « Justifié » dossier (unless `justify` is False) received on `first`, with one event (and its comment)
    on `last_contact`."""
    fields = {
        **IDENTITY,
        "sex": "F",
        "birth_date": datetime.date(2003, 5, 17),
        "commune": Commune.objects.get(code="2A004"),
        "employment_status": ref.EmploymentStatus.objects.get(code="demandeur_emploi_non_indemnise"),
        "qualification_level": ref.QualificationLevel.objects.get(code="niveau_4"),
        "has_rqth": True,
        "first_reception_date": first,
        **extra,
    }
    beneficiary = create_beneficiary(structure=structure, actor=actor, **fields)
    if justify:
        beneficiary = justify_beneficiary(beneficiary=beneficiary, actor=actor)
    # The dossier was created and justified on its first day, long ago (update(): updated_at stays as it is).
    Beneficiary.objects.filter(pk=beneficiary.pk).update(
        created_at=at(first), justified_at=at(first) if justify else None
    )
    if last_contact:
        record_event(beneficiary=beneficiary, actor=actor, date=last_contact, comment=COMMENT, **event_refs)
    beneficiary.refresh_from_db()
    return beneficiary


@pytest.fixture
def old_dossier(structure, counselor, event_refs):
    return make_dossier(structure=structure, actor=counselor, event_refs=event_refs)
