"""Read side of the regional monitoring: what the analyst's pages and France compétences' national page show."""

import datetime

from django.db.models import Count, Exists, OuterRef, Q, Subquery

from cep.organisations.models import Operator, Region

from .models import Cooperation, CooperationKind, Exercise, Meeting, ReportSnapshot, Thread, ThreadStatus


def region_operators(region_id: str):
    """The région's CEP operators: those of the région, or with a structure in it."""
    return Operator.objects.filter(Q(region_id=region_id) | Q(structures__region_id=region_id)).distinct()


def operators_met(exercise: Exercise):
    """Each operator of the région with the number and last date of its meetings in this exercise (not met: 0)."""
    met = Meeting.objects.filter(exercise=exercise, operator=OuterRef("pk"))
    return (
        region_operators(exercise.region_id)
        .select_related("network")
        .annotate(
            met=Exists(met),
            meetings=Count("pk", filter=Q(pk__in=met.values("operator_id"))),
        )
        .order_by("met", "name")
    )


def has_crefop_meeting(exercise: Exercise) -> bool:
    """[002]: at least one yearly CREFOP meeting to which every CEP operator of the région is invited."""
    return Cooperation.objects.filter(
        exercise=exercise, kind=CooperationKind.CREFOP_MEETING, held_on__year=exercise.year
    ).exists()


def exercise_alerts(
    exercise: Exercise, today: datetime.date, *, milestones=None, operators=None, crefop_meeting=None
) -> list[str]:
    """What the analyst's home flags: late milestones, operators not met, no CREFOP meeting, late report. A page that
    shows the milestones, the operators and the CREFOP meeting anyway passes them (read once)."""
    milestones = exercise.milestones.all() if milestones is None else milestones
    operators = operators_met(exercise) if operators is None else operators
    crefop_meeting = has_crefop_meeting(exercise) if crefop_meeting is None else crefop_meeting
    alerts = []
    late = [m for m in milestones if m.status(today) == "en_retard"]
    for m in late:
        alerts.append(f"En retard : « {m.label} » (échéance : {m.due_label}).")
    not_met = [o.name for o in operators if not o.met]
    if not_met:
        alerts.append(f"Opérateurs pas encore rencontrés : {', '.join(not_met)}.")
    if not crefop_meeting and today.year > exercise.year:
        alerts.append(f"Aucune réunion annuelle au CREFOP enregistrée pour {exercise.year}.")
    return alerts


def national_overview(exercises, today: datetime.date):
    """The exercises (those the user may see) with their states, the late ones and the number of their last frozen
    copy (its PDF and DOCX are linked): France compétences sees every région's."""
    last_copy = ReportSnapshot.objects.filter(exercise=OuterRef("pk")).order_by("-number").values("number")[:1]
    rows = exercises.select_related("region").annotate(
        meetings_count=Count("meetings", distinct=True),
        cooperations_count=Count("cooperations", distinct=True),
        last_copy=Subquery(last_copy),
    )
    return [(e, e.is_late(today)) for e in rows.order_by("-year", "region__name")]


def regions_without_exercise(year: int):
    """The régions whose Transitions Pro has not opened the exercise of `year`."""
    return Region.objects.exclude(exercises__year=year).order_by("name")


def disagreements(exercise: Exercise) -> list[Thread]:
    """The lasting disagreements, printed in their own section of the report ([002])."""
    titles = dict(exercise.sections.values_list("key", "title"))
    rows = list(
        Thread.objects.filter(exercise=exercise, status=ThreadStatus.DISAGREEMENT)
        .select_related("structure")
        .prefetch_related("replies")
    )
    for row in rows:
        row.section_title = titles.get(row.section_key, row.section_key)
    return rows
