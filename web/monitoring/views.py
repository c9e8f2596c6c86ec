"""Regional monitoring pages: the Transitions Pro analyst's exercise, France compétences' national view.

Views parse input, call one service or query, render. Another région's exercise is a 404. No page of this module
shows a beneficiary."""

import difflib
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from cep.accounts.rights import Right
from cep.common import dates
from cep.common.access import rights_message
from cep.common.errors import RuleViolation
from cep.common.keyset import parse_id
from cep.monitoring import data_part as data
from cep.monitoring import queries, report_files, services, workflow
from cep.monitoring.models import CooperationKind, Exercise, Milestone, RegionalDocument, ReportSection, Thread
from web.views._forms import run_action

from .forms import (
    CooperationForm,
    DocumentForm,
    ExerciseForm,
    InvestigationForm,
    MeetingForm,
    MilestoneForm,
    SectionForm,
    StepForm,
    ThreadActionForm,
    ThreadForm,
)

READS = (Right.REGIONAL_MONITORING, Right.READ_REGIONAL_REPORTS)


def _needs(*rights: Right):
    """Signed in and holding one of `rights` (a 403 page naming the first one otherwise)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(request, *args, **kwargs):
            if not any(request.user.has_right(r) for r in rights):
                raise PermissionDenied(rights_message([rights[0]]))
            return view(request, *args, **kwargs)

        wrapper.required_rights = rights
        return wrapper

    return decorator


_reads = _needs(*READS)  # the Transitions Pro its région's, France compétences every région's
_writes = _needs(Right.REGIONAL_MONITORING)  # the Transitions Pro of the exercise's région only (_writable)


def _exercise(request, pk: int) -> Exercise:
    return get_object_or_404(Exercise.objects.visible_to(request.user).select_related("region"), pk=pk)


def _back(exercise) -> str:
    return reverse("monitoring:exercise", args=[exercise.pk])


@_writes
@require_http_methods(["GET", "POST"])
def exercises(request):
    user, today = request.user, dates.today()
    form = ExerciseForm(request.POST or None, initial={"year": today.year})
    if request.method == "POST" and form.is_valid():
        response = run_action(
            request,
            form,
            lambda: services.open_exercise(actor=user, year=form.cleaned_data["year"]),
            success=lambda e: f"Exercice {e.year} ouvert avec le calendrier national.",
            redirect_to=_back,
        )
        if response:
            return response
    rows = queries.national_overview(Exercise.objects.visible_to(user), today)
    return render(
        request,
        "monitoring/exercises.html",
        {
            "title": "Suivi régional du CEP",
            "rows": rows,
            "form": form if user.has_right(Right.REGIONAL_MONITORING) and user.region_id else None,
            "national": user.has_right(Right.READ_REGIONAL_REPORTS),
        },
    )


@_needs(Right.READ_REGIONAL_REPORTS)
def national(request):
    """France compétences: every région's exercises, their states, the late ones, the régions without one."""
    today = dates.today()
    rows = queries.national_overview(Exercise.objects.visible_to(request.user), today)
    return render(
        request,
        "monitoring/national.html",
        {
            "title": "Suivi régional du CEP : toutes les régions",
            "rows": rows,
            "missing": queries.regions_without_exercise(today.year - 1),
            "year": today.year - 1,
        },
    )


@_reads
def exercise(request, pk):
    exercise, today = _exercise(request, pk), dates.today()
    milestones = list(exercise.milestones.all())
    operators = list(queries.operators_met(exercise))
    crefop_meeting = queries.has_crefop_meeting(exercise)
    return render(
        request,
        "monitoring/exercise.html",
        {
            "title": f"Suivi du CEP {exercise.year} – {exercise.region.name}",
            "exercise": exercise,
            "late": exercise.is_late(today),
            "milestones": [(m, m.status(today)) for m in milestones],
            "alerts": queries.exercise_alerts(
                exercise, today, milestones=milestones, operators=operators, crefop_meeting=crefop_meeting
            ),
            "operators": operators,
            "meetings": exercise.meetings.select_related("operator").prefetch_related("themes"),
            "cooperations": exercise.cooperations.prefetch_related("themes"),
            "documents": exercise.documents.defer("content"),
            "investigations": exercise.investigations.all(),
            "snapshots": exercise.snapshots.defer("sections", "frozen_threads", "data"),
            "crefop_meeting": crefop_meeting,
            "steps": workflow.allowed_actions(exercise.state),
            "step_form": StepForm(initial={"on": today}),
            "states": workflow.STATES,
            "can_write": request.user.has_right(Right.REGIONAL_MONITORING)
            and request.user.region_id == exercise.region_id,
        },
    )


def _writable(request, pk) -> Exercise:
    exercise = _exercise(request, pk)
    if request.user.region_id != exercise.region_id:
        raise PermissionDenied("Cet exercice concerne une autre région que la vôtre.")
    return exercise


def _form_page(request, exercise, form, *, title: str, record, success: str, multipart: bool = False):
    """An « add » page of the exercise: on a valid POST, `record(cleaned_data)` (one service call) through
    run_action, back to the exercise; otherwise the form, with its errors."""
    if request.method == "POST" and form.is_valid():
        response = run_action(
            request, form, lambda: record(form.cleaned_data), success=success, redirect_to=_back(exercise)
        )
        if response:
            return response
    context = {"title": title, "exercise": exercise, "form": form, "multipart": multipart}
    return render(request, "monitoring/form.html", context)


@_writes
@require_http_methods(["GET", "POST"])
def meeting_add(request, pk):
    exercise = _writable(request, pk)
    form = MeetingForm(request.POST or None, operators=queries.region_operators(exercise.region_id))
    return _form_page(
        request,
        exercise,
        form,
        title="Enregistrer une rencontre avec un opérateur",
        record=lambda data: services.record_meeting(
            actor=request.user,
            exercise_id=exercise.pk,
            operator_id=data["operator"].pk,
            held_on=data["held_on"],
            participants=data["participants"],
            themes=[t.code for t in data["themes"]],
            notes=data["notes"],
        ),
        success="Rencontre enregistrée.",
    )


@_writes
@require_http_methods(["GET", "POST"])
def cooperation_add(request, pk):
    exercise = _writable(request, pk)
    kind = request.GET.get("nature", "")
    form = CooperationForm(
        request.POST or None, initial={"kind": kind if kind in CooperationKind.values else "action"}
    )
    return _form_page(
        request,
        exercise,
        form,
        title="Enregistrer une coopération",
        record=lambda data: services.record_cooperation(
            actor=request.user, exercise_id=exercise.pk, **{**data, "themes": [t.code for t in data["themes"]]}
        ),
        success="Coopération enregistrée.",
    )


@_writes
@require_POST
def step(request, pk, action):
    exercise = _writable(request, pk)
    if action not in workflow.TRANSITIONS:
        raise Http404("Étape inconnue.")
    form = StepForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "monitoring/form.html",
            {"title": workflow.TRANSITIONS[action].label, "exercise": exercise, "form": form},
            status=400,
        )
    response = run_action(
        request,
        None,
        lambda: services.advance(
            actor=request.user, exercise_id=exercise.pk, action=action, on=form.cleaned_data["on"]
        ),
        success=lambda e: f"Rapport : {e.state_label.lower()}.",
        redirect_to=_back(exercise),
    )
    return response


@_writes
@require_POST
def milestone(request, milestone_id):
    row = get_object_or_404(
        Milestone.objects.filter(exercise__in=Exercise.objects.visible_to(request.user)), pk=milestone_id
    )
    exercise = _writable(request, row.exercise_id)
    form = MilestoneForm(request.POST)
    if not form.is_valid():
        return render(
            request, "monitoring/form.html", {"title": row.label, "exercise": exercise, "form": form}, status=400
        )
    return run_action(
        request,
        None,
        lambda: services.mark_milestone(
            actor=request.user,
            milestone_id=row.pk,
            done_on=form.cleaned_data["done_on"],
            notes=form.cleaned_data["notes"],
        ),
        success="Étape du calendrier mise à jour.",
        redirect_to=_back(exercise),
    )


@_writes
@require_http_methods(["GET", "POST"])
def document_add(request, pk):
    exercise = _writable(request, pk)
    form = DocumentForm(request.POST or None, request.FILES or None)
    return _form_page(
        request,
        exercise,
        form,
        title="Déposer un document régional",
        record=lambda data: services.add_document(
            actor=request.user,
            exercise_id=exercise.pk,
            title=data["title"],
            kind=data["kind"],
            source=data["source"],
            published_on=data["published_on"],
            description=data["description"],
            filename=data["file"].name,
            chunks=data["file"].chunks(),
        ),
        success="Document déposé.",
        multipart=True,
    )


@_reads
def document_download(request, document_id):
    document = get_object_or_404(
        RegionalDocument.objects.filter(exercise__in=Exercise.objects.visible_to(request.user)), pk=document_id
    )
    response = HttpResponse(bytes(document.content), content_type=document.content_type)
    response["Content-Disposition"] = f'attachment; filename="{document.filename}"'.encode("ascii", "replace").decode()
    response["X-Content-Type-Options"] = "nosniff"
    return response


@_reads
def data_part(request, pk):
    """Partie 2 of the report: the région's aggregates beside the nation's, for the exercise's year."""
    exercise = _exercise(request, pk)
    try:
        part, error = data.data_part(exercise), None
    except RuleViolation as refused:
        part, error = None, refused.message
    return render(
        request,
        "monitoring/data_part.html",
        {
            "title": f"Le CEP et les parcours des bénéficiaires en région : données {exercise.year}",
            "exercise": exercise,
            "part": part,
            "error": error,
        },
    )


def _section(request, section_id) -> ReportSection:
    return get_object_or_404(
        ReportSection.objects.filter(exercise__in=Exercise.objects.visible_to(request.user)).select_related(
            "exercise__region"
        ),
        pk=section_id,
    )


@_reads
def report(request, pk):
    """The report on the socle plan, section by section, at its current version."""
    exercise = _exercise(request, pk)
    return render(
        request,
        "monitoring/report.html",
        {
            "title": f"Rapport de suivi du CEP {exercise.year} – {exercise.region.name}",
            "exercise": exercise,
            "sections": exercise.sections.all(),
            "disagreements": queries.disagreements(exercise),
            "can_write": request.user.has_right(Right.REGIONAL_MONITORING)
            and request.user.region_id == exercise.region_id
            and exercise.state != workflow.TRANSMITTED,
        },
    )


@_writes
@require_http_methods(["GET", "POST"])
def section_edit(request, section_id):
    section = _section(request, section_id)
    exercise = _writable(request, section.exercise_id)
    initial = {"body": section.body, "version": section.version}
    if request.GET.get("preremplir") == "journal":  # the cooperation log appended to the text, to rework
        initial["body"] = "\n\n".join(p for p in (section.body, services.cooperation_summary(exercise)) if p)
    form = SectionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        response = run_action(
            request,
            form,
            lambda: services.save_section(
                actor=request.user,
                section_id=section.pk,
                body=form.cleaned_data["body"],
                expected_version=form.cleaned_data["version"],
            ),
            success=lambda s: f"« {s.title} » enregistrée (version {s.version}).",
            redirect_to=reverse("monitoring:report", args=[exercise.pk]) + f"#{section.key}",
        )
        if response:
            return response
    return render(
        request,
        "monitoring/section_edit.html",
        {"title": section.title, "exercise": exercise, "section": section, "form": form},
    )


@_reads
def section_history(request, section_id):
    """Every saved version of a section; two of them compared line by line (?a=…&b=…)."""
    section = _section(request, section_id)
    versions = list(section.versions.select_related("saved_by"))
    numbers = {v.number: v for v in versions}

    def pick(name, default):
        number = parse_id(request.GET.get(name, ""))
        return numbers.get(number) if number is not None else default

    newer = pick("b", versions[0] if versions else None)
    older = pick("a", versions[1] if len(versions) > 1 else None)
    diff = []
    if newer and older:
        for line in difflib.ndiff(older.body.splitlines(), newer.body.splitlines()):
            if line.startswith("? "):
                continue
            diff.append(({"+ ": "ajout", "- ": "retrait"}.get(line[:2], ""), line[2:]))
    return render(
        request,
        "monitoring/section_history.html",
        {
            "title": f"Versions : {section.title}",
            "exercise": section.exercise,
            "section": section,
            "versions": versions,
            "older": older,
            "newer": newer,
            "diff": diff,
        },
    )


# ---------------------------------------------------------------- the draft shared with the région's operators


def _shared_with(user):
    """The exercises whose draft is shared with the user's operator (its structure's région), not yet sent."""
    if not (user.has_right(Right.COMMENT_REGIONAL_REPORT) and user.structure_id):
        return Exercise.objects.none()
    return (
        Exercise.objects.filter(region_id=user.structure.region_id, snapshots__isnull=False)
        .exclude(state=workflow.DRAFT)
        .distinct()
    )


def _draft_exercise(request, pk) -> Exercise:
    user = request.user
    rows = Exercise.objects.select_related("region")
    found = rows.filter(pk=pk).filter(pk__in=_shared_with(user).values("pk")).first()
    found = found or rows.filter(pk=pk).filter(pk__in=Exercise.objects.visible_to(user).values("pk")).first()
    if found is None or not found.snapshots.exists():
        raise Http404("Aucun projet partagé pour cet exercice.")
    return found


@_needs(Right.COMMENT_REGIONAL_REPORT)
def shared(request):
    """An operator's list of the drafts shared with its région."""
    rows = _shared_with(request.user).select_related("region").order_by("-year")
    return render(request, "monitoring/shared.html", {"title": "Projets de rapport régional", "rows": rows})


@_needs(*READS, Right.COMMENT_REGIONAL_REPORT)
def draft(request, pk):
    """The latest shared version, section by section, with what changed since the previous one and the threads."""
    exercise = _draft_exercise(request, pk)
    snapshots = list(exercise.snapshots.order_by("-number")[:2])
    current, previous = snapshots[0], (snapshots[1] if len(snapshots) > 1 else None)
    before = {s["key"]: s["body"] for s in previous.sections} if previous else {}
    threads = {}
    for thread in exercise.threads.select_related("author", "structure", "closed_by").prefetch_related(
        "replies__author"
    ):
        threads.setdefault(thread.section_key, []).append(thread)
    user = request.user
    analyst = user.has_right(Right.REGIONAL_MONITORING) and user.region_id == exercise.region_id
    sections = []
    for section in current.sections:
        changed = previous is not None and before.get(section["key"]) != section["body"]
        diff = []
        if changed:
            old, new = before.get(section["key"], "").splitlines(), section["body"].splitlines()
            diff = [(line[:2], line[2:]) for line in difflib.ndiff(old, new) if line[:2] in ("+ ", "- ")]
        sections.append((section, changed, diff, threads.get(section["key"], [])))
    return render(
        request,
        "monitoring/draft.html",
        {
            "title": f"Projet de rapport {exercise.year} – {exercise.region.name}",
            "exercise": exercise,
            "snapshot": current,
            "previous": previous,
            "sections": sections,
            "can_comment": services.can_comment(user, exercise),
            "analyst": analyst and exercise.state != workflow.TRANSMITTED,
            "thread_form": ThreadForm(),
        },
    )


@_needs(Right.COMMENT_REGIONAL_REPORT)
@require_POST
def thread_new(request, pk):
    exercise = _draft_exercise(request, pk)
    form = ThreadForm(request.POST)
    back = reverse("monitoring:draft", args=[exercise.pk])
    if not form.is_valid():
        messages.error(request, "Choisissez la nature du message et écrivez-le.")
        return redirect(back)
    data = form.cleaned_data
    return run_action(
        request,
        None,
        lambda: services.open_thread(
            actor=request.user,
            exercise_id=exercise.pk,
            section_key=data["section_key"],
            kind=data["kind"],
            body=data["body"],
        ),
        success="Message envoyé à la Transitions Pro.",
        redirect_to=lambda t: back + (f"#{t.section_key}" if t else ""),
    )


THREAD_ACTIONS = {
    "repondre": (lambda user, t, body: services.reply(actor=user, thread_id=t, body=body), "Réponse envoyée."),
    "accepter": (
        lambda user, t, body: services.answer_request(actor=user, thread_id=t, accepted=True, answer=body),
        "Demande acceptée.",
    ),
    "refuser": (
        lambda user, t, body: services.answer_request(actor=user, thread_id=t, accepted=False, answer=body),
        "Demande refusée.",
    ),
    "resoudre": (lambda user, t, body: services.close_thread(actor=user, thread_id=t), "Fil résolu."),
    "desaccord": (
        lambda user, t, body: services.close_thread(actor=user, thread_id=t, disagreement=True),
        "Désaccord maintenu enregistré : il figurera dans le rapport.",
    ),
}


@_needs(Right.REGIONAL_MONITORING, Right.COMMENT_REGIONAL_REPORT)
@require_POST
def thread_action(request, thread_id, action):
    if action not in THREAD_ACTIONS:
        raise Http404("Action inconnue.")
    thread = get_object_or_404(Thread.objects.select_related("exercise"), pk=thread_id)
    exercise = _draft_exercise(request, thread.exercise_id)
    form = ThreadActionForm(request.POST)
    body = form.cleaned_data["body"] if form.is_valid() else ""
    call, success = THREAD_ACTIONS[action]
    return run_action(
        request,
        None,
        lambda: call(request.user, thread.pk, body),
        success=success,
        redirect_to=reverse("monitoring:draft", args=[exercise.pk]) + f"#{thread.section_key}",
    )


@_writes
@require_POST
def reshare(request, pk):
    exercise = _writable(request, pk)
    return run_action(
        request,
        None,
        lambda: services.reshare(actor=request.user, exercise_id=exercise.pk),
        success=lambda s: f"Version {s.number} partagée aux opérateurs.",
        redirect_to=reverse("monitoring:draft", args=[exercise.pk]),
    )


REPORT_FORMATS = {
    "pdf": (report_files.pdf, "application/pdf"),
    "docx": (report_files.docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
}


@_needs(*READS, Right.COMMENT_REGIONAL_REPORT)
def report_file(request, pk, number, fmt):
    """The report's PDF or DOCX, generated from the frozen copy n° `number` (the same bytes at each download): the
    région's analyst, France compétences, and the région's operators (every copy is a shared one)."""
    exercise = _draft_exercise(request, pk)
    snapshot = get_object_or_404(exercise.snapshots.all(), number=number)
    snapshot.exercise = exercise
    render_file, content_type = REPORT_FORMATS[fmt]
    response = HttpResponse(render_file(snapshot), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{report_files.filename(snapshot, fmt)}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@_writes
@require_http_methods(["GET", "POST"])
def investigation_add(request, pk):
    """A complementary investigation, with the partners' consent and the legal basis when it collects data."""
    exercise = _writable(request, pk)
    form = InvestigationForm(request.POST or None)
    return _form_page(
        request,
        exercise,
        form,
        title="Enregistrer une investigation complémentaire",
        record=lambda data: services.record_investigation(actor=request.user, exercise_id=exercise.pk, **data),
        success="Investigation enregistrée.",
    )
