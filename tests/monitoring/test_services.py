"""Regional monitoring services ([002]): calendar, meetings, cooperation log. Each refusal leaves nothing written."""

import datetime

import pytest

from cep.audit.models import AuditEntry
from cep.common.errors import RuleViolation
from cep.monitoring import queries, services
from cep.monitoring.models import Cooperation, Exercise, Meeting, Milestone
from tests.factories import OperatorFactory

from .conftest import TODAY

pytestmark = pytest.mark.django_db


def test_suivi_open_exercise_copies_the_national_calendar_of_2022(exercise):
    milestones = list(exercise.milestones.order_by("due_on", "position"))
    assert exercise.due_on == datetime.date(2023, 7, 15)
    assert [m.due_label for m in milestones if m.kind == "atelier"] == [
        "7 avril 2022 (14h – 16h)",
        "16 juin 2022 (14h – 16h)",
        "27 octobre 2022 (14h – 16h)",
        "19 janvier 2023 (14h – 16h)",
    ]
    assert {m.kind: m.due_on for m in milestones}["donnees"] == datetime.date(2023, 4, 15)
    assert {m.kind: m.due_label for m in milestones}["crefop"] == "Fin du printemps 2023"
    assert len(milestones) == 12
    assert AuditEntry.objects.filter(action="open_exercise", object_id=exercise.pk).exists()


def test_suivi_a_year_without_its_calendar_takes_the_latest_one_moved(analyst):
    exercise = services.open_exercise(actor=analyst, year=2026)
    transmission = exercise.milestones.get(kind="transmission")
    assert exercise.due_on == transmission.due_on == datetime.date(2027, 7, 15)
    assert transmission.due_label == "15 juillet 2027"
    assert exercise.milestones.get(code="atelier_4").due_label == "19 janvier 2027 (14h – 16h)"
    assert exercise.milestones.get(code="cooperations").due_label == "Année 2026"


def test_suivi_one_exercise_per_region_and_year(analyst, exercise):
    with pytest.raises(RuleViolation) as refused:
        services.open_exercise(actor=analyst, year=2022)
    assert refused.value.rule == "SUIVI" and "existe déjà" in refused.value.message
    assert Exercise.objects.count() == 1


def test_droits_only_a_transitions_pro_opens_an_exercise(national, counselor):
    for actor in (national, counselor):
        with pytest.raises(RuleViolation) as refused:
            services.open_exercise(actor=actor, year=2024)
        assert refused.value.rule == "DROITS"
    assert not Exercise.objects.exists()


def test_saisie_exercise_year_out_of_range(analyst):
    with pytest.raises(RuleViolation) as refused:
        services.open_exercise(actor=analyst, year=10000)
    assert refused.value.rule == "SAISIE" and refused.value.field == "year"


def test_suivi_meeting_with_an_operator_of_the_region_is_recorded(analyst, exercise, operators):
    meeting = services.record_meeting(
        actor=analyst,
        exercise_id=exercise.pk,
        operator_id=operators[0].pk,
        held_on=datetime.date(2022, 5, 3),
        participants="Directrice ; chargé de mission",
        themes=["aiguillage"],
        notes="Échanges sur l'aiguillage.",
        today=TODAY,
    )
    assert [t.code for t in meeting.themes.all()] == ["aiguillage"]
    not_met = [o.name for o in queries.operators_met(exercise) if not o.met]
    assert not_met == ["Cap emploi Corse"]
    assert AuditEntry.objects.filter(action="record_meeting", object_id=meeting.pk).exists()


def test_suivi_meeting_with_an_operator_of_another_region_is_refused(analyst, exercise, refdata):
    elsewhere = OperatorFactory(name="Missions locales d'Île-de-France", region_id="11")
    with pytest.raises(RuleViolation) as refused:
        services.record_meeting(
            actor=analyst,
            exercise_id=exercise.pk,
            operator_id=elsewhere.pk,
            held_on=datetime.date(2022, 5, 3),
            participants="x",
            today=TODAY,
        )
    assert refused.value.field == "operator"
    assert not Meeting.objects.exists()


@pytest.mark.parametrize(
    ("held_on", "rule"), [(datetime.date(2027, 1, 1), "SUIVI"), (datetime.date(1, 1, 1), "SAISIE")]
)
def test_suivi_meeting_date_in_the_future_or_absurd_is_refused(analyst, exercise, operators, held_on, rule):
    with pytest.raises(RuleViolation) as refused:
        services.record_meeting(
            actor=analyst,
            exercise_id=exercise.pk,
            operator_id=operators[0].pk,
            held_on=held_on,
            participants="x",
            today=TODAY,
        )
    assert refused.value.rule == rule and refused.value.field == "held_on"
    assert not Meeting.objects.exists()


def test_referentiel_unknown_theme_refused_and_nothing_written(analyst, exercise, operators):
    with pytest.raises(RuleViolation) as refused:
        services.record_meeting(
            actor=analyst,
            exercise_id=exercise.pk,
            operator_id=operators[0].pk,
            held_on=datetime.date(2022, 5, 3),
            participants="x",
            themes=["inconnu"],
            today=TODAY,
        )
    assert refused.value.rule == "REFERENTIEL"
    assert not Meeting.objects.exists()


def test_droits_another_regions_transitions_pro_cannot_write(other_analyst, exercise, operators):
    with pytest.raises(RuleViolation) as refused:
        services.record_meeting(
            actor=other_analyst,
            exercise_id=exercise.pk,
            operator_id=operators[0].pk,
            held_on=datetime.date(2022, 5, 3),
            participants="x",
            today=TODAY,
        )
    assert refused.value.rule == "DROITS"
    assert not Meeting.objects.exists()


def test_suivi_crefop_meeting_flagged_until_recorded(analyst, exercise):
    assert not queries.has_crefop_meeting(exercise)
    assert any("réunion annuelle au CREFOP" in a for a in queries.exercise_alerts(exercise, TODAY))
    with pytest.raises(RuleViolation) as refused:
        services.record_cooperation(
            actor=analyst,
            exercise_id=exercise.pk,
            kind="reunion_crefop",
            title="Réunion",
            actors="CREFOP",
            today=TODAY,
        )
    assert refused.value.field == "held_on" and not Cooperation.objects.exists()
    services.record_cooperation(
        actor=analyst,
        exercise_id=exercise.pk,
        kind="reunion_crefop",
        title="Réunion annuelle",
        actors="CREFOP ; opérateurs invités",
        held_on=datetime.date(2022, 11, 18),
        themes=["interconnaissance"],
        today=TODAY,
    )
    assert queries.has_crefop_meeting(exercise)
    assert not any("réunion annuelle au CREFOP" in a for a in queries.exercise_alerts(exercise, TODAY))


def test_suivi_late_milestones_are_flagged_and_marking_them_done_clears_the_flag(analyst, exercise):
    data = exercise.milestones.get(code="donnees")
    assert data.status(TODAY) == "en_retard"
    assert any("Les données CEP sont transmises" in a for a in queries.exercise_alerts(exercise, TODAY))
    services.mark_milestone(actor=analyst, milestone_id=data.pk, done_on=datetime.date(2023, 4, 14), today=TODAY)
    data.refresh_from_db()
    assert data.status(TODAY) == "realisee"
    assert not any("Les données CEP sont transmises" in a for a in queries.exercise_alerts(exercise, TODAY))


def test_suivi_a_milestone_of_the_workflow_is_dated_by_its_step_only(analyst, exercise):
    crefop = exercise.milestones.get(code="crefop")
    with pytest.raises(RuleViolation) as refused:
        services.mark_milestone(actor=analyst, milestone_id=crefop.pk, done_on=datetime.date(2023, 6, 1), today=TODAY)
    assert "Présenté au CREFOP" in refused.value.message
    assert Milestone.objects.get(pk=crefop.pk).done_on is None
