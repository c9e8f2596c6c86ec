import datetime

import pytest

from cep.audit.models import AuditEntry
from cep.common.errors import RuleViolation
from cep.events.models import Event
from cep.events.services import event_in_progress, record_event, update_event
from cep.referentials import models as ref

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()


def test_event_with_three_contexts_and_delivery_mode(beneficiary, counselor, event_refs):
    event = record_event(
        beneficiary=beneficiary,
        actor=counselor,
        date=TODAY,
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
        ({"date": TODAY + datetime.timedelta(days=1)}, "date"),
        ({"secondary_context": "cep"}, "secondary_context"),
        ({"nature": None}, "nature"),
    ],
)
def test_invalid_event_is_refused(beneficiary, counselor, event_refs, change, field):
    values = dict(event_refs, date=TODAY)
    if change.get("secondary_context") == "cep":
        change = {"secondary_context": ref.EventContext.objects.get(code="cep")}
    values.update(change)
    with pytest.raises(RuleViolation) as err:
        record_event(beneficiary=beneficiary, actor=counselor, **values)
    assert err.value.field == field
    assert not Event.objects.exists()


def test_event_of_another_structure_is_refused(beneficiary, other_counselor, event_refs):
    with pytest.raises(RuleViolation) as err:
        record_event(beneficiary=beneficiary, actor=other_counselor, date=TODAY, **event_refs)
    assert err.value.rule == "DROITS"


def test_update_event_is_audited(beneficiary, counselor, event_refs):
    event = record_event(beneficiary=beneficiary, actor=counselor, date=TODAY, **event_refs)
    update_event(event=event, actor=counselor, comment="Bilan à programmer")
    entry = AuditEntry.objects.get(object_id=event.pk, action="update_event")
    assert ("comment", "", "Bilan à programmer") in entry.changes()


def test_event_before_cep_entry_is_not_a_manifestation(beneficiary, counselor, event_refs, open_cep):
    cep = open_cep(entry_date=TODAY - datetime.timedelta(days=30))
    record_event(beneficiary=beneficiary, actor=counselor, date=TODAY - datetime.timedelta(days=40), **event_refs)
    cep.refresh_from_db()
    assert cep.last_manifestation_date == cep.entry_date
