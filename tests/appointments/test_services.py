"""Rendez-vous: booking, the transitions (each accepted and refused), « Honoré » records one event and moves the
R9 clock, « Non honoré » does not; every change audited; nothing written on a refusal."""

import datetime
import itertools

import pytest
from django.utils import timezone

from cep.accounts.rights import NATIONAL_RIGHTS, Right
from cep.appointments.models import Appointment, Status
from cep.appointments.services import set_status
from cep.appointments.workflow import TRANSITIONS
from cep.audit.models import AuditEntry
from cep.common.errors import RuleViolation
from cep.events.models import Event
from tests.clock import today
from tests.factories import BeneficiaryFactory, UserFactory
from tests.factories import paris_at as at

pytestmark = pytest.mark.django_db


def _writes():
    return Appointment.objects.count(), Event.objects.count(), AuditEntry.objects.count()


# --- booking -------------------------------------------------------------------------------------------------


def test_rdv_booking_today_or_later_is_accepted_and_audited(book, counselor):
    of_today = book(at(0, 5))
    later = book(at(14, 30, days=3), mode="telephone", duration=30, subject="Point sur le projet")
    assert of_today.status == Status.PLANNED and of_today.counselor == counselor and of_today.place_id == "siege"
    assert later.place is None and later.duration == 30 and timezone.is_aware(later.starts_at)
    assert AuditEntry.objects.filter(object_type="appointment", action="book_appointment").count() == 2


def test_rdv_booking_a_past_day_is_refused(book):
    before = _writes()
    with pytest.raises(RuleViolation) as refused:
        book(at(10, 0, days=-1))
    assert refused.value.field == "starts_at" and "événement" in refused.value.message
    assert _writes() == before


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"duration": 4}, "duration"),
        ({"duration": 481}, "duration"),
        ({"place": None}, "place"),  # on site without a place
        ({"subject": "x" * 256}, "subject"),
        ({"subject": "nul\x00"}, "subject"),
    ],
)
def test_rdv_booking_refuses_bad_fields(book, kwargs, field):
    before = _writes()
    with pytest.raises(RuleViolation) as refused:
        book(at(9, 0, days=1), **kwargs)
    assert refused.value.field == field
    assert _writes() == before


def test_rdv_remote_booking_drops_the_place(book, siege):
    assert book(at(9, 0, days=1), mode="visio", place=siege).place is None


def test_rdv_counselor_of_another_structure_is_refused(book, other_structure):
    outsider = UserFactory(username="ailleurs", structure=other_structure)
    with pytest.raises(RuleViolation) as refused:
        book(at(9, 0, days=1), counselor=outsider)
    assert refused.value.field == "counselor"


def test_rdv_overlapping_booking_of_the_same_counselor_is_refused(book, structure, counselor):
    book(at(9, 0, days=1), duration=60)
    other = BeneficiaryFactory(structure=structure, referent=counselor)
    with pytest.raises(RuleViolation) as refused:
        book(at(9, 30, days=1), beneficiary=other)
    assert "déjà un rendez-vous" in refused.value.message
    assert book(at(10, 0, days=1), beneficiary=other).pk  # right after: accepted


def test_rdv_the_database_keeps_one_planned_rendez_vous_per_counselor_and_start(book, counselor, beneficiary, modes):
    """The overlap check reads before writing: two bookings at once would both pass it; the database refuses."""
    first = book(at(11, 0, days=2))
    twin = Appointment(
        beneficiary=beneficiary,
        structure_id=beneficiary.structure_id,
        starts_at=first.starts_at,
        mode=modes["telephone"],
        counselor=counselor,
    )
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


def test_droits_booking_needs_the_events_right(book, manager):
    manager.extra_rights = sorted(set(Right.values) - NATIONAL_RIGHTS - {Right.EVENTS})
    manager.save(update_fields=["extra_rights"])
    with pytest.raises(RuleViolation) as refused:
        book(at(9, 0, days=1), actor=manager)
    assert refused.value.rule == "DROITS"


def test_droits_booking_on_another_structures_dossier_is_refused(book, other_structure):
    with pytest.raises(RuleViolation) as refused:
        book(at(9, 0, days=1), beneficiary=BeneficiaryFactory(structure=other_structure))
    assert refused.value.rule == "DROITS"


# --- transitions ---------------------------------------------------------------------------------------------

PAIRS = list(itertools.product(Status.values, Status.values))


def _in_status(appointment, status):
    """Put a rendez-vous in `status` the way the services do (honoured: with its event)."""
    if status == Status.PLANNED:
        return appointment
    if status == Status.HONOURED:
        return set_status(appointment=appointment, actor=appointment.counselor, status=status)
    Appointment.objects.filter(pk=appointment.pk).update(status=status)
    appointment.refresh_from_db()
    return appointment


@pytest.mark.parametrize(("source", "target"), PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_rdv_each_transition_is_accepted_or_refused_as_the_table_says(book, counselor, source, target):
    appointment = _in_status(book(at(0, 5)), source)
    before = _writes()
    if target in TRANSITIONS[source]:
        changed = set_status(appointment=appointment, actor=counselor, status=target)
        assert changed.status == target
        assert AuditEntry.objects.filter(object_type="appointment", action=f"appointment_{target}").exists()
    else:
        with pytest.raises(RuleViolation) as refused:
            set_status(appointment=appointment, actor=counselor, status=target)
        assert refused.value.rule == "RENDEZ-VOUS" and refused.value.field == "status"
        assert _writes() == before
        appointment.refresh_from_db()
        assert appointment.status == source


def test_rdv_unknown_status_is_refused(book, counselor):
    with pytest.raises(RuleViolation):
        set_status(appointment=book(), actor=counselor, status="peut-etre")


@pytest.mark.parametrize("status", [Status.HONOURED, Status.NO_SHOW])
def test_rdv_a_future_rendez_vous_cannot_be_honoured_or_missed_yet(book, counselor, status):
    appointment = book(at(9, 0, days=1))
    before = _writes()
    with pytest.raises(RuleViolation) as refused:
        set_status(appointment=appointment, actor=counselor, status=status)
    assert "à partir de ce jour-là" in refused.value.message
    assert _writes() == before


def test_rdv_a_future_rendez_vous_can_be_cancelled(book, counselor):
    appointment = set_status(appointment=book(at(9, 0, days=1)), actor=counselor, status=Status.CANCELLED)
    assert appointment.status == Status.CANCELLED and appointment.event is None
    # the slot is free again
    assert book(at(9, 0, days=1)).pk


# --- « Honoré » records the event, « Non honoré » does not (R9) -------------------------------------------------


def test_r9_honoured_records_exactly_one_event_and_moves_the_clock(book, counselor, open_cep):
    cep = open_cep(entry_date=today() - datetime.timedelta(days=100))
    assert cep.last_manifestation_date == cep.entry_date
    appointment = book(at(0, 5), subject="Bilan de la phase 2")
    events = Event.objects.count()
    appointment = set_status(appointment=appointment, actor=counselor, status=Status.HONOURED)
    assert Event.objects.count() == events + 1
    event = appointment.event
    assert event.date == today() and event.is_cep and event.primary_context_id == "cep"  # a CEP is in progress
    assert (event.nature_id, event.direction_id, event.place_id) == (
        "entretien_individuel",
        "beneficiaire_vers_structure",
        "siege",
    )
    assert event.intervener == counselor and "Bilan de la phase 2" in event.comment
    assert AuditEntry.objects.filter(object_type="event", object_id=event.pk, action="record_event").exists()
    cep.refresh_from_db()
    assert cep.last_manifestation_date == today()  # R9: the clock moved


def test_r9_honoured_at_a_distance_without_a_cep_is_a_general_remote_event(book, counselor):
    appointment = set_status(appointment=book(at(0, 5), mode="telephone"), actor=counselor, status=Status.HONOURED)
    event = appointment.event
    assert event.primary_context_id == "evenement_general" and not event.is_cep
    assert (event.nature_id, event.place_id, event.delivery_mode) == ("telephone", "domicile", "a_distance")


def test_r9_a_past_planned_rendez_vous_honoured_later_is_recorded_on_its_day(book, counselor, open_cep):
    """Recording afterwards: booked last week, marked today; the event is dated on the rendez-vous' day."""
    cep = open_cep(entry_date=today() - datetime.timedelta(days=100))
    appointment = book(at(10, 0, days=2))
    Appointment.objects.filter(pk=appointment.pk).update(starts_at=at(10, 0, days=-7))  # a week has passed
    appointment.refresh_from_db()
    appointment = set_status(appointment=appointment, actor=counselor, status=Status.HONOURED)
    assert appointment.event.date == today() - datetime.timedelta(days=7)
    cep.refresh_from_db()
    assert cep.last_manifestation_date == today() - datetime.timedelta(days=7)


def test_r9_no_show_is_kept_and_does_not_move_the_clock(book, counselor, open_cep):
    cep = open_cep(entry_date=today() - datetime.timedelta(days=100))
    events = Event.objects.count()
    appointment = set_status(appointment=book(at(0, 5)), actor=counselor, status=Status.NO_SHOW)
    assert appointment.status == Status.NO_SHOW and appointment.event is None
    assert Event.objects.count() == events  # not a manifestation: no event
    cep.refresh_from_db()
    assert cep.last_manifestation_date == cep.entry_date
    assert Appointment.objects.filter(pk=appointment.pk, status=Status.NO_SHOW).exists()  # kept


def test_r9_honoured_is_one_transaction_an_event_refusal_writes_nothing(book, counselor, open_cep):
    appointment = book(at(0, 5))
    from cep.referentials.models import EventNature

    EventNature.objects.filter(pk="entretien_individuel").update(valid_to=today() - datetime.timedelta(days=1))
    before = _writes()
    with pytest.raises(RuleViolation) as refused:
        set_status(appointment=appointment, actor=counselor, status=Status.HONOURED)
    assert refused.value.rule == "EVENEMENT"
    assert _writes() == before
    appointment.refresh_from_db()
    assert appointment.status == Status.PLANNED


def test_droits_marking_needs_the_events_right(book, manager, counselor):
    appointment = book(at(0, 5))
    manager.extra_rights = sorted(set(Right.values) - NATIONAL_RIGHTS - {Right.EVENTS})
    manager.save(update_fields=["extra_rights"])
    with pytest.raises(RuleViolation) as refused:
        set_status(appointment=appointment, actor=manager, status=Status.HONOURED)
    assert refused.value.rule == "DROITS"


def test_droits_booking_an_anonymised_dossier_is_refused(book, beneficiary):
    from cep.beneficiaries.models import Beneficiary

    Beneficiary.objects.filter(pk=beneficiary.pk).update(anonymised_at=timezone.now())
    beneficiary.refresh_from_db()
    with pytest.raises(RuleViolation):
        book(at(9, 0, days=1), mode="visio", beneficiary=beneficiary)
