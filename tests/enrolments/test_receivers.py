"""The lower layers' signals, received by enrolments (cep/enrolments/receivers.py, docs/decisions.md 2026-12-01).

Events and offers never import enrolments: they send event_saved and service_proposing synchronously, inside
their transaction. A receiver that fails therefore takes the whole action down with it: nothing half-written.
"""

import datetime

import pytest

from cep.audit.models import AuditEntry
from cep.enrolments.models import Cep
from cep.events.models import Event
from cep.events.services import record_event, update_event
from cep.events.signals import event_saved
from cep.offers.models import Service
from cep.offers.services import propose_offer
from cep.offers.signals import service_proposing
from tests.clock import today

pytestmark = pytest.mark.django_db


class Boom(Exception):
    pass


def boom(sender, **kwargs):
    raise Boom


@pytest.fixture
def failing(request):
    """Connect `boom` to a signal for the test only (after enrolments' receivers, which run first)."""

    def connect(signal, sender):
        signal.connect(boom, sender=sender, dispatch_uid="test.boom")
        request.addfinalizer(lambda: signal.disconnect(sender=sender, dispatch_uid="test.boom"))

    return connect


@pytest.fixture
def offer(cep_offer):
    return cep_offer


def test_enrolments_listens_to_the_lower_layers():
    assert event_saved.has_listeners(Event)
    assert service_proposing.has_listeners(Service)


def test_recorded_and_changed_events_move_the_inactivity_clock(beneficiary, counselor, open_cep, event_refs):
    cep = open_cep(entry_date=today() - datetime.timedelta(days=60))
    event = record_event(
        beneficiary=beneficiary, actor=counselor, date=today() - datetime.timedelta(days=30), **event_refs
    )
    cep.refresh_from_db()
    assert cep.last_manifestation_date == today() - datetime.timedelta(days=30)
    update_event(event=event, actor=counselor, date=today() - datetime.timedelta(days=10))
    cep.refresh_from_db()
    assert cep.last_manifestation_date == today() - datetime.timedelta(days=10)


def test_a_failing_receiver_of_event_saved_leaves_nothing_written(
    beneficiary, counselor, open_cep, event_refs, failing
):
    cep = open_cep(entry_date=today() - datetime.timedelta(days=60))
    before = (Cep.objects.get(pk=cep.pk).last_manifestation_date, AuditEntry.objects.count())
    failing(event_saved, Event)
    with pytest.raises(Boom):
        record_event(beneficiary=beneficiary, actor=counselor, date=today(), **event_refs)
    assert not Event.objects.exists()
    assert (Cep.objects.get(pk=cep.pk).last_manifestation_date, AuditEntry.objects.count()) == before


def test_the_cep_in_progress_is_attached_before_the_save(beneficiary, counselor, open_cep, offer, event_refs):
    cep = open_cep(entry_date=today() - datetime.timedelta(days=60))
    service = propose_offer(beneficiary=beneficiary, offer=offer, actor=counselor, event=event_refs)
    assert service.cep_id == cep.pk
    entry = AuditEntry.objects.get(action="propose_offer", object_id=service.pk)
    assert entry.after["cep_id"] == cep.pk
    earlier = propose_offer(
        beneficiary=beneficiary,
        offer=offer,
        actor=counselor,
        proposed_on=today() - datetime.timedelta(days=61),
        event=event_refs,
    )
    assert earlier.cep_id is None  # proposed before the CEP began


def test_a_failing_receiver_of_service_proposing_leaves_nothing_written(
    beneficiary, counselor, open_cep, offer, event_refs, failing
):
    open_cep(entry_date=today() - datetime.timedelta(days=60))
    audit = AuditEntry.objects.count()
    failing(service_proposing, Service)
    with pytest.raises(Boom):
        propose_offer(beneficiary=beneficiary, offer=offer, actor=counselor, event=event_refs)
    # neither the service nor the event recorded for it, nor their audit entries
    assert not Service.objects.exists() and not Event.objects.exists()
    assert AuditEntry.objects.count() == audit
