import datetime

import pytest

from cep.accounts.rights import Right
from cep.common.errors import RuleViolation
from cep.events.models import Event
from cep.offers.models import Service
from cep.offers.services import create_offer, propose_offer, update_offer
from cep.referentials import models as ref
from tests.clock import today
from tests.factories import withdraw

pytestmark = pytest.mark.django_db


def test_proposal_without_event_in_progress_records_the_event(beneficiary, counselor, cep_offer, event_refs):
    service = propose_offer(beneficiary=beneficiary, offer=cep_offer, actor=counselor, event=event_refs)
    assert service.is_cep_level1 and service.event.date == today() and service.event.is_cep
    assert Service.objects.filter(beneficiary=beneficiary).count() == 1


def test_proposal_without_event_data_is_refused(beneficiary, counselor, cep_offer):
    with pytest.raises(RuleViolation) as err:
        propose_offer(beneficiary=beneficiary, offer=cep_offer, actor=counselor)
    assert err.value.field == "event"
    assert not Service.objects.exists() and not Event.objects.exists()


def test_proposal_reuses_the_event_in_progress(beneficiary, counselor, cep_offer, event_refs):
    first = propose_offer(beneficiary=beneficiary, offer=cep_offer, actor=counselor, event=event_refs)
    second = propose_offer(beneficiary=beneficiary, offer=cep_offer, actor=counselor)
    assert first.event == second.event and Event.objects.count() == 1


def test_service_during_a_cep_counts_for_the_cep(beneficiary, counselor, cep_offer, event_refs, open_cep):
    cep = open_cep()
    service = propose_offer(beneficiary=beneficiary, offer=cep_offer, actor=counselor, event=event_refs)
    assert service.cep == cep


def test_offer_of_another_structure_cannot_be_proposed(beneficiary, counselor, other_structure, refdata):
    from tests.factories import UserFactory

    other_manager = UserFactory(username="resp_b", role="manager", structure=other_structure)
    offer = create_offer(
        structure=other_structure,
        actor=other_manager,
        origin="autre",
        theme=ref.ServiceTheme.objects.get(code="emploi"),
        service_act=ref.ServiceAct.objects.get(code="vae"),
        name="VAE",
        start_date=today() - datetime.timedelta(days=10),
    )
    with pytest.raises(RuleViolation) as err:
        propose_offer(beneficiary=beneficiary, offer=offer, actor=counselor, event={})
    assert err.value.field == "offer"


def test_closed_offer_cannot_be_proposed(beneficiary, counselor, manager, cep_offer, event_refs):
    cep_offer = update_offer(offer=cep_offer, actor=manager, end_date=today() - datetime.timedelta(days=1))
    with pytest.raises(RuleViolation) as err:
        propose_offer(beneficiary=beneficiary, offer=cep_offer, actor=counselor, event=event_refs)
    assert err.value.field == "proposed_on"


def test_counselor_without_the_offers_right_cannot_create_offers(structure, counselor):
    withdraw(counselor, Right.MANAGE_OFFERS)
    with pytest.raises(RuleViolation) as err:
        create_offer(
            structure=structure,
            actor=counselor,
            origin="structure",
            theme=ref.ServiceTheme.objects.get(code="formation"),
            service_act=ref.ServiceAct.objects.get(code="vae"),
            name="X",
            start_date=today(),
        )
    assert err.value.rule == "DROITS"


def test_offer_end_before_start_is_refused(structure, manager):
    with pytest.raises(RuleViolation) as err:
        create_offer(
            structure=structure,
            actor=manager,
            origin="structure",
            theme=ref.ServiceTheme.objects.get(code="formation"),
            service_act=ref.ServiceAct.objects.get(code="vae"),
            name="X",
            start_date=today(),
            end_date=today() - datetime.timedelta(days=1),
        )
    assert err.value.field == "end_date"
