import datetime

import pytest

from cep.audit.models import AuditEntry
from cep.common.errors import RuleViolation
from cep.events.models import Event
from cep.events.services import delete_event, event_in_progress, record_event, record_system_event, update_event
from cep.referentials import models as ref
from tests.clock import resolved, today

pytestmark = pytest.mark.django_db


def test_event_with_three_contexts_and_delivery_mode(beneficiary, counselor, event_refs):
    event = record_event(
        beneficiary=beneficiary,
        actor=counselor,
        date=today(),
        walk_in=True,
        delivery_mode="a_distance",
        group_mode="collectif",
        secondary_context=ref.EventContext.objects.get(code="formation"),
        tertiary_context=ref.EventContext.objects.get(code="emploi"),
        comment="x" * 255,
        **event_refs,
    )
    assert event.is_cep and event.intervener == counselor and len(event.contexts()) == 3
    assert event_in_progress(beneficiary) == event
    assert AuditEntry.objects.filter(object_type="event", object_id=event.pk).exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"comment": "x" * 256}, "comment"),
        ({"date": lambda: today() + datetime.timedelta(days=1)}, "date"),
        ({"secondary_context": "cep"}, "secondary_context"),
        ({"nature": None}, "nature"),
    ],
)
def test_invalid_event_is_refused(beneficiary, counselor, event_refs, change, field):
    values = dict(event_refs, date=today())
    if change.get("secondary_context") == "cep":
        change = {"secondary_context": ref.EventContext.objects.get(code="cep")}
    values.update(resolved(change))
    with pytest.raises(RuleViolation) as err:
        record_event(beneficiary=beneficiary, actor=counselor, **values)
    assert err.value.field == field
    assert not Event.objects.exists()


def test_event_of_another_structure_is_refused(beneficiary, other_counselor, event_refs):
    with pytest.raises(RuleViolation) as err:
        record_event(beneficiary=beneficiary, actor=other_counselor, date=today(), **event_refs)
    assert err.value.rule == "DROITS"


def test_update_event_is_audited(beneficiary, counselor, event_refs):
    event = record_event(beneficiary=beneficiary, actor=counselor, date=today(), **event_refs)
    update_event(event=event, actor=counselor, comment="Bilan à programmer")
    entry = AuditEntry.objects.get(object_id=event.pk, action="update_event")
    assert ("comment", "", "Bilan à programmer") in entry.changes()


def test_event_before_cep_entry_is_not_a_manifestation(beneficiary, counselor, event_refs, open_cep):
    cep = open_cep(entry_date=today() - datetime.timedelta(days=30))
    record_event(beneficiary=beneficiary, actor=counselor, date=today() - datetime.timedelta(days=40), **event_refs)
    cep.refresh_from_db()
    assert cep.last_manifestation_date == cep.entry_date


def _state():
    return list(Event.objects.order_by("pk").values()), AuditEntry.objects.count()


def test_delete_event_is_audited(beneficiary, counselor, event_refs):
    event = record_event(beneficiary=beneficiary, actor=counselor, date=today(), comment="Erreur", **event_refs)
    delete_event(event=event, actor=counselor)
    assert not Event.objects.exists()
    entry = AuditEntry.objects.get(object_type="event", object_id=event.pk, action="delete_event")
    assert entry.before["comment"] == "Erreur" and entry.after is None and entry.beneficiary_id == beneficiary.pk


def test_delete_system_event_is_refused(beneficiary, counselor):
    event = record_system_event(
        beneficiary=beneficiary,
        actor=counselor,
        on=today(),
        context_code="suppression_dispositif",
        nature_code="suppression_dispositif",
        comment="Suppression du dispositif CEP",
    )
    before = _state()
    with pytest.raises(RuleViolation) as err:
        delete_event(event=event, actor=counselor)
    assert err.value.rule == "EVENEMENT" and _state() == before


def test_delete_the_event_of_a_proposed_service_is_refused(beneficiary, counselor, cep_offer, event_refs):
    from cep.offers.services import propose_offer

    service = propose_offer(beneficiary=beneficiary, offer=cep_offer, actor=counselor, event=event_refs)
    before = _state()
    with pytest.raises(RuleViolation) as err:
        delete_event(event=service.event, actor=counselor)
    assert err.value.rule == "EVENEMENT" and "service" in err.value.message and _state() == before


def test_delete_event_of_another_structure_is_refused(beneficiary, counselor, other_counselor, event_refs):
    event = record_event(beneficiary=beneficiary, actor=counselor, date=today(), **event_refs)
    before = _state()
    with pytest.raises(RuleViolation):
        delete_event(event=event, actor=other_counselor)
    assert _state() == before
