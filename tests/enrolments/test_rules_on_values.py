"""The enrolment rules on values, without a CEP stored: `succession_violation` (R2, successive CEPs),
`entry_violations` and `history_violations` (a CEP as it stands: entered, maybe moved to phase 3, maybe closed).

The services and the import of CEPs (cep/imports/ceps.py) check with these functions; the import reads no action of
the lifecycle, so what it accepts is pinned here, rule by rule (docs/regles-cep.md §5). `make mutation`
(bench/mutation.py) runs these tests first for cep/enrolments/services.py.
"""

import datetime

import pytest

from cep.beneficiaries.models import Beneficiary
from cep.common.dates import fr
from cep.common.errors import Violations
from cep.enrolments import services as s
from cep.enrolments.workflow import NO_PHASES_MESSAGE, R2_MESSAGE
from cep.referentials import models as ref
from tests.clock import today
from tests.enrolments.conftest import days

d = datetime.date
Period = s.Period


# R2: successive CEPs never overlap ---------------------------------------------------------------------------
def test_r2_a_cep_in_progress_refuses_another_in_progress_and_names_it():
    refusal = s.succession_violation(
        entry_date=d(2025, 3, 1), end_date=None, others=[Period(d(2025, 1, 1), None, {"cep_id": 7})]
    )
    assert (refusal.rule, refusal.message, refusal.field, refusal.details) == (
        "R2",
        R2_MESSAGE,
        "entry_date",
        {"cep_id": 7},
    )


def test_r2_a_closed_cep_after_the_entry_of_one_in_progress_must_end_that_day():
    refusal = s.succession_violation(
        entry_date=d(2025, 3, 1), end_date=d(2025, 4, 1), others=[Period(d(2025, 2, 1), None, {"line": 4})]
    )
    assert refusal.rule == "R2" and refusal.field == "end_date" and refusal.details == {"line": 4}
    assert refusal.message == (
        "Un CEP de cette personne est en cours dans la structure depuis le 01/02/2025 : ce CEP doit se terminer au "
        "plus tard ce jour-là."
    )


def test_r2_the_first_cep_in_progress_given_is_the_one_named():
    """`others` come ordered by entry date: the earliest CEP in progress is named."""
    others = [Period(d(2025, 1, 1), None, {"cep_id": 1}), Period(d(2025, 2, 1), None, {"cep_id": 2})]
    assert s.succession_violation(entry_date=d(2025, 3, 1), end_date=None, others=others).details == {"cep_id": 1}


def test_r2_a_closed_cep_entered_the_same_day_as_another_follows_it():
    """Same entry day: the other CEP counts as the previous one (the new one starts at its end at the earliest)."""
    refusal = s.succession_violation(
        entry_date=d(2025, 1, 1), end_date=d(2025, 2, 1), others=[Period(d(2025, 1, 1), d(2025, 3, 1), {"cep_id": 3})]
    )
    assert refusal.field == "entry_date" and refusal.details == {"cep_id": 3}
    assert refusal.message == (
        "Le CEP précédent de cette personne dans la structure s'est terminé le 01/03/2025 : le nouveau commence au "
        "plus tôt ce jour-là."
    )


# Entry: eligibility ------------------------------------------------------------------------------------------
@pytest.fixture
def person(refdata):
    """A dossier as the import reads it (not stored): 20 years old, first received 400 days ago."""

    def make(**fields):
        values = {
            "birth_date": today().replace(year=today().year - 20, day=1),
            "first_reception_date": days(400),
            "employment_status": ref.EmploymentStatus.objects.get(code="demandeur_emploi_non_indemnise"),
            "holds_or_seeks_job": True,
            **fields,
        }
        return Beneficiary(**values)

    return make


def test_eligibility_every_reason_is_said_and_the_first_ones_field_is_named(person, structure, cep_refs):
    """A 27-year-old student seeking no job, in a Mission locale: both reasons, on the first reason's field."""
    student = person(
        birth_date=today().replace(year=today().year - 27, day=1),
        employment_status=ref.EmploymentStatus.objects.get(code="etudiant"),
        holds_or_seeks_job=False,
    )
    found = Violations()
    s.entry_violations(
        found,
        beneficiary=student,
        structure=structure,
        entry_date=days(10),
        entry_phase=2,
        initial_interview_date=None,
        orientation_source=cep_refs["direct"],
        request_reason=cep_refs["reason"],
        project_type=None,
        has_level1_service=lambda: False,
        today=today(),
    )
    assert [(v.rule, v.field) for v in found.found] == [("ELIGIBILITE", "employment_status")]
    assert "occupe ou recherche un emploi" in found.found[0].message and "16 à 25 ans" in found.found[0].message


# A CEP as it stands (history_violations) ---------------------------------------------------------------------
@pytest.fixture
def history(person, structure, cep_refs):
    """history_violations of a CEP entered in phase 2 sixty days ago, in progress, as (rule, field) pairs; the
    keyword arguments change it."""

    def check(**changes):
        values = {
            "beneficiary": person(),
            "structure": structure,
            "entry_date": days(60),
            "entry_phase": 2,
            "initial_interview_date": None,
            "orientation_source": cep_refs["direct"],
            "request_reason": cep_refs["reason"],
            "project_type": None,
            "phase3_entry_date": None,
            "end_date": None,
            "exit_reason": None,
            "has_level1_service": lambda: False,
            "today": today(),
            **changes,
        }
        return s.history_violations(**values)

    return check


def pairs(violations) -> list[tuple[str, str]]:
    return [(v.rule, v.field) for v in violations]


def test_r5_a_cep_in_progress_moved_to_phase3_or_not_is_valid(history):
    assert history() == []
    assert history(phase3_entry_date=days(30)) == []
    assert history(entry_phase=3) == []


def test_r8_a_cep_closed_in_phase2_or_in_phase3_is_valid(history, cep_refs):
    assert history(end_date=days(10), exit_reason=cep_refs["formalised"]) == []
    assert history(phase3_entry_date=days(30), end_date=days(10), exit_reason=cep_refs["formalised"]) == []
    assert history(phase3_entry_date=days(30), end_date=days(30), exit_reason=cep_refs["formalised"]) == []


def test_r4_the_entry_rules_are_checked(history):
    assert pairs(history(entry_date=today() + datetime.timedelta(days=1))) == [("R4", "entry_date")]
    assert pairs(history(entry_date=days(401))) == [("R4", "entry_date")]


def test_r5_a_direct_phase3_entry_has_no_move_to_phase3(history):
    violations = history(entry_phase=3, phase3_entry_date=days(30))
    assert pairs(violations) == [("R5", "phase3_entry_date")]
    assert violations[0].message == (
        "Ce CEP est entré directement en phase 3 : il n'a pas de passage en phase 3 (laissez la date vide)."
    )


def test_r5_phase3_starts_the_day_after_the_phase2_entry_at_the_earliest(history):
    violations = history(phase3_entry_date=days(60))
    assert pairs(violations) == [("R5", "phase3_entry_date")]
    assert fr(days(59)) in violations[0].message
    assert history(phase3_entry_date=days(59)) == []


def test_r6_a_structure_without_phases_has_no_move_to_phase3(history, structure):
    structure.distinguishes_phases = False
    violations = history(phase3_entry_date=days(30))
    assert pairs(violations) == [("R6", "phase3_entry_date")]
    assert violations[0].message == NO_PHASES_MESSAGE
    assert history() == []


def test_r8_after_a_move_to_phase3_the_end_is_not_before_the_phase3_entry(history, cep_refs):
    violations = history(phase3_entry_date=days(30), end_date=days(31), exit_reason=cep_refs["formalised"])
    assert pairs(violations) == [("R8", "end_date")]
    assert f"entrée dans la phase 3 ({fr(days(30))})" in violations[0].message
    # Without the move, the same end date is after the (phase 2) entry.
    assert history(end_date=days(31), exit_reason=cep_refs["formalised"]) == []


def test_r8_a_refused_move_to_phase3_leaves_the_cep_in_phase2_for_its_end(history, cep_refs):
    violations = history(phase3_entry_date=days(60), end_date=days(59), exit_reason=cep_refs["formalised"])
    assert pairs(violations) == [("R5", "phase3_entry_date")]


def test_r8_an_end_date_or_an_exit_reason_alone_is_refused(history, cep_refs):
    assert pairs(history(end_date=days(10))) == [("R8", "exit_reason")]
    assert pairs(history(exit_reason=cep_refs["formalised"])) == [("R8", "end_date")]
    assert pairs(history(end_date=days(61), exit_reason=cep_refs["formalised"])) == [("R8", "end_date")]


def test_r8_every_refusal_of_the_line_is_returned_in_order(history, cep_refs):
    violations = history(
        entry_date=days(401), entry_phase=3, phase3_entry_date=days(30), end_date=today() + datetime.timedelta(days=1)
    )
    assert pairs(violations) == [
        ("R4", "entry_date"),
        ("R5", "phase3_entry_date"),
        ("R8", "exit_reason"),
        ("R8", "end_date"),
    ]
