"""The lifecycle's boundaries that mutation testing found untested (issue 15, « Tests the lifecycle still lacks »).

Each bound is tried on both sides: the day that is accepted and the day that is refused (or the other structure's
counselor), and a refusal leaves the database as it was. `make mutation` (bench/mutation.py) checks that these
tests fail when a comparison of cep/enrolments/services.py or workflow.py is flipped or moved by one day.
"""

import datetime

import pytest

from cep.common import dates
from cep.common.dates import add_months
from cep.common.errors import RuleViolation
from cep.enrolments import services as s
from cep.enrolments import workflow
from cep.enrolments.models import Cep
from cep.enrolments.workflow import Status
from cep.events.models import Event
from cep.events.services import record_event
from cep.referentials import models as ref
from tests.clock import resolved, today
from tests.enrolments.conftest import days

pytestmark = pytest.mark.django_db

ONE_DAY = datetime.timedelta(days=1)


def refused(db_state, rule, fn, **kwargs):
    before = db_state()
    events = Event.objects.count()
    with pytest.raises(RuleViolation) as err:
        fn(**kwargs)
    assert err.value.rule == rule, err.value
    assert db_state() == before and Event.objects.count() == events, "a refused action must leave nothing written"
    return err.value


def clock(cep) -> datetime.date:
    return Cep.objects.values_list("last_manifestation_date", flat=True).get(pk=cep.pk)


@pytest.fixture
def manifestation(beneficiary, counselor, event_refs):
    """An interview with the person on `day` (a manifestation, R9)."""

    def make(day: datetime.date) -> Event:
        return record_event(
            beneficiary=beneficiary,
            actor=counselor,
            date=day,
            **{
                **event_refs,
                "direction": ref.EventDirection.objects.get(code="beneficiaire_vers_structure"),
                "nature": ref.EventNature.objects.get(code="entretien_individuel"),
            },
        )

    return make


# R4: the entry day and the initial interview ------------------------------------------------------------------
def test_r4_a_cep_entered_today_is_accepted(open_cep):
    cep = open_cep(entry_date=today())
    assert (cep.status, cep.entry_date, cep.phase2_entry_date) == (Status.PHASE2, today(), today())


def test_r4_a_cep_entered_tomorrow_is_refused(open_cep, db_state):
    err = refused(db_state, "R4", open_cep, entry_date=today() + ONE_DAY)
    assert err.field == "entry_date"


def test_r4_entry_on_first_reception_day_accepted_and_the_day_before_refused(open_cep, beneficiary, db_state):
    err = refused(db_state, "R4", open_cep, entry_date=beneficiary.first_reception_date - ONE_DAY)
    assert err.field == "entry_date"
    assert open_cep(entry_date=beneficiary.first_reception_date).entry_date == beneficiary.first_reception_date


def test_r4_initial_interview_on_the_entry_day_is_accepted(open_cep):
    cep = open_cep(entry_date=days(10), initial_interview_date=days(10))
    assert Cep.objects.get(pk=cep.pk).initial_interview_date == days(10)


def test_r4_initial_interview_the_day_after_entry_is_refused(open_cep, db_state):
    err = refused(db_state, "R4", open_cep, entry_date=days(10), initial_interview_date=days(9))
    assert err.field == "initial_interview_date"


def test_r4_direct_phase3_entry_today_sets_the_phase3_date_only(open_cep):
    cep = open_cep(entry_date=today(), phase=3)
    assert (cep.status, cep.phase3_entry_date, cep.phase2_entry_date) == (Status.PHASE3, today(), None)


# R9: the clock of a backdated entry, reopening, the day the end date falls ----------------------------------------
def test_r9_events_between_a_backdated_entry_and_the_recording_day_count(open_cep, manifestation):
    """A CEP recorded today with an entry 100 days ago: the interviews of those 100 days are manifestations."""
    manifestation(days(101))  # the day before the entry: not counted
    manifestation(days(100))  # the entry day itself
    assert clock(open_cep(entry_date=days(100))) == days(100)


def test_r9_an_event_after_a_backdated_entry_sets_the_clock_at_opening(open_cep, manifestation):
    manifestation(days(40))
    manifestation(days(130))  # before the entry: not counted
    cep = open_cep(entry_date=days(100))
    assert clock(cep) == days(40)
    assert s.auto_close(on=add_months(days(100), 6)) == 0  # the event of day 40 keeps it open
    assert Cep.objects.get(pk=cep.pk).status == Status.PHASE2


def test_r9_only_events_before_the_entry_leave_the_clock_on_the_entry_day(open_cep, manifestation):
    manifestation(days(130))
    assert clock(open_cep(entry_date=days(100))) == days(100)


def test_r9_reopening_restarts_the_clock_from_today(open_cep, counselor, cep_refs, manifestation, monkeypatch):
    cep = open_cep(entry_date=days(300))
    manifestation(days(250))
    cep = s.close_cep(cep=cep, actor=counselor, end_date=days(20), exit_reason=cep_refs["formalised"])
    assert clock(cep) == days(250)
    cep = s.reopen_cep(cep=cep, actor=counselor)
    assert (cep.status, cep.reopened_on, clock(cep), cep.end_date, cep.exit_reason) == (
        Status.PHASE2,
        today(),
        today(),
        None,
        None,
    )
    # Six months after the reopening, not after day 250: still open the day before, closed on the day.
    end = add_months(today(), 6)
    assert s.auto_close(on=end - ONE_DAY) == 0
    assert s.auto_close(on=end) == 1
    cep.refresh_from_db()
    assert (cep.status, cep.end_date, cep.auto_closed, cep.ended_in_phase) == (Status.CLOSED, end, True, 2)


def test_r9_reopening_a_phase3_cep_returns_to_phase3(open_cep, counselor, cep_refs):
    cep = s.move_to_phase3(cep=open_cep(entry_date=days(300)), on=days(200), actor=counselor)
    cep = s.close_cep(cep=cep, actor=counselor, end_date=days(20), exit_reason=cep_refs["formalised"])
    assert cep.ended_in_phase == 3
    cep = s.reopen_cep(cep=cep, actor=counselor)
    assert (cep.status, cep.ended_in_phase, cep.auto_closed) == (Status.PHASE3, None, False)


@pytest.mark.parametrize("last_day", [15, 1, 28])
def test_r9_automatic_exit_on_the_very_day_the_end_date_falls(open_cep, last_day):
    """Not the day before, on the day: end date = last manifestation + 6 months, inside a month."""
    last = days(300).replace(day=last_day)
    end = add_months(last, 6)
    assert end.day == last_day
    cep = open_cep(entry_date=days(400))
    Cep.objects.filter(pk=cep.pk).update(last_manifestation_date=last)
    assert s.auto_close(on=end - ONE_DAY) == 0
    assert Cep.objects.get(pk=cep.pk).status == Status.PHASE2
    assert s.auto_close(on=end) == 1
    cep.refresh_from_db()
    assert (cep.status, cep.end_date, cep.exit_reason_id) == (Status.CLOSED, end, "interruption_constatee")


def test_r9_the_inactivity_delay_is_six_calendar_months():
    assert workflow.INACTIVITY_MONTHS == 6
    assert workflow.inactivity_cutoff(datetime.date(2026, 7, 15)) == datetime.date(2026, 1, 15)
    assert workflow.inactivity_cutoff(datetime.date(2026, 2, 28)) == datetime.date(2025, 8, 31)  # a month's last day
    assert workflow.inactivity_cutoff(datetime.date(2026, 3, 30)) == datetime.date(2025, 9, 30)


# R5 / R8 / R10: bounds the services read from the calendar ---------------------------------------------------------
def test_r5_phase3_ends_phase2_the_day_before(open_cep, counselor):
    cep = s.move_to_phase3(cep=open_cep(entry_date=days(30)), on=days(29), actor=counselor)
    assert (cep.status, cep.phase3_entry_date, cep.phase2_end_date) == (Status.PHASE3, days(29), days(30))


def test_r8_close_today_accepted_and_tomorrow_refused(open_cep, counselor, cep_refs, db_state):
    cep = open_cep(entry_date=days(30))
    refused(
        db_state,
        "R8",
        s.close_cep,
        cep=cep,
        actor=counselor,
        end_date=today() + ONE_DAY,
        exit_reason=cep_refs["formalised"],
    )
    cep = s.close_cep(cep=cep, actor=counselor, end_date=today(), exit_reason=cep_refs["formalised"])
    assert (cep.status, cep.end_date, cep.ended_in_phase, cep.auto_closed) == (Status.CLOSED, today(), 2, False)


def test_r8_close_in_phase3_on_its_first_day_accepted_and_the_day_before_refused(
    open_cep, counselor, cep_refs, db_state
):
    cep = s.move_to_phase3(cep=open_cep(entry_date=days(30)), on=days(10), actor=counselor)
    err = refused(
        db_state, "R8", s.close_cep, cep=cep, actor=counselor, end_date=days(11), exit_reason=cep_refs["formalised"]
    )
    assert err.field == "end_date" and "phase 3" in err.message
    cep = s.close_cep(cep=cep, actor=counselor, end_date=days(10), exit_reason=cep_refs["formalised"])
    assert (cep.end_date, cep.ended_in_phase) == (days(10), 3)


def test_r8_missing_reason_or_date_is_refused(open_cep, counselor, cep_refs, db_state):
    cep = open_cep(entry_date=days(30))
    err = refused(db_state, "R8", s.close_cep, cep=cep, actor=counselor, end_date=today(), exit_reason=None)
    assert err.field == "exit_reason"
    err = refused(
        db_state, "R8", s.close_cep, cep=cep, actor=counselor, end_date=None, exit_reason=cep_refs["formalised"]
    )
    assert err.field == "end_date"


def test_r10_reopen_on_the_last_day_accepted_and_the_day_after_refused(
    open_cep, counselor, cep_refs, monkeypatch, db_state
):
    cep = s.close_cep(
        cep=open_cep(entry_date=days(300)), actor=counselor, end_date=days(100), exit_reason=cep_refs["formalised"]
    )
    limit = workflow.reopen_limit(cep)
    assert limit == add_months(days(100), 3)
    monkeypatch.setattr(dates, "today", lambda: limit + ONE_DAY)
    refused(db_state, "R10", s.reopen_cep, cep=cep, actor=counselor)
    monkeypatch.setattr(dates, "today", lambda: limit)
    assert s.reopen_cep(cep=cep, actor=counselor).status == Status.PHASE2


# R11 / R7 in phase 3 --------------------------------------------------------------------------------------------
def test_r11_deleting_a_cep_in_phase3(open_cep, counselor, beneficiary):
    cep = s.move_to_phase3(cep=open_cep(entry_date=days(30)), on=days(10), actor=counselor)
    assert "delete" in workflow.allowed_actions(Cep.objects.get(pk=cep.pk))
    cep = s.delete_cep(cep=cep, actor=counselor)
    assert Cep.objects.get(pk=cep.pk).status == Status.DELETED
    event = Event.objects.get(beneficiary=beneficiary, nature_id="suppression_dispositif")
    assert event.date == today() and "(phase 3)" in event.comment


def test_r11_deleting_a_deleted_cep_is_refused(open_cep, counselor, db_state):
    cep = s.delete_cep(cep=open_cep(entry_date=days(30)), actor=counselor)
    assert workflow.allowed_actions(Cep.objects.get(pk=cep.pk)) == []
    refused(db_state, "R11", s.delete_cep, cep=cep, actor=counselor)


def test_r11_deletion_by_another_structures_counselor_is_refused(open_cep, other_counselor, db_state):
    cep = s.move_to_phase3(cep=open_cep(entry_date=days(30)), on=days(10), actor=None)
    err = refused(db_state, "DROITS", s.delete_cep, cep=cep, actor=other_counselor)
    assert "structure" in err.message
    assert Cep.objects.get(pk=cep.pk).status == Status.PHASE3


@pytest.mark.parametrize(
    "action, kwargs",
    [
        ("open_cep", {}),
        ("move_to_phase3", {"on": lambda: days(1)}),
        ("cancel_phase3", {}),
        ("modify_cep", {"prescriber_name": "Cap emploi"}),
        ("close_cep", {"end_date": lambda: today()}),
        ("reopen_cep", {}),
        ("delete_cep", {}),
    ],
)
def test_droits_every_service_refuses_another_structures_counselor(
    open_cep, beneficiary, counselor, other_counselor, cep_refs, db_state, action, kwargs
):
    kwargs = resolved(kwargs)
    cep = open_cep(entry_date=days(30))
    if action == "cancel_phase3":
        cep = s.move_to_phase3(cep=cep, on=days(10), actor=counselor)
    if action == "reopen_cep":
        cep = s.close_cep(cep=cep, actor=counselor, end_date=today(), exit_reason=cep_refs["formalised"])
    if action == "open_cep":
        s.delete_cep(cep=cep, actor=counselor)
        kwargs = {
            "beneficiary": beneficiary,
            "orientation_source": cep_refs["direct"],
            "entry_date": days(5),
            "entry_phase": 2,
            "request_reason": cep_refs["reason"],
        }
    elif action == "close_cep":
        kwargs = {**kwargs, "exit_reason": cep_refs["formalised"], "cep": cep}
    else:
        kwargs = {**kwargs, "cep": cep}
    refused(db_state, "DROITS", getattr(s, action), actor=other_counselor, **kwargs)


def test_r7_modify_is_offered_and_accepted_in_phase3(open_cep, counselor):
    cep = s.move_to_phase3(cep=open_cep(entry_date=days(30)), on=days(10), actor=counselor)
    assert workflow.allowed_actions(Cep.objects.get(pk=cep.pk)) == ["cancel_phase3", "modify", "close", "delete"]
    cep = s.modify_cep(cep=cep, actor=counselor, referent_name="Mme Santoni")
    assert (cep.status, Cep.objects.get(pk=cep.pk).referent_name) == (Status.PHASE3, "Mme Santoni")


def test_r7_modify_is_offered_after_a_direct_phase3_entry_but_not_cancel(open_cep):
    cep = open_cep(entry_date=days(30), phase=3)
    assert workflow.allowed_actions(Cep.objects.get(pk=cep.pk)) == ["modify", "close", "delete"]


def test_r7_modify_is_not_offered_once_closed_and_refused(open_cep, counselor, cep_refs, db_state):
    cep = s.move_to_phase3(cep=open_cep(entry_date=days(30)), on=days(10), actor=counselor)
    cep = s.close_cep(cep=cep, actor=counselor, end_date=today(), exit_reason=cep_refs["formalised"])
    assert "modify" not in workflow.allowed_actions(Cep.objects.get(pk=cep.pk))
    err = refused(db_state, "R7", s.modify_cep, cep=cep, actor=counselor, referent_name="Mme Santoni")
    assert "Rouvrez-le" in err.message


def test_r7_modify_without_change_writes_nothing(open_cep, counselor, db_state):
    cep = open_cep(entry_date=days(30))
    before = db_state()
    s.modify_cep(cep=cep, actor=counselor, prescriber_name=cep.prescriber_name)
    assert db_state() == before


def test_r7_emptying_a_required_field_is_refused(open_cep, counselor, db_state):
    cep = open_cep(entry_date=days(30))
    assert refused(db_state, "R7", s.modify_cep, cep=cep, actor=counselor, orientation_source=None).field == (
        "orientation_source"
    )
    assert refused(db_state, "R7", s.modify_cep, cep=cep, actor=counselor, request_reason=None).field == (
        "request_reason"
    )


# REFERENTIEL: a value must be in force on the day it applies to -------------------------------------------------
def test_referentiel_open_with_a_reason_ended_before_the_entry_is_refused(open_cep, cep_refs, db_state):
    ref.RequestReason.objects.filter(pk=cep_refs["reason"].pk).update(valid_to=days(20))
    cep_refs["reason"].refresh_from_db()
    err = refused(db_state, "REFERENTIEL", open_cep, entry_date=days(19))
    assert err.field == "request_reason"
    assert open_cep(entry_date=days(20)).request_reason_id == cep_refs["reason"].pk  # its last day


def test_referentiel_modify_with_a_value_ended_before_the_entry_is_refused(open_cep, counselor, cep_refs, db_state):
    cep = open_cep(entry_date=days(30))
    ref.RequestReason.objects.filter(pk=cep_refs["reconversion"].pk).update(valid_to=days(31))
    cep_refs["reconversion"].refresh_from_db()
    err = refused(
        db_state, "REFERENTIEL", s.modify_cep, cep=cep, actor=counselor, request_reason=cep_refs["reconversion"]
    )
    assert err.field == "request_reason"
    ref.RequestReason.objects.filter(pk=cep_refs["reconversion"].pk).update(valid_to=days(30))
    cep_refs["reconversion"].refresh_from_db()
    cep = s.modify_cep(cep=cep, actor=counselor, request_reason=cep_refs["reconversion"])
    assert Cep.objects.get(pk=cep.pk).request_reason_id == cep_refs["reconversion"].pk


def test_referentiel_close_with_an_exit_reason_ended_before_the_end_date_is_refused(
    open_cep, counselor, cep_refs, db_state
):
    cep = open_cep(entry_date=days(30))
    ref.ExitReason.objects.filter(pk=cep_refs["formalised"].pk).update(valid_to=days(5))
    cep_refs["formalised"].refresh_from_db()
    err = refused(
        db_state,
        "REFERENTIEL",
        s.close_cep,
        cep=cep,
        actor=counselor,
        end_date=days(4),
        exit_reason=cep_refs["formalised"],
    )
    assert err.field == "exit_reason"
    assert s.close_cep(
        cep=cep, actor=counselor, end_date=days(5), exit_reason=cep_refs["formalised"]
    ).end_date == days(5)


# R2 and the database: the unique index becomes R2, any other refusal of the database is not swallowed ---------
def test_r2_the_unique_index_is_reported_as_r2(open_cep):
    original = open_cep()
    clone = Cep.objects.get(pk=original.pk)
    clone.pk = None
    with pytest.raises(RuleViolation) as err:
        s._save(clone)
    assert err.value.rule == "R2" and err.value.details == {"cep_id": original.pk}


def test_r4_another_database_refusal_is_raised_as_it_is(open_cep, counselor):
    from django.db import IntegrityError

    cep = s.delete_cep(cep=open_cep(entry_date=days(30)), actor=counselor)  # frees the R2 slot
    clone = Cep.objects.get(pk=cep.pk)
    clone.pk, clone.status, clone.initial_interview_date = None, Status.PHASE2, days(29)  # interview after entry
    with pytest.raises(IntegrityError):
        s._save(clone)
    assert not Cep.objects.filter(status=Status.PHASE2).exists()


# R9 / R10: reopening an automatic exit -------------------------------------------------------------------------
def test_r10_reopening_an_automatic_exit_clears_its_flag(open_cep, counselor):
    cep = open_cep(entry_date=days(300))
    Cep.objects.filter(pk=cep.pk).update(last_manifestation_date=add_months(days(20), -6))
    assert s.auto_close() == 1
    cep.refresh_from_db()
    assert (cep.auto_closed, cep.end_date) == (True, days(20))
    cep = s.reopen_cep(cep=cep, actor=counselor)
    stored = Cep.objects.get(pk=cep.pk)
    assert (stored.status, stored.auto_closed, stored.exit_reason_id, stored.end_date) == (
        Status.PHASE2,
        False,
        None,
        None,
    )


# The workflow's table, read by the pages and the API ----------------------------------------------------------
def test_r9_the_automatic_exit_is_never_offered_to_a_user(open_cep):
    cep = open_cep(entry_date=days(30))
    assert workflow.allowed_actions(cep) == ["move_to_phase3", "modify", "close", "delete"]
    assert workflow.TRANSITIONS["auto_close"].by_system and not workflow.TRANSITIONS["close"].by_system


def test_r2_listed_ceps_read_the_annotation_without_a_query(open_cep, counselor, cep_refs, django_assert_num_queries):
    """Reopening (R10) asks whether another CEP is in progress (R2): a list reads it from its annotation, a caller
    may pass it, and only otherwise is the database asked."""
    from cep.enrolments.queries import with_action_facts

    closed = s.close_cep(
        cep=open_cep(entry_date=days(30)), actor=counselor, end_date=today(), exit_reason=cep_refs["formalised"]
    )

    def listed():
        return with_action_facts(Cep.objects.select_related("structure", "exit_reason")).get(pk=closed.pk)

    cep = listed()
    with django_assert_num_queries(0):
        assert workflow.allowed_actions(cep) == ["reopen"]
    with django_assert_num_queries(0):
        assert workflow.allowed_actions(closed, other_cep_in_progress=False, later_cep_entry=None) == ["reopen"]
        assert workflow.allowed_actions(closed, other_cep_in_progress=True, later_cep_entry=None) == []
        assert workflow.allowed_actions(closed, other_cep_in_progress=False, later_cep_entry=today()) == []
    with django_assert_num_queries(2):
        assert workflow.allowed_actions(closed) == ["reopen"]
    open_cep(entry_date=today())  # R2: a new CEP starts at the earliest the day the previous one ended
    cep = listed()
    with django_assert_num_queries(0):
        assert workflow.allowed_actions(cep) == []


def test_r8_a_phase3_in_the_future_says_how_to_close(open_cep, counselor):
    start = today() + 3 * ONE_DAY
    cep = s.move_to_phase3(cep=open_cep(entry_date=days(30)), on=start, actor=counselor)
    err = workflow.refusal(cep, "close")
    assert err.rule == "R8"
    assert err.message == (
        f"Le CEP ne peut pas être clôturé avant son entrée en phase 3, le {dates.fr(start)} (la date de fin réelle ne "
        f"peut ni précéder cette date ni être dans le futur) : annulez le passage en phase 3 ou attendez le "
        f"{dates.fr(start)}."
    )
    assert workflow.refusal(cep, "close", workflow.Context(cep, today=start)) is None


def test_r8_r10_r2_blocked_actions_say_why_close_or_reopen_is_not_offered(open_cep, counselor, cep_refs):
    """Where « Clôturer le dispositif » or « Rouvrir » would be, pages show why the CEP's status allows the action
    but a guard refuses it now; an action offered now, or one its status does not allow, is not listed."""
    cep = open_cep(entry_date=days(30))
    assert workflow.blocked_actions(cep) == {}  # « Clôturer » is offered, « Rouvrir » is not for a CEP in progress
    start = today() + 3 * ONE_DAY
    planned = s.move_to_phase3(cep=cep, on=start, actor=counselor)
    blocked = workflow.blocked_actions(planned)
    assert blocked == {"close": workflow.refusal(planned, "close").message}
    assert blocked["close"].startswith("Le CEP ne peut pas être clôturé avant son entrée en phase 3")
    assert workflow.blocked_actions(planned, today=start) == {}
    closed = s.close_cep(
        cep=s.cancel_phase3(cep=planned, actor=counselor),
        actor=counselor,
        end_date=today(),
        exit_reason=cep_refs["formalised"],
    )
    assert workflow.blocked_actions(closed) == {}
    late = workflow.blocked_actions(closed, today=workflow.reopen_limit(closed) + ONE_DAY)
    assert list(late) == ["reopen"] and late["reopen"].startswith(
        "Un CEP ne peut être rouvert que dans les trois mois"
    )
    open_cep(entry_date=today())
    assert workflow.blocked_actions(Cep.objects.get(pk=closed.pk)) == {"reopen": workflow.R2_MESSAGE}


def test_r5_in_phase_on_counts_a_planned_phase3_in_phase2_until_its_eve(open_cep, counselor):
    start = today() + 3 * ONE_DAY
    planned = s.move_to_phase3(cep=open_cep(entry_date=days(30)), on=start, actor=counselor)

    def phases(day):
        return [p for p in (2, 3) if Cep.objects.filter(workflow.in_phase_on(p, day), pk=planned.pk).exists()]

    assert phases(start - ONE_DAY) == [2]
    assert phases(start) == [3]
    s.cancel_phase3(cep=planned, actor=counselor)
    assert phases(start) == [2]


def test_r5_phase_text_names_the_phase_and_a_planned_phase3():
    assert workflow.phase_text(None) == ""
    assert workflow.phase_text(2) == "Phase 2 – Conseil personnalisé"
    assert workflow.phase_text(3) == "Phase 3 – Accompagnement personnalisé vers la mise en œuvre du projet"
    assert workflow.phase_text(2, datetime.date(2026, 3, 2)) == (
        "Phase 2 – Conseil personnalisé (phase 3 prévue le 02/03/2026)"
    )


# Opening: the dossier as it is in the database, free texts, anonymised dossiers -----------------------------------
def test_r1_opening_reads_the_dossier_again_under_lock(open_cep, beneficiary, db_state):
    """The page's copy of the dossier may be stale: the service decides on the row it has locked."""
    from django.utils import timezone

    from cep.beneficiaries.models import Beneficiary, DossierStatus

    Beneficiary.objects.filter(pk=beneficiary.pk).update(status=DossierStatus.INCOMPLETE, justified_at=None)
    refused(db_state, "R1", open_cep, entry_date=days(10))  # `beneficiary` still says « Justifié »
    Beneficiary.objects.filter(pk=beneficiary.pk).update(status=DossierStatus.JUSTIFIED, justified_at=timezone.now())
    beneficiary.status = DossierStatus.INCOMPLETE  # a stale copy the other way round
    assert open_cep(entry_date=days(10)).status == Status.PHASE2


def test_conservation_an_anonymised_dossier_receives_no_cep(open_cep, beneficiary, db_state):
    from django.utils import timezone

    from cep.beneficiaries.models import Beneficiary

    Beneficiary.objects.filter(pk=beneficiary.pk).update(anonymised_at=timezone.now())
    refused(db_state, "CONSERVATION", open_cep, entry_date=days(10))
    Beneficiary.objects.filter(pk=beneficiary.pk).update(anonymised_at=None)
    assert open_cep(entry_date=days(10)).status == Status.PHASE2


def test_saisie_opening_with_a_control_character_is_refused(open_cep, db_state):
    err = refused(db_state, "SAISIE", open_cep, entry_date=days(10), referent_name="A\x00B")
    assert err.field == "referent_name"
    assert open_cep(entry_date=days(10), referent_name="Mme Santoni").referent_name == "Mme Santoni"


def test_r7_every_fixed_field_is_named_and_the_first_is_the_field(open_cep, counselor, db_state):
    cep = open_cep(entry_date=days(30))
    err = refused(
        db_state, "R7", s.modify_cep, cep=cep, actor=counselor, initial_interview_date=days(40), entry_date=days(35)
    )
    assert err.field == "entry_date"
    assert err.message == (
        "Ces informations ne sont pas modifiables : la date d'entrée, la date d'entretien d'initialisation."
    )


def test_r8_a_project_type_given_at_closure_is_kept(open_cep, counselor, cep_refs):
    cep = open_cep(entry_date=days(30))
    assert cep.project_type is None
    cep = s.close_cep(
        cep=cep, actor=counselor, end_date=today(), exit_reason=cep_refs["plan"], project_type=cep_refs["project"]
    )
    assert Cep.objects.get(pk=cep.pk).project_type_id == cep_refs["project"].pk


def test_r8_a_direct_phase3_entry_is_not_cancellable_so_the_message_says_wait(open_cep):
    """Seen the day before a direct entry in phase 3, closing waits: there is no move to phase 3 to cancel."""
    cep = open_cep(entry_date=days(10), phase=3)
    err = workflow.refusal(cep, "close", workflow.Context(cep, today=days(11)))
    assert err.rule == "R8"
    assert err.message.endswith(f") : attendez le {dates.fr(days(10))}.")
    assert workflow.refusal(cep, "close", workflow.Context(cep, today=days(10))) is None


def test_r2_a_cep_in_progress_is_named_before_any_other_input_error(open_cep, db_state):
    """The counselor learns first that a CEP is already in progress (fixing the date would not help)."""
    open_cep(entry_date=days(30))
    assert refused(db_state, "R2", open_cep, entry_date=today() + ONE_DAY).field is None
    assert refused(db_state, "R2", open_cep, entry_date=days(10), phase=1).field is None
