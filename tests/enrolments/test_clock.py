"""R9: the inactivity clock counts the person's manifestations only, and follows every change of their events.

docs/regles-cep.md R9: a manifestation of the person is a live contact either way between the person and the
structure, or anything the person sent; not a letter, e-mail or SMS the structure sent, a partner or internal event,
a system event.
The clock's day is the latest of the entry date, the last reopening and the latest manifestation since the entry.
"""

import datetime

import pytest
from django.db import connection
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from cep.audit.models import AuditEntry
from cep.common.dates import add_months
from cep.enrolments import services as s
from cep.enrolments.models import Cep
from cep.enrolments.workflow import Status
from cep.events.models import Event
from cep.events.services import delete_event, record_event, record_system_event, update_event
from cep.referentials import models as ref
from tests.clock import today
from tests.enrolments.conftest import days
from tests.factories import BeneficiaryFactory, StructureFactory, UserFactory

pytestmark = pytest.mark.django_db

# The oracle, written from docs/regles-cep.md R9 independently of the referential flags the code reads.
LIVE = {"entretien_individuel", "atelier_collectif", "information_collective", "telephone", "visioconference"}
WRITTEN = {"courriel", "courrier", "sms"}
FROM_PERSON, TO_PERSON = "beneficiaire_vers_structure", "structure_vers_beneficiaire"
DIRECTIONS = [FROM_PERSON, TO_PERSON, "partenaire_vers_structure", "structure_vers_partenaire", "interne"]


def is_manifestation(direction: str, nature: str) -> bool:
    return direction == FROM_PERSON or (direction == TO_PERSON and nature in LIVE)


@pytest.fixture
def event(beneficiary, counselor, event_refs):
    """Record an event `ago` days ago with the given sens and nature (codes)."""

    def make(ago: int, direction: str = FROM_PERSON, nature: str = "entretien_individuel") -> Event:
        fields = {
            **event_refs,
            "direction": ref.EventDirection.objects.get(code=direction),
            "nature": ref.EventNature.objects.get(code=nature),
        }
        return record_event(beneficiary=beneficiary, actor=counselor, date=days(ago), **fields)

    return make


def clock(cep) -> datetime.date:
    return Cep.objects.values_list("last_manifestation_date", flat=True).get(pk=cep.pk)


def test_r9_the_referentials_say_which_events_are_manifestations(refdata):
    for direction in ref.EventDirection.objects.all():
        for nature in ref.EventNature.objects.exclude(code="suppression_dispositif"):
            expected = is_manifestation(direction.code, nature.code)
            flags = direction.is_from_person or (direction.is_with_person and nature.is_live_contact)
            assert flags == expected, (direction.code, nature.code)


@pytest.mark.parametrize(
    "direction,nature,counts",
    [
        (FROM_PERSON, "entretien_individuel", True),
        (FROM_PERSON, "sms", True),  # the person wrote
        (FROM_PERSON, "courrier", True),
        (TO_PERSON, "telephone", True),  # a live contact started by the structure
        (TO_PERSON, "visioconference", True),
        (TO_PERSON, "atelier_collectif", True),
        (TO_PERSON, "courriel", False),  # the structure's unanswered e-mail
        (TO_PERSON, "sms", False),
        (TO_PERSON, "courrier", False),
        ("partenaire_vers_structure", "entretien_individuel", False),
        ("structure_vers_partenaire", "telephone", False),
        ("interne", "entretien_individuel", False),
    ],
)
def test_r9_only_manifestations_of_the_person_move_the_clock(open_cep, event, direction, nature, counts):
    cep = open_cep(entry_date=days(100))
    event(10, direction, nature)
    assert clock(cep) == (days(10) if counts else days(100))


def test_r9_moving_an_event_back_moves_the_clock_back(open_cep, event, counselor):
    cep = open_cep(entry_date=days(300))
    event(250)
    latest = event(20)
    assert clock(cep) == days(20)
    update_event(event=latest, actor=counselor, date=days(240))
    assert clock(cep) == days(240)
    update_event(event=latest, actor=counselor, date=days(310))  # before the entry: no longer counted
    assert clock(cep) == days(250)


def test_r9_changing_an_event_into_an_unanswered_message_moves_the_clock_back(open_cep, event, counselor):
    cep = open_cep(entry_date=days(300))
    latest = event(20, TO_PERSON, "telephone")
    assert clock(cep) == days(20)
    update_event(event=latest, actor=counselor, nature=ref.EventNature.objects.get(code="courriel"))
    assert clock(cep) == days(300)


def test_r9_deleting_the_latest_event_moves_the_clock_back(open_cep, event, counselor):
    cep = open_cep(entry_date=days(300))
    first, latest = event(250), event(20)
    delete_event(event=latest, actor=counselor)
    assert clock(cep) == days(250)
    delete_event(event=first, actor=counselor)
    assert clock(cep) == days(300)  # no manifestation left: the entry date


def test_r9_a_late_clock_closes_the_cep_automatically(open_cep, event, counselor):
    """Moving the only recent event back makes the CEP run out: the automatic exit is no longer months late."""
    cep = open_cep(entry_date=days(400))
    latest = event(10)
    assert s.auto_close() == 0
    update_event(event=latest, actor=counselor, date=days(300))
    assert s.auto_close() == 1
    cep.refresh_from_db()
    assert (cep.status, cep.end_date) == (Status.CLOSED, add_months(days(300), 6))


def test_r9_opening_counts_only_the_manifestations_since_the_entry(open_cep, event):
    event(50, TO_PERSON, "courriel")
    event(80)
    event(150)
    cep = open_cep(entry_date=days(100))
    assert clock(cep) == days(80)


def test_r9_system_events_do_not_count(open_cep, event, beneficiary, counselor):
    cep = open_cep(entry_date=days(100))
    record_system_event(
        beneficiary=beneficiary,
        actor=counselor,
        on=days(5),
        context_code="suppression_dispositif",
        nature_code="suppression_dispositif",
        comment="Trace",
    )
    event(50, "interne")  # recomputes the clock: neither this event nor the system event counts
    assert clock(cep) == days(100)


def test_r9_reopening_restarts_the_clock_and_event_changes_keep_it(open_cep, event, counselor, cep_refs):
    cep = open_cep(entry_date=days(300))
    latest = event(100)
    cep = s.close_cep(cep=cep, actor=counselor, end_date=days(30), exit_reason=cep_refs["formalised"])
    cep = s.reopen_cep(cep=cep, actor=counselor)
    assert (cep.reopened_on, clock(cep)) == (today(), today())
    update_event(event=latest, actor=counselor, date=days(200))
    assert clock(cep) == today()  # the reopening day, not the moved event
    assert AuditEntry.objects.filter(object_id=cep.pk, action="reopen").get().after["reopened_on"] == str(today())


def test_r9_a_closed_cep_keeps_its_clock(open_cep, event, counselor, cep_refs):
    cep = open_cep(entry_date=days(300))
    latest = event(100)
    s.close_cep(cep=cep, actor=counselor, end_date=days(30), exit_reason=cep_refs["formalised"])
    update_event(event=latest, actor=counselor, date=days(200))
    assert clock(cep) == days(100)


def test_r9_the_clock_of_another_structure_is_untouched(open_cep, event, beneficiary, other_structure):
    cep = open_cep(entry_date=days(300))
    clone = Cep.objects.get(pk=cep.pk)
    clone.pk, clone.structure = None, other_structure
    clone.save()
    event(10)
    assert clock(cep) == days(10) and clock(clone) == days(300)


# The data migration ---------------------------------------------------------------------------------------------
def test_r9_migration_recomputes_every_open_cep_and_reports_the_moved_exit_dates(open_cep, event, counselor, capsys):
    from importlib import import_module

    migration = import_module("cep.enrolments.migrations.0003_r9_clock_from_manifestations")
    cep = open_cep(entry_date=days(300))
    event(100, TO_PERSON, "courriel")  # counted by the old rule, not by R9
    event(200)
    Cep.objects.filter(pk=cep.pk).update(last_manifestation_date=days(100))  # the old, forward-only clock
    closed = Cep.objects.get(pk=cep.pk)
    closed.pk, closed.status, closed.structure = None, Status.CLOSED, UserFactory().structure
    closed.end_date, closed.exit_reason_id, closed.ended_in_phase = days(50), "interruption_formalisee", 2
    closed.last_manifestation_date = days(120)
    closed.save()

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection
    migration.recompute_clocks(None, editor)
    assert clock(cep) == days(200)
    assert clock(closed) == days(120)  # a closed CEP keeps its clock
    out = capsys.readouterr().out
    assert (
        "1 CEP en cours recalculés" in out
        and "1 dates de sortie automatique déplacées (1 plus tôt, 0 plus tard)" in out
    )
    migration.recompute_clocks(None, editor)  # idempotent
    assert "0 dates de sortie automatique déplacées" in capsys.readouterr().out


# Property: after any sequence of edits, the clock is the latest qualifying event (or the entry, or the reopening) --
natures = st.sampled_from(sorted(LIVE | WRITTEN))
directions = st.sampled_from(DIRECTIONS)
ages = st.integers(min_value=0, max_value=260)  # days ago; the CEP entered 200 days ago


class ClockMachine(RuleBasedStateMachine):
    events = Bundle("events")

    @initialize()
    def setup(self):
        structure = StructureFactory()
        self.actor = UserFactory(structure=structure)
        self.beneficiary = BeneficiaryFactory(
            structure=structure, first_reception_date=today() - datetime.timedelta(400)
        )
        self.refs = {
            "primary_context": ref.EventContext.objects.get(code="cep"),
            "place": ref.ReceptionPlace.objects.get(code="siege"),
            "function": ref.StaffFunction.objects.get(code="conseiller"),
        }
        self.cep = s.open_cep(
            beneficiary=self.beneficiary,
            actor=self.actor,
            orientation_source=ref.OrientationSource.objects.get(code="ma_structure_entree_directe"),
            entry_date=days(200),
            entry_phase=2,
            request_reason=ref.RequestReason.objects.get(code="reconversion"),
        )

    def _fields(self, direction, nature):
        return {
            "direction": ref.EventDirection.objects.get(code=direction),
            "nature": ref.EventNature.objects.get(code=nature),
        }

    @rule(target=events, ago=ages, direction=directions, nature=natures)
    def record(self, ago, direction, nature):
        return record_event(
            beneficiary=self.beneficiary,
            actor=self.actor,
            date=days(ago),
            **self.refs,
            **self._fields(direction, nature),
        ).pk

    @rule(pk=events, ago=ages)
    def move(self, pk, ago):
        update_event(event=Event.objects.get(pk=pk), actor=self.actor, date=days(ago))

    @rule(pk=events, direction=directions, nature=natures)
    def change(self, pk, direction, nature):
        update_event(event=Event.objects.get(pk=pk), actor=self.actor, **self._fields(direction, nature))

    @rule(pk=consumes(events))
    def delete(self, pk):
        delete_event(event=Event.objects.get(pk=pk), actor=self.actor)

    @invariant()
    def clock_is_the_latest_manifestation(self):
        if not hasattr(self, "cep"):
            return
        cep = Cep.objects.get(pk=self.cep.pk)
        qualifying = [
            e.date
            for e in Event.objects.filter(beneficiary=self.beneficiary)
            if e.date >= cep.entry_date and not e.is_system and is_manifestation(e.direction_id, e.nature_id)
        ]
        assert cep.last_manifestation_date == max([cep.entry_date, *qualifying])


def test_r9_clock_equals_the_latest_manifestation_after_any_edits(refdata):
    run_state_machine_as_test(
        ClockMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=20,
            deadline=None,
            derandomize=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
