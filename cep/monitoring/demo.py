"""The demo's regional monitoring: the Transitions Pro of the demo région with last year's exercise sent to France
compétences and this year's under way (calendar, two meetings, cooperations), through the same services."""

import datetime

from . import services
from .models import CooperationKind, Exercise
from .queries import region_operators


def load(analyst, today: datetime.date) -> list[Exercise]:
    """Idempotent: does nothing for an exercise that already exists."""
    done = []
    last, current = today.year - 1, today.year
    if not Exercise.objects.filter(region_id=analyst.region_id, year=last).exists():
        done.append(_last_year(analyst, last, today))
    if not Exercise.objects.filter(region_id=analyst.region_id, year=current).exists():
        done.append(_this_year(analyst, current, today))
    return done


def _day(year, month, day, today):
    return min(datetime.date(year, month, day), today)


def _meet_everyone(analyst, exercise, today, *, limit=None):
    operators = list(region_operators(exercise.region_id).order_by("name"))[:limit]
    for i, operator in enumerate(operators):
        services.record_meeting(
            actor=analyst,
            exercise_id=exercise.pk,
            operator_id=operator.pk,
            held_on=_day(exercise.year, 3 + 2 * i, 10, today),
            participants="Direction régionale de l'opérateur ; chargée de mission suivi CEP (Transitions Pro)",
            themes=["interconnaissance", "aiguillage"] if i % 2 == 0 else ["fluidification_parcours"],
            notes="Volet 1 : organisation de l'aiguillage entre opérateurs, outils de liaison.\n"
            "Volet 2 : principales demandes des bénéficiaires, articulation avec les prestations complémentaires.",
            today=today,
        )
    return operators


def _last_year(analyst, year, today):
    exercise = services.open_exercise(actor=analyst, year=year)
    _meet_everyone(analyst, exercise, today)
    services.record_cooperation(
        actor=analyst,
        exercise_id=exercise.pk,
        kind=CooperationKind.CREFOP_MEETING,
        title="Réunion annuelle du groupe de travail CEP du CREFOP",
        held_on=_day(year, 11, 18, today),
        actors="CREFOP ; tous les opérateurs du CEP de la région invités",
        themes=["interconnaissance", "information_promotion"],
        achievements="Présentation croisée des offres de service des opérateurs.",
        today=today,
    )
    for milestone in exercise.milestones.filter(reached_by=""):
        if milestone.due_on <= today:
            services.mark_milestone(actor=analyst, milestone_id=milestone.pk, done_on=milestone.due_on, today=today)
    _write(analyst, exercise, "introduction", _INTRO)
    _write(analyst, exercise, "partie1", services.cooperation_summary(exercise))
    for action, day in (("share", (5, 15)), ("present", (6, 19)), ("transmit", (7, 10))):
        on = datetime.date(year + 1, *day)
        if on > today:
            break
        services.advance(actor=analyst, exercise_id=exercise.pk, action=action, on=on, today=today)
    return exercise


def _this_year(analyst, year, today):
    exercise = services.open_exercise(actor=analyst, year=year)
    _meet_everyone(analyst, exercise, today, limit=2)
    services.record_cooperation(
        actor=analyst,
        exercise_id=exercise.pk,
        kind=CooperationKind.CREFOP_ACTION_SHEET,
        title="Fiche action CREFOP : un outil de liaison partagé pour l'aiguillage",
        held_on=_day(year, 4, 2, today),
        status="en_cours",
        actors="Missions locales, France Travail, Cap emploi, APEC, opérateur régional",
        themes=["aiguillage", "fluidification_parcours"],
        achievements="Une fiche de liaison commune testée dans deux départements.",
        levers="Référents CEP identifiés chez chaque opérateur.",
        difficulties="Outils d'information des opérateurs non interconnectés.",
        today=today,
    )
    _write(analyst, exercise, "introduction", _INTRO)
    return exercise


_INTRO = (
    "La Transitions Pro conduit le suivi de la mise en œuvre du CEP avec une chargée de mission, en lien avec le "
    "CREFOP. Elle a rencontré les opérateurs du CEP de la région, recueilli les documents publics régionaux et "
    "rapproché les données régionales des données nationales."
)


def _write(analyst, exercise, key, text):
    section = exercise.sections.get(key=key)
    services.save_section(actor=analyst, section_id=section.pk, body=text, expected_version=section.version)
