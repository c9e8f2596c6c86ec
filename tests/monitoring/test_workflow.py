"""The report's workflow ([002]): brouillon → partagé aux opérateurs → présenté au CREFOP → transmis."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from cep.accounts.rights import Role
from cep.common.errors import RuleViolation
from cep.monitoring import services, workflow
from cep.monitoring.models import Exercise
from tests.factories import UserFactory

from .conftest import TODAY

pytestmark = pytest.mark.django_db
D = datetime.date


def test_suivi_steps_in_order_record_their_dates_and_milestones(analyst, exercise):
    for action, on in (("share", D(2023, 5, 15)), ("present", D(2023, 6, 19)), ("transmit", D(2023, 7, 10))):
        exercise = services.advance(actor=analyst, exercise_id=exercise.pk, action=action, on=on, today=TODAY)
    assert exercise.state == workflow.TRANSMITTED
    assert (exercise.shared_on, exercise.presented_on, exercise.transmitted_on) == (
        D(2023, 5, 15),
        D(2023, 6, 19),
        D(2023, 7, 10),
    )
    done = dict(exercise.milestones.exclude(reached_by="").values_list("code", "done_on"))
    assert done == {"echanges_projet": D(2023, 5, 15), "crefop": D(2023, 6, 19), "transmission": D(2023, 7, 10)}
    assert not exercise.is_late(TODAY)


@pytest.mark.parametrize("action", ["present", "transmit"])
def test_suivi_skipped_step_is_refused_in_french_and_nothing_changes(analyst, exercise, action):
    with pytest.raises(RuleViolation) as refused:
        services.advance(actor=analyst, exercise_id=exercise.pk, action=action, on=D(2023, 6, 1), today=TODAY)
    assert refused.value.rule == "SUIVI"
    assert refused.value.message == workflow.TRANSITIONS[action].refusal
    exercise.refresh_from_db()
    assert exercise.state == workflow.DRAFT and exercise.presented_on is None and exercise.transmitted_on is None


def test_suivi_a_step_cannot_precede_the_previous_one_nor_be_in_the_future(analyst, exercise):
    services.advance(actor=analyst, exercise_id=exercise.pk, action="share", on=D(2023, 5, 15), today=TODAY)
    with pytest.raises(RuleViolation) as before:
        services.advance(actor=analyst, exercise_id=exercise.pk, action="present", on=D(2023, 5, 14), today=TODAY)
    assert "15/05/2023" in before.value.message
    with pytest.raises(RuleViolation) as future:
        services.advance(actor=analyst, exercise_id=exercise.pk, action="present", on=D(2027, 1, 1), today=TODAY)
    assert "futur" in future.value.message
    assert Exercise.objects.get(pk=exercise.pk).state == workflow.SHARED


def test_suivi_late_transmission_is_flagged_after_the_due_date(analyst, exercise):
    assert exercise.is_late(D(2023, 7, 15)) is False
    assert exercise.is_late(D(2023, 7, 16)) is True
    for action, on in (("share", D(2023, 5, 15)), ("present", D(2023, 6, 19)), ("transmit", D(2023, 7, 20))):
        exercise = services.advance(actor=analyst, exercise_id=exercise.pk, action=action, on=on, today=TODAY)
    assert exercise.is_late(TODAY) is True


def test_suivi_the_database_refuses_a_state_without_its_date(exercise):
    with pytest.raises(IntegrityError), transaction.atomic():
        Exercise.objects.filter(pk=exercise.pk).update(state=workflow.TRANSMITTED)


class TestWorkflowProperties(TestCase):
    """Any sequence of steps: a step succeeds exactly when the workflow lists it for the current state."""

    @settings(max_examples=30, deadline=None)
    @given(st.lists(st.sampled_from(sorted(workflow.TRANSITIONS)), max_size=6))
    def test_suivi_allowed_actions_are_exactly_those_that_succeed(self, actions):
        from django.apps import apps

        from cep.monitoring.data import load

        load(apps)
        analyst = UserFactory(role=Role.REGIONAL_OBSERVER, structure=None, region_id="94")
        exercise = services.open_exercise(actor=analyst, year=2022)
        on = D(2023, 5, 1)
        for action in actions:
            allowed = {t.action for t in workflow.allowed_actions(exercise.state)}
            try:
                exercise = services.advance(actor=analyst, exercise_id=exercise.pk, action=action, on=on, today=TODAY)
                assert action in allowed
            except RuleViolation:
                assert action not in allowed
                exercise.refresh_from_db()
            on += datetime.timedelta(days=10)
        states = [s for s, _ in workflow.STATES]
        reached = states.index(exercise.state)
        assert all(getattr(exercise, f) is not None for f in workflow.DATE_FIELDS[:reached])
        assert all(getattr(exercise, f) is None for f in workflow.DATE_FIELDS[reached:])
