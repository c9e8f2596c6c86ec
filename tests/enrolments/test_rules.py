"""R1–R12 (docs/regles-cep.md §5): each rule has an accepted and a refused case; a refusal names its rule, says
why in French and leaves the database unchanged."""

import datetime

import pytest

from cep.accounts.rights import Right
from cep.audit.models import AuditEntry
from cep.beneficiaries.models import DossierStatus
from cep.common import dates
from cep.common.dates import add_months, fr
from cep.common.errors import RuleViolation
from cep.enrolments import services as s
from cep.enrolments import workflow
from cep.enrolments.models import Cep
from cep.enrolments.queries import with_action_facts
from cep.enrolments.workflow import Status
from cep.events.models import Event
from cep.offers.services import create_offer, propose_offer
from cep.referentials import models as ref
from tests.clock import today
from tests.enrolments.conftest import days

pytestmark = pytest.mark.django_db


def refused(db_state, rule, fn, **kwargs):
    before = db_state()
    with pytest.raises(RuleViolation) as err:
        fn(**kwargs)
    assert err.value.rule == rule, err.value
    assert err.value.message and err.value.message[0].isupper()
    assert db_state() == before, "a refused action must leave nothing written"
    return err.value


def offered(cep) -> list[str]:
    """The actions pages and the API offer on the CEP as stored now (and the same from the list query)."""
    actions = workflow.allowed_actions(Cep.objects.get(pk=cep.pk))
    assert workflow.allowed_actions(with_action_facts(Cep.objects.all()).get(pk=cep.pk)) == actions
    return actions


def freeze(monkeypatch, day: datetime.date) -> None:
    """Move "today" (cep.common.dates.today, read by the services and the workflow guards)."""
    monkeypatch.setattr(dates, "today", lambda: day)


# R1 ---------------------------------------------------------------------------------------------------------
def test_r1_justified_dossier_receives_a_cep(open_cep):
    assert open_cep().status == Status.PHASE2


def test_r1_incomplete_dossier_is_refused(beneficiary, open_cep, db_state):
    beneficiary.status, beneficiary.justified_at = DossierStatus.INCOMPLETE, None
    beneficiary.save()
    err = refused(
        db_state,
        "R1",
        open_cep,
        entry_date=days(10),
    )
    assert "Justifié" in err.message


# R2 ---------------------------------------------------------------------------------------------------------
def test_r2_second_cep_in_progress_is_refused(open_cep, db_state):
    first = open_cep()
    err = refused(db_state, "R2", open_cep, entry_date=days(5))
    assert "déjà en cours" in err.message
    assert err.details == {"cep_id": first.pk}  # the API's details.cep_id: the CEP in progress


def test_r2_successive_ceps_are_allowed(open_cep, counselor, cep_refs):
    first = s.close_cep(
        cep=open_cep(entry_date=days(200)), actor=counselor, end_date=days(150), exit_reason=cep_refs["formalised"]
    )
    second = open_cep(entry_date=days(100))
    assert first.status == Status.CLOSED and second.status == Status.PHASE2


def test_r2_successive_cep_may_start_the_day_the_previous_one_closed(open_cep, counselor, cep_refs):
    first = s.close_cep(
        cep=open_cep(entry_date=days(200)), actor=counselor, end_date=days(150), exit_reason=cep_refs["formalised"]
    )
    second = open_cep(entry_date=days(150))
    assert first.end_date == second.entry_date == days(150)


def test_r2_successive_cep_starting_before_the_previous_one_closed_is_refused(open_cep, counselor, cep_refs, db_state):
    first = s.close_cep(
        cep=open_cep(entry_date=days(200)), actor=counselor, end_date=days(150), exit_reason=cep_refs["formalised"]
    )
    err = refused(db_state, "R2", open_cep, entry_date=days(151))
    assert err.message == (
        f"Le CEP précédent de cette personne dans la structure s'est terminé le {fr(days(150))} : le nouveau "
        "commence au plus tôt ce jour-là."
    )
    assert err.field == "entry_date" and err.details == {"cep_id": first.pk}


def test_r2_backdated_cep_before_a_whole_earlier_one_is_refused(open_cep, counselor, cep_refs, db_state):
    """A CEP in progress is open-ended: entered before an earlier (closed) CEP, it would cover it."""
    s.close_cep(
        cep=open_cep(entry_date=days(100)), actor=counselor, end_date=days(50), exit_reason=cep_refs["formalised"]
    )
    err = refused(db_state, "R2", open_cep, entry_date=days(300))
    assert fr(days(50)) in err.message


def test_r2_deleted_cep_does_not_count(open_cep, counselor):
    s.delete_cep(cep=open_cep(entry_date=days(100)), actor=counselor)
    assert open_cep(entry_date=days(150)).status == Status.PHASE2


def test_r2_reopening_a_cep_followed_by_a_later_one_is_refused(open_cep, counselor, cep_refs, db_state):
    first = s.close_cep(
        cep=open_cep(entry_date=days(60)), actor=counselor, end_date=days(40), exit_reason=cep_refs["formalised"]
    )
    s.close_cep(
        cep=open_cep(entry_date=days(40)), actor=counselor, end_date=days(20), exit_reason=cep_refs["formalised"]
    )
    assert offered(first) == []
    err = refused(db_state, "R2", s.reopen_cep, cep=first, actor=counselor)
    assert fr(days(40)) in err.message and "chevauch" in err.message


def test_r2_succession_violation_on_values():
    """The pure rule: periods [entry, end) of the person's other CEPs; an open end is open-ended."""
    period = s.Period
    d = datetime.date
    assert (
        s.succession_violation(
            entry_date=d(2025, 3, 12), end_date=None, others=[period(d(2025, 1, 1), d(2025, 3, 12))]
        )
        is None
    )
    refusal = s.succession_violation(
        entry_date=d(2025, 3, 11), end_date=None, others=[period(d(2025, 1, 1), d(2025, 3, 12), {"cep_id": 7})]
    )
    assert refusal.rule == "R2" and "12/03/2025" in refusal.message and refusal.details == {"cep_id": 7}
    # A closed CEP before an earlier one fits; overlapping its start it must end that day at the latest.
    later = [period(d(2025, 6, 1), d(2025, 7, 1))]
    assert s.succession_violation(entry_date=d(2025, 1, 1), end_date=d(2025, 6, 1), others=later) is None
    refusal = s.succession_violation(entry_date=d(2025, 1, 1), end_date=d(2025, 6, 2), others=later)
    assert refusal.field == "end_date" and "01/06/2025" in refusal.message
    # A closed CEP overlapping a CEP in progress.
    refusal = s.succession_violation(
        entry_date=d(2025, 1, 1), end_date=d(2025, 6, 2), others=[period(d(2025, 2, 1), None)]
    )
    assert refusal.rule == "R2" and "01/02/2025" in refusal.message


def test_r2_same_person_may_have_a_cep_in_another_structure(open_cep, beneficiary, other_structure, refdata):
    from cep.enrolments.models import Cep as CepModel

    cep = open_cep()
    # The unique index is per (person, structure): a row in another structure is not a conflict.
    clone = CepModel.objects.get(pk=cep.pk)
    clone.pk, clone.structure = None, other_structure
    clone.save()
    assert CepModel.objects.filter(beneficiary=beneficiary, status=Status.PHASE2).count() == 2


def test_r2_database_index_refuses_a_second_open_cep(open_cep):
    from django.db import IntegrityError, transaction

    cep = open_cep()
    clone = Cep.objects.get(pk=cep.pk)
    clone.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        clone.save()


# R3 ---------------------------------------------------------------------------------------------------------
def test_r3_direct_entry_in_phase3_without_level1(open_cep):
    cep = open_cep(phase=3)
    assert cep.status == Status.PHASE3 and cep.phase3_entry_date == cep.entry_date
    assert cep.phase2_entry_date is None


def test_r3_entry_in_phase1_is_refused(open_cep, db_state):
    refused(db_state, "R3", open_cep, phase=1)


def test_aiguilleur_after_level1_requires_a_level1_service(open_cep, db_state, cep_refs):
    err = refused(db_state, "AIGUILLEUR", open_cep, orientation_source=cep_refs["after_level1"])
    assert err.field == "orientation_source"


def test_aiguilleur_after_level1_accepted_when_a_level1_service_exists(
    open_cep, beneficiary, structure, manager, counselor, cep_refs, event_refs
):
    offer = create_offer(
        structure=structure,
        actor=manager,
        origin="structure",
        theme=ref.ServiceTheme.objects.get(code="formation"),
        service_act=ref.ServiceAct.objects.get(code="info_conseil_formations"),
        name="Offre CEP",
        start_date=days(400),
        national_measure="cep",
    )
    propose_offer(
        beneficiary=beneficiary,
        offer=offer,
        actor=counselor,
        proposed_on=days(120),
        event={k: v for k, v in event_refs.items()},
    )
    cep = open_cep(entry_date=days(100), orientation_source=cep_refs["after_level1"])
    assert cep.orientation_source_id == "ma_structure_suite_niveau1"


def test_aiguilleur_after_level1_on_modify_requires_a_level1_service(open_cep, counselor, db_state, cep_refs):
    """The check of the opening holds when the aiguilleur changes on an open CEP (web form and PATCH alike)."""
    cep = open_cep(entry_date=days(100))
    err = refused(
        db_state, "AIGUILLEUR", s.modify_cep, cep=cep, actor=counselor, orientation_source=cep_refs["after_level1"]
    )
    assert err.field == "orientation_source" and "niveau 1" in err.message


def test_aiguilleur_after_level1_on_modify_requires_the_service_before_entry(
    open_cep, beneficiary, counselor, cep_offer, db_state, cep_refs, event_refs
):
    """A level-1 service proposed after the CEP's entry does not make it « suite niveau 1 »."""
    cep = open_cep(entry_date=days(100))
    propose_offer(beneficiary=beneficiary, offer=cep_offer, actor=counselor, proposed_on=days(50), event=event_refs)
    refused(
        db_state, "AIGUILLEUR", s.modify_cep, cep=cep, actor=counselor, orientation_source=cep_refs["after_level1"]
    )


def test_aiguilleur_after_level1_on_modify_accepted_with_a_level1_service(
    open_cep, beneficiary, counselor, cep_offer, cep_refs, event_refs
):
    propose_offer(beneficiary=beneficiary, offer=cep_offer, actor=counselor, proposed_on=days(120), event=event_refs)
    cep = open_cep(entry_date=days(100))
    cep = s.modify_cep(cep=cep, actor=counselor, orientation_source=cep_refs["after_level1"])
    assert Cep.objects.get(pk=cep.pk).orientation_source_id == "ma_structure_suite_niveau1"
    assert AuditEntry.objects.filter(object_id=cep.pk, action="modify").count() == 1


# R4 ---------------------------------------------------------------------------------------------------------
def test_r4_retroactive_entry_on_first_reception_day(open_cep, beneficiary):
    cep = open_cep(entry_date=beneficiary.first_reception_date)
    assert cep.entry_date == beneficiary.first_reception_date


def test_r4_entry_before_first_reception_is_refused(open_cep, beneficiary, db_state):
    err = refused(db_state, "R4", open_cep, entry_date=beneficiary.first_reception_date - datetime.timedelta(days=1))
    assert err.field == "entry_date" and "premier accueil" in err.message


def test_r4_initial_interview_after_entry_is_refused(open_cep, db_state):
    err = refused(db_state, "R4", open_cep, entry_date=days(10), initial_interview_date=days(9))
    assert err.field == "initial_interview_date"


def test_r4_initial_interview_before_entry_is_accepted(open_cep):
    assert open_cep(entry_date=days(10), initial_interview_date=days(12)).initial_interview_date == days(12)


def test_r4_entry_in_the_future_is_refused(open_cep, db_state):
    refused(db_state, "R4", open_cep, entry_date=today() + datetime.timedelta(days=1))


# R5 ---------------------------------------------------------------------------------------------------------
def test_r5_phase3_the_day_after_phase2_entry(open_cep, counselor):
    cep = open_cep(entry_date=days(30))
    cep = s.move_to_phase3(cep=cep, on=days(29), actor=counselor)
    assert (cep.status, cep.phase3_entry_date, cep.phase2_end_date) == (Status.PHASE3, days(29), days(30))


def test_r5_phase3_may_be_in_the_future(open_cep, counselor):
    cep = s.move_to_phase3(cep=open_cep(), on=today() + datetime.timedelta(days=15), actor=counselor)
    assert cep.phase2_end_date == today() + datetime.timedelta(days=14)


def test_r5_phase3_on_phase2_entry_day_is_refused(open_cep, counselor, db_state):
    cep = open_cep(entry_date=days(30))
    err = refused(db_state, "R5", s.move_to_phase3, cep=cep, on=days(30), actor=counselor)
    assert err.field == "on" and "lendemain" in err.message


def test_r5_moving_to_phase3_is_not_an_exit(open_cep, counselor):
    cep = s.move_to_phase3(cep=open_cep(), on=days(1), actor=counselor)
    assert cep.end_date is None and cep.exit_reason is None and cep.is_open


def test_r5_phase2_runs_until_the_eve_of_a_phase3_dated_later(open_cep, counselor, monkeypatch):
    """Guide [003]: phase 2 ends the day before phase 3; until then the CEP is shown in phase 2 everywhere."""
    start = today() + datetime.timedelta(days=15)
    cep = s.move_to_phase3(cep=open_cep(), on=start, actor=counselor)
    assert cep.status == Status.PHASE3  # the move is recorded (and can be cancelled, R6)
    assert cep.phase_on(start - datetime.timedelta(days=1)) == 2 and cep.phase_on(start) == 3
    assert (cep.phase_today, cep.planned_phase3_date) == (2, start)
    assert cep.phase_display == f"Phase 2 – Conseil personnalisé (phase 3 prévue le {fr(start)})"
    assert Cep.objects.filter(workflow.in_phase_on(2, today()), pk=cep.pk).exists()
    assert not Cep.objects.filter(workflow.in_phase_on(3, start - datetime.timedelta(days=1)), pk=cep.pk).exists()
    assert Cep.objects.filter(workflow.in_phase_on(3, start), pk=cep.pk).exists()
    freeze(monkeypatch, start)
    assert (cep.phase_today, cep.planned_phase3_date) == (3, None)
    assert cep.phase_display == "Phase 3 – Accompagnement personnalisé vers la mise en œuvre du projet"


# R6 ---------------------------------------------------------------------------------------------------------
def test_r6_cancel_phase3_restores_phase2(open_cep, counselor):
    original = open_cep(entry_date=days(30))
    moved = s.move_to_phase3(cep=original, on=days(20), actor=counselor)
    assert "cancel_phase3" in offered(moved)
    restored = s.cancel_phase3(cep=moved, actor=counselor)
    assert restored.status == Status.PHASE2
    assert (restored.phase2_entry_date, restored.phase2_end_date, restored.phase3_entry_date) == (days(30), None, None)


def test_r6_cancel_phase3_refused_in_phase2(open_cep, counselor, db_state):
    refused(db_state, "R6", s.cancel_phase3, cep=open_cep(), actor=counselor)


def test_r6_cancel_refused_after_direct_phase3_entry(open_cep, counselor, db_state):
    cep = open_cep(phase=3)
    assert offered(cep) == ["modify", "close", "delete"]
    err = refused(db_state, "R6", s.cancel_phase3, cep=cep, actor=counselor)
    assert "directement en phase 3" in err.message


def test_r6_structure_not_distinguishing_phases_refuses_phase3(open_cep, counselor, structure, db_state):
    cep = open_cep()
    structure.distinguishes_phases = False
    structure.save()
    assert offered(cep) == ["modify", "close", "delete"]
    err = refused(db_state, "R6", s.move_to_phase3, cep=cep, on=days(1), actor=counselor)
    assert err.message == "Votre structure ne distingue pas les phases 2 et 3 du CEP."


def test_r6_move_to_phase3_accepted_when_structure_distinguishes_phases(open_cep, counselor):
    cep = open_cep()
    assert offered(cep) == ["move_to_phase3", "modify", "close", "delete"]
    assert s.move_to_phase3(cep=cep, on=days(1), actor=counselor).status == Status.PHASE3


def test_r6_direct_phase3_refused_when_structure_does_not_distinguish_phases(open_cep, structure, db_state):
    structure.distinguishes_phases = False
    structure.save()
    assert workflow.entry_phases(structure) == (2,)
    err = refused(db_state, "R6", open_cep, phase=3)
    assert err.field == "entry_phase"
    assert err.message == "Votre structure ne distingue pas les phases 2 et 3 du CEP. L'entrée se fait en phase 2."


def test_r6_phase2_entry_accepted_when_structure_does_not_distinguish_phases(open_cep, structure):
    structure.distinguishes_phases = False
    structure.save()
    assert open_cep(phase=2).status == Status.PHASE2


def test_r6_direct_phase3_accepted_when_structure_distinguishes_phases(open_cep, structure):
    assert workflow.entry_phases(structure) == (2, 3)
    assert open_cep(phase=3).status == Status.PHASE3


def test_r6_phase3_cep_can_still_be_cancelled_after_the_structure_stops_distinguishing_phases(
    open_cep, counselor, structure
):
    cep = s.move_to_phase3(cep=open_cep(entry_date=days(30)), on=days(20), actor=counselor)
    structure.distinguishes_phases = False
    structure.save()
    assert offered(cep) == ["cancel_phase3", "modify", "close", "delete"]
    assert s.cancel_phase3(cep=cep, actor=counselor).status == Status.PHASE2


# R7 ---------------------------------------------------------------------------------------------------------
def test_r7_modifiable_fields_change(open_cep, counselor, cep_refs):
    cep = s.modify_cep(
        cep=open_cep(),
        actor=counselor,
        request_reason=cep_refs["reconversion"],
        prescriber_name="Mme Prescriptrice",
        referent_name="M. Référent",
        project_type=cep_refs["project"],
    )
    assert (cep.request_reason_id, cep.prescriber_name, cep.project_type_id) == (
        "reconversion",
        "Mme Prescriptrice",
        "reconversion",
    )


@pytest.mark.parametrize("field", ["entry_date", "initial_interview_date"])
def test_r7_dates_are_never_modifiable(open_cep, counselor, db_state, field):
    cep = open_cep()
    err = refused(db_state, "R7", s.modify_cep, cep=cep, actor=counselor, **{field: days(3)})
    assert err.field == field


def test_r7_closed_cep_is_not_modifiable(open_cep, counselor, cep_refs, db_state):
    cep = s.close_cep(cep=open_cep(), actor=counselor, end_date=today(), exit_reason=cep_refs["formalised"])
    assert "modify" not in offered(cep)
    err = refused(db_state, "R7", s.modify_cep, cep=cep, actor=counselor, prescriber_name="X")
    assert err.message == "Action « Modifier » impossible : le CEP est clôturé. Rouvrez-le d'abord pour le modifier."


# R8 ---------------------------------------------------------------------------------------------------------
def test_r8_close_with_end_date_and_reason(open_cep, counselor, cep_refs):
    cep = s.close_cep(
        cep=open_cep(entry_date=days(50)), actor=counselor, end_date=days(1), exit_reason=cep_refs["formalised"]
    )
    assert (cep.status, cep.end_date, cep.exit_reason_id, cep.ended_in_phase) == (
        Status.CLOSED,
        days(1),
        "interruption_formalisee",
        2,
    )


def test_r8_end_date_in_the_future_is_refused(open_cep, counselor, cep_refs, db_state):
    err = refused(
        db_state,
        "R8",
        s.close_cep,
        cep=open_cep(),
        actor=counselor,
        end_date=today() + datetime.timedelta(days=1),
        exit_reason=cep_refs["formalised"],
    )
    assert "anticipation" in err.message


def test_r8_end_date_before_current_phase_entry_is_refused(open_cep, counselor, cep_refs, db_state):
    cep = s.move_to_phase3(cep=open_cep(entry_date=days(50)), on=days(20), actor=counselor)
    err = refused(
        db_state, "R8", s.close_cep, cep=cep, actor=counselor, end_date=days(21), exit_reason=cep_refs["formalised"]
    )
    assert "phase 3" in err.message


def test_r8_end_date_on_current_phase_entry_is_accepted(open_cep, counselor, cep_refs):
    cep = s.move_to_phase3(cep=open_cep(entry_date=days(50)), on=days(20), actor=counselor)
    cep = s.close_cep(cep=cep, actor=counselor, end_date=days(20), exit_reason=cep_refs["formalised"])
    assert cep.ended_in_phase == 3


def test_r8_close_refused_while_phase3_starts_in_the_future(open_cep, counselor, cep_refs, db_state):
    start = today() + datetime.timedelta(days=15)
    cep = s.move_to_phase3(cep=open_cep(entry_date=days(50)), on=start, actor=counselor)
    assert offered(cep) == ["cancel_phase3", "modify", "delete"]
    err = refused(
        db_state, "R8", s.close_cep, cep=cep, actor=counselor, end_date=today(), exit_reason=cep_refs["formalised"]
    )
    assert err.field is None
    assert err.message.endswith(f" : annulez le passage en phase 3 ou attendez le {fr(start)}.")


def test_r8_close_accepted_once_phase3_has_started(open_cep, counselor, cep_refs, monkeypatch):
    start = today() + datetime.timedelta(days=15)
    cep = s.move_to_phase3(cep=open_cep(entry_date=days(50)), on=start, actor=counselor)
    freeze(monkeypatch, start)
    assert "close" in offered(cep)
    cep = s.close_cep(cep=cep, actor=counselor, end_date=start, exit_reason=cep_refs["formalised"])
    assert (cep.status, cep.end_date, cep.ended_in_phase) == (Status.CLOSED, start, 3)


def test_r8_close_accepted_after_cancelling_a_future_phase3(open_cep, counselor, cep_refs):
    cep = s.move_to_phase3(
        cep=open_cep(entry_date=days(50)), on=today() + datetime.timedelta(days=15), actor=counselor
    )
    cep = s.cancel_phase3(cep=cep, actor=counselor)
    assert "close" in offered(cep)
    cep = s.close_cep(cep=cep, actor=counselor, end_date=today(), exit_reason=cep_refs["formalised"])
    assert (cep.status, cep.ended_in_phase) == (Status.CLOSED, 2)


def test_r8_plan_d_action_requires_the_project_type(open_cep, counselor, cep_refs, db_state):
    err = refused(
        db_state, "R8", s.close_cep, cep=open_cep(), actor=counselor, end_date=today(), exit_reason=cep_refs["plan"]
    )
    assert err.field == "project_type"


def test_r8_plan_d_action_takes_the_project_type_from_entry(open_cep, counselor, cep_refs):
    cep = open_cep(project_type=cep_refs["project"])
    cep = s.close_cep(cep=cep, actor=counselor, end_date=today(), exit_reason=cep_refs["plan"])
    assert cep.project_type_id == "reconversion"


def test_r8_seven_exit_reasons_from_the_charter(refdata):
    assert list(ref.ExitReason.objects.valid_on(today()).values_list("label", flat=True)) == [
        "Décès",
        "Déménagement",
        "Formalisation projet réalisée",
        "Interruption constatée",
        "Interruption formalisée",
        "Plan d'action réalisé",
        "Prise de recul réalisée",
    ]


# R9 ---------------------------------------------------------------------------------------------------------
def _last_manifestation(cep, day):
    Cep.objects.filter(pk=cep.pk).update(last_manifestation_date=day)


def test_r9_six_months_without_manifestation_closes_automatically(open_cep):
    cep = open_cep(entry_date=days(400))
    last = days(200)
    _last_manifestation(cep, last)
    assert s.auto_close() == 1
    cep.refresh_from_db()
    assert (cep.status, cep.exit_reason_id, cep.end_date, cep.auto_closed) == (
        Status.CLOSED,
        "interruption_constatee",
        add_months(last, 6),
        True,
    )
    entry = AuditEntry.objects.get(object_id=cep.pk, action="auto_close")
    assert entry.before["status"] == "phase2" and entry.after["status"] == "closed"
    assert entry.after["end_date"] == add_months(last, 6).isoformat()


def test_r9_recent_manifestation_keeps_the_cep_open(open_cep):
    cep = open_cep(entry_date=days(400))
    _last_manifestation(cep, add_months(today(), -6) + datetime.timedelta(days=1))
    assert s.auto_close() == 0
    cep.refresh_from_db()
    assert cep.status == Status.PHASE2


def test_r9_is_idempotent(open_cep):
    cep = open_cep(entry_date=days(400))
    _last_manifestation(cep, days(300))
    assert s.auto_close() == 1
    audit_rows = AuditEntry.objects.count()
    assert s.auto_close() == 0
    assert AuditEntry.objects.count() == audit_rows


def test_r9_event_after_entry_is_a_manifestation(open_cep, beneficiary, counselor, event_refs):
    from cep.events.services import record_event

    cep = open_cep(entry_date=days(300))
    record_event(beneficiary=beneficiary, actor=counselor, date=days(20), **event_refs)
    cep.refresh_from_db()
    assert cep.last_manifestation_date == days(20)
    assert s.auto_close() == 0


def test_r9_end_date_never_before_current_phase_entry(open_cep, counselor):
    cep = s.move_to_phase3(cep=open_cep(entry_date=days(400)), on=days(150), actor=counselor)
    _last_manifestation(cep, days(399))
    assert s.auto_close() == 1
    cep.refresh_from_db()
    assert cep.end_date == days(150) and cep.ended_in_phase == 3


def test_r9_not_closed_when_phase3_starts_in_the_future(open_cep, counselor):
    cep = s.move_to_phase3(
        cep=open_cep(entry_date=days(400)), on=today() + datetime.timedelta(days=5), actor=counselor
    )
    _last_manifestation(cep, days(399))
    assert s.auto_close() == 0


def test_r9_command_with_date(open_cep, capsys):
    from django.core.management import call_command

    cep = open_cep(entry_date=days(100))
    call_command("cep_auto_close", "--date", (add_months(days(100), 6)).isoformat())
    cep.refresh_from_db()
    assert cep.status == Status.CLOSED
    assert "1 CEP" in capsys.readouterr().out


# R10 --------------------------------------------------------------------------------------------------------
def test_r10_reopen_within_three_months_returns_to_the_phase(open_cep, counselor, cep_refs):
    cep = s.move_to_phase3(cep=open_cep(entry_date=days(200)), on=days(150), actor=counselor)
    cep = s.close_cep(cep=cep, actor=counselor, end_date=add_months(today(), -3), exit_reason=cep_refs["formalised"])
    assert offered(cep) == ["reopen"]
    cep = s.reopen_cep(cep=cep, actor=counselor)
    assert (cep.status, cep.end_date, cep.exit_reason, cep.ended_in_phase) == (Status.PHASE3, None, None, None)


def test_r10_reopen_after_three_months_is_refused(open_cep, counselor, cep_refs, db_state):
    cep = s.close_cep(
        cep=open_cep(entry_date=days(200)),
        actor=counselor,
        end_date=add_months(today(), -3) - datetime.timedelta(days=1),
        exit_reason=cep_refs["formalised"],
    )
    assert offered(cep) == []
    err = refused(db_state, "R10", s.reopen_cep, cep=cep, actor=counselor)
    assert "trois mois" in err.message


def test_r10_reopen_window_ends_three_calendar_months_after_the_end_date(
    open_cep, counselor, cep_refs, db_state, monkeypatch
):
    cep = s.close_cep(cep=open_cep(), actor=counselor, end_date=days(10), exit_reason=cep_refs["formalised"])
    last_day = add_months(days(10), 3)
    freeze(monkeypatch, last_day + datetime.timedelta(days=1))
    assert offered(cep) == []
    err = refused(db_state, "R10", s.reopen_cep, cep=cep, actor=counselor)
    assert (
        err.message == "Un CEP ne peut être rouvert que dans les trois mois de sa clôture "
        f"(jusqu'au {fr(last_day)}) : si la personne reprend un accompagnement, ajoutez un nouveau dispositif CEP."
    )
    freeze(monkeypatch, last_day)
    assert offered(cep) == ["reopen"]
    assert s.reopen_cep(cep=cep, actor=counselor).status == Status.PHASE2


def test_r10_reopen_after_death_is_refused(open_cep, counselor, cep_refs, db_state):
    cep = s.close_cep(cep=open_cep(), actor=counselor, end_date=today(), exit_reason=cep_refs["deces"])
    assert offered(cep) == []
    err = refused(db_state, "R10", s.reopen_cep, cep=cep, actor=counselor)
    assert err.message == "Un CEP clôturé pour « Décès » ne peut pas être rouvert."


def test_r10_reopen_refused_when_another_cep_is_open(open_cep, counselor, cep_refs, db_state):
    first = s.close_cep(
        cep=open_cep(entry_date=days(200)), actor=counselor, end_date=days(30), exit_reason=cep_refs["formalised"]
    )
    second = open_cep(entry_date=days(10))
    assert offered(first) == []
    err = refused(db_state, "R2", s.reopen_cep, cep=first, actor=counselor)
    assert err.message == workflow.R2_MESSAGE and err.details == {"cep_id": second.pk}
    s.delete_cep(cep=second, actor=counselor)
    assert offered(first) == ["reopen"]


# R11 --------------------------------------------------------------------------------------------------------
def test_r11_delete_records_an_event_and_the_audit(open_cep, counselor, beneficiary):
    cep = s.delete_cep(cep=open_cep(), actor=counselor)
    assert cep.status == Status.DELETED
    event = Event.objects.get(beneficiary=beneficiary, nature_id="suppression_dispositif")
    assert event.is_system and event.primary_context.label == "Suppression de dispositif"
    assert AuditEntry.objects.filter(object_id=cep.pk, object_type="cep", action="delete").exists()


def test_r11_delete_a_closed_cep_is_refused(open_cep, counselor, cep_refs, db_state):
    cep = s.close_cep(cep=open_cep(), actor=counselor, end_date=today(), exit_reason=cep_refs["formalised"])
    refused(db_state, "R11", s.delete_cep, cep=cep, actor=counselor)


def test_r11_deleted_cep_frees_the_slot(open_cep, counselor):
    s.delete_cep(cep=open_cep(entry_date=days(50)), actor=counselor)
    assert open_cep(entry_date=days(10)).status == Status.PHASE2


# R12 --------------------------------------------------------------------------------------------------------
def test_r12_every_change_keeps_who_when_before_after(open_cep, counselor, cep_refs):
    cep = open_cep(entry_date=days(40))
    s.modify_cep(cep=cep, actor=counselor, prescriber_name="Cap emploi 2A")
    entries = list(AuditEntry.objects.filter(object_type="cep", object_id=cep.pk).order_by("id"))
    assert [e.action for e in entries] == ["open", "modify"]
    modify = entries[1]
    assert modify.actor_id == counselor.pk and modify.at is not None
    assert modify.changes() == [("prescriber_name", "", "Cap emploi 2A")]


def test_r12_refused_action_writes_no_history(open_cep, counselor, db_state):
    cep = open_cep(entry_date=days(40))
    before = AuditEntry.objects.count()
    with pytest.raises(RuleViolation):
        s.move_to_phase3(cep=cep, on=days(40), actor=counselor)
    assert AuditEntry.objects.count() == before


def test_r12_audit_table_is_append_only(open_cep):
    from django.db import DatabaseError, transaction

    open_cep()
    entry = AuditEntry.objects.first()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(action="tampered")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    assert AuditEntry.objects.get(pk=entry.pk).action == "open"


# Rights -----------------------------------------------------------------------------------------------------
def test_counselor_of_another_structure_cannot_act(open_cep, other_counselor, db_state):
    cep = open_cep()
    refused(db_state, "DROITS", s.move_to_phase3, cep=cep, on=days(1), actor=other_counselor)


def test_eligibility_mission_locale_refuses_a_27_year_old(beneficiary, open_cep, db_state):
    beneficiary.birth_date = today().replace(year=today().year - 27, day=1)
    beneficiary.first_reception_date = days(30)
    beneficiary.save()
    err = refused(
        db_state,
        "ELIGIBILITE",
        open_cep,
        entry_date=days(10),
    )
    assert "16 à 25 ans" in err.message


def test_eligibility_student_must_hold_or_seek_a_job(beneficiary, open_cep, db_state):
    beneficiary.employment_status = ref.EmploymentStatus.objects.get(code="etudiant")
    beneficiary.holds_or_seeks_job = False
    beneficiary.save()
    err = refused(
        db_state,
        "ELIGIBILITE",
        open_cep,
        entry_date=days(10),
    )
    assert "occupe ou recherche un emploi" in err.message


def test_free_text_with_control_characters_is_refused(open_cep, counselor, db_state):
    cep = open_cep()
    err = refused(db_state, "SAISIE", s.modify_cep, cep=cep, actor=counselor, prescriber_name="A\x00B")
    assert err.field == "prescriber_name"


def test_free_text_too_long_is_refused(open_cep, counselor, db_state):
    cep = open_cep()
    refused(db_state, "SAISIE", s.modify_cep, cep=cep, actor=counselor, referent_name="x" * 201)


def test_r9_auto_close_on_the_day_the_end_date_falls_at_a_month_end(open_cep):
    """31 August + 6 months is 28 February: the CEP closes that day, not on 1 March."""
    last = days(210).replace(day=1) - datetime.timedelta(days=1)  # a month's last day, 7 to 8 months ago
    while add_months(last, 6).day == last.day:  # one whose month six months later is shorter
        last = last.replace(day=1) - datetime.timedelta(days=1)
    end = add_months(last, 6)
    cep = open_cep(entry_date=days(400))  # before `last`: at most three months' steps back from day 210
    _last_manifestation(cep, last)
    assert s.auto_close(on=end - datetime.timedelta(days=1)) == 0
    assert s.auto_close(on=end) == 1
    cep.refresh_from_db()
    assert (cep.status, cep.end_date) == (Status.CLOSED, end)


def test_r9_inactivity_cutoff_matches_the_end_date_for_every_day():
    from cep.enrolments.workflow import INACTIVITY_MONTHS, inactivity_cutoff

    day = datetime.date(2024, 1, 1)
    while day < datetime.date(2026, 1, 1):
        cutoff = inactivity_cutoff(day)
        assert add_months(cutoff, INACTIVITY_MONTHS) <= day
        assert add_months(cutoff + datetime.timedelta(days=1), INACTIVITY_MONTHS) > day
        day += datetime.timedelta(days=1)


# All refusals at once ---------------------------------------------------------------------------------------
def test_r4_late_interview_and_aiguilleur_without_level1_are_refused_together(open_cep, db_state, cep_refs):
    """One submission shows every rule broken: a late interview date and « suite niveau 1 » without service."""
    err = refused(
        db_state,
        "R4",
        open_cep,
        entry_date=days(100),
        initial_interview_date=days(90),
        orientation_source=cep_refs["after_level1"],
    )
    assert [(v.rule, v.field) for v in err.violations] == [
        ("R4", "initial_interview_date"),
        ("AIGUILLEUR", "orientation_source"),
    ]
    assert err.field == "initial_interview_date"  # the first, as a single refusal reads it


def test_r8_close_refusals_are_collected(open_cep, counselor, db_state):
    cep = open_cep()
    plan = ref.ExitReason.objects.get(code="plan_action_realise")
    err = refused(
        db_state,
        "R8",
        s.close_cep,
        cep=cep,
        actor=counselor,
        end_date=today() + datetime.timedelta(days=1),
        exit_reason=plan,
    )
    assert {v.field for v in err.violations} == {"end_date", "project_type"}


def test_r4_a_single_refusal_has_itself_as_only_violation(open_cep, db_state):
    err = refused(db_state, "R4", open_cep, entry_date=today() + datetime.timedelta(days=1))
    assert err.violations == [err]


def test_r1_create_justify_and_open_in_one_transaction(structure, counselor, cep_refs):
    from cep.organisations.models import Commune

    dossier = dict(
        last_name="Martin",
        first_name="Inès",
        sex="F",
        birth_date=today().replace(year=today().year - 20),
        first_reception_date=today(),
        commune=Commune.objects.get(code="2A004"),
        employment_status=ref.EmploymentStatus.objects.get(code="demandeur_emploi_indemnise"),
        qualification_level=ref.QualificationLevel.objects.get(code="niveau_3"),
    )
    cep_fields = dict(
        orientation_source=cep_refs["direct"], entry_date=today(), entry_phase=2, request_reason=cep_refs["reason"]
    )
    # refused by the CEP (entry before the first reception): neither the dossier nor the CEP is written
    late = {**cep_fields, "entry_date": today() - datetime.timedelta(days=1)}
    with pytest.raises(RuleViolation) as err:
        s.create_beneficiary_with_cep(structure=structure, actor=counselor, dossier=dossier, cep=late)
    assert err.value.rule == "R4" and err.value.field == "entry_date"
    assert not Cep.objects.exists() and not AuditEntry.objects.exists()
    from cep.beneficiaries.models import Beneficiary

    assert not Beneficiary.objects.exists()
    cep = s.create_beneficiary_with_cep(structure=structure, actor=counselor, dossier=dossier, cep=cep_fields)
    assert cep.status == Status.PHASE2 and cep.beneficiary.status == DossierStatus.JUSTIFIED


def test_droits_create_and_open_refused_without_proposer_cep_before_the_dossier_is_checked(
    structure, counselor, cep_refs, db_state
):
    """« Créer, justifier et ajouter le dispositif CEP » asks for « Proposer CEP » first: a counselor without it is
    told so, not what the dossier lacks, and nothing is written."""
    from cep.beneficiaries.models import Beneficiary
    from tests.factories import withdraw

    withdraw(counselor, Right.PROPOSE_CEP)
    cep_fields = dict(
        orientation_source=cep_refs["direct"], entry_date=today(), entry_phase=2, request_reason=cep_refs["reason"]
    )
    err = refused(
        db_state,
        "DROITS",
        s.create_beneficiary_with_cep,
        structure=structure,
        actor=counselor,
        dossier=dict(last_name="Martin", first_name="Inès"),  # far from justified
        cep=cep_fields,
    )
    assert err.message == "Vous n'avez pas le droit « Proposer CEP »."
    assert not Beneficiary.objects.exists()
