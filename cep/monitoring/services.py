"""Every change to an exercise: one function, one transaction, audited; refusals carry a rule id (SUIVI, DROITS,
SAISIE) and a French message, and leave nothing written."""

import datetime
import hashlib
import json

from django.db import IntegrityError, transaction
from django.utils import timezone

from cep.accounts.rights import Right
from cep.audit.services import audited
from cep.common import dates
from cep.common.access import ensure_right
from cep.common.errors import RuleViolation, Violations

from . import workflow
from .documents import check_upload
from .models import (
    CLOSED_THREAD_STATUSES,
    REPORT_PLAN,
    Cooperation,
    CooperationKind,
    CooperationTheme,
    DocumentKind,
    Exercise,
    Investigation,
    InvestigationMethod,
    LegalBasis,
    Meeting,
    Milestone,
    NationalMilestone,
    RegionalDocument,
    Reply,
    ReportSection,
    ReportSnapshot,
    SectionVersion,
    Thread,
    ThreadKind,
    ThreadStatus,
)
from .queries import region_operators

FIRST_YEAR, LAST_YEAR = 2019, 2100


def _shift(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def national_calendar(year: int) -> list[NationalMilestone]:
    """The national calendar of an exercise: France compétences' dates for that year when they are recorded,
    otherwise the latest recorded calendar moved to that year (same days, same labels with their years moved)."""
    rows = list(NationalMilestone.objects.filter(exercise_year=year))
    if rows:
        return rows
    base = NationalMilestone.objects.filter(exercise_year__lt=year).order_by("-exercise_year").first()
    if base is None:
        base = NationalMilestone.objects.order_by("exercise_year").first()
    if base is None:
        return []
    delta = year - base.exercise_year
    shifted = []
    for row in NationalMilestone.objects.filter(exercise_year=base.exercise_year):
        label = row.due_label
        for y in sorted({row.due_on.year, base.exercise_year, base.exercise_year + 1}, reverse=True):
            label = label.replace(str(y), str(y + delta))
        row.pk, row.exercise_year, row.due_on, row.due_label = None, year, _shift(row.due_on, delta), label
        shifted.append(row)
    return shifted


def _ensure_writes(actor, exercise: Exercise) -> None:
    ensure_right(actor, Right.REGIONAL_MONITORING)
    if actor is not None and actor.region_id != exercise.region_id:
        raise RuleViolation("DROITS", "Cet exercice concerne une autre région que la vôtre.")


def _exercise(actor, exercise_id: int) -> Exercise:
    exercise = Exercise.objects.filter(pk=exercise_id).first()
    if exercise is None:
        raise RuleViolation("SUIVI", "Cet exercice n'existe pas.")
    _ensure_writes(actor, exercise)
    return exercise


def _check_day(day: datetime.date, field: str, label: str, *, today: datetime.date) -> None:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise RuleViolation(
            "SAISIE", f"{label} : une date entre {FIRST_YEAR} et {LAST_YEAR} est attendue.", field=field
        )
    if day > today:
        raise RuleViolation("SUIVI", f"{label} ne peut pas être dans le futur.", field=field)


@transaction.atomic
def open_exercise(*, actor, year: int) -> Exercise:
    """Open the exercise of the actor's région for `year`, with its own copy of the national calendar."""
    ensure_right(actor, Right.REGIONAL_MONITORING)
    if not actor.region_id:
        raise RuleViolation("DROITS", "Votre compte n'est rattaché à aucune région.")
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise RuleViolation("SAISIE", f"Choisissez une année entre {FIRST_YEAR} et {LAST_YEAR}.", field="year")
    calendar = national_calendar(year)
    due = next((m.due_on for m in calendar if m.kind == "transmission"), datetime.date(year + 1, 7, 15))
    if Exercise.objects.filter(region_id=actor.region_id, year=year).exists():
        raise RuleViolation("SUIVI", f"L'exercice {year} de votre région existe déjà.", field="year")
    try:
        with (
            transaction.atomic(),
            audited(
                Exercise(region_id=actor.region_id, year=year, due_on=due), actor=actor, action="open_exercise"
            ) as exercise,
        ):
            exercise.save()
    except IntegrityError:  # another analyst opened it at the same moment
        raise RuleViolation("SUIVI", f"L'exercice {year} de votre région existe déjà.", field="year") from None
    Milestone.objects.bulk_create(
        Milestone(exercise=exercise, **{name: getattr(m, name) for name in Milestone.COPIED}) for m in calendar
    )
    ReportSection.objects.bulk_create(
        ReportSection(exercise=exercise, key=key, position=i, title=title, guidance=guidance)
        for i, (key, title, guidance) in enumerate(REPORT_PLAN)
    )
    return exercise


@transaction.atomic
def mark_milestone(*, actor, milestone_id: int, done_on: datetime.date | None, notes: str = "", today=None):
    """Record that a milestone was reached (or undo it with done_on=None). Milestones reached by a step of the
    report's workflow follow that step and cannot be changed here."""
    today = today or dates.today()
    milestone = Milestone.objects.select_related("exercise").filter(pk=milestone_id).first()
    if milestone is None:
        raise RuleViolation("SUIVI", "Cette étape n'existe pas.")
    _ensure_writes(actor, milestone.exercise)
    if milestone.reached_by:
        label = workflow.TRANSITIONS[milestone.reached_by].label
        raise RuleViolation("SUIVI", f"Cette étape est datée par l'étape du rapport « {label} ».", field="done_on")
    if done_on is not None:
        _check_day(done_on, "done_on", "La date de réalisation", today=today)
    with audited(Milestone, milestone.pk, actor=actor, action="mark_milestone", skip_unchanged=True) as row:
        row.done_on, row.notes = done_on, notes.strip()
        row.save(update_fields=["done_on", "notes"])
    return row


def _themes(codes, day: datetime.date) -> list[CooperationTheme]:
    codes = set(codes or ())
    themes = list(CooperationTheme.objects.valid_on(day).filter(code__in=codes))
    unknown = codes - {t.code for t in themes}
    if unknown:
        raise RuleViolation("REFERENTIEL", "Thème inconnu ou hors de sa période de validité.", field="themes")
    return themes


@transaction.atomic
def record_meeting(
    *, actor, exercise_id: int, operator_id: int, held_on, participants: str, themes=(), notes="", today=None
) -> Meeting:
    today = today or dates.today()
    exercise = _exercise(actor, exercise_id)
    _check_day(held_on, "held_on", "La date de la rencontre", today=today)
    if not region_operators(exercise.region_id).filter(pk=operator_id).exists():
        raise RuleViolation("SUIVI", "Choisissez un opérateur du CEP de la région.", field="operator")
    if not participants.strip():
        raise RuleViolation("SAISIE", "Indiquez les participants.", field="participants")
    chosen = _themes(themes, held_on)
    meeting = Meeting(
        exercise=exercise,
        operator_id=operator_id,
        held_on=held_on,
        participants=participants.strip(),
        notes=notes.strip(),
        created_by=actor,
    )
    with audited(meeting, actor=actor, action="record_meeting") as meeting:
        meeting.save()
        meeting.themes.set(chosen)
    return meeting


@transaction.atomic
def record_cooperation(
    *,
    actor,
    exercise_id: int,
    kind: str,
    title: str,
    actors: str,
    held_on=None,
    status: str = "realisee",
    themes=(),
    achievements="",
    levers="",
    difficulties="",
    today=None,
) -> Cooperation:
    today = today or dates.today()
    exercise = _exercise(actor, exercise_id)
    if kind not in CooperationKind.values:
        raise RuleViolation("SAISIE", "Choisissez la nature de la coopération.", field="kind")
    if kind == CooperationKind.CREFOP_MEETING and held_on is None:
        raise RuleViolation("SUIVI", "Indiquez la date de la réunion au CREFOP.", field="held_on")
    if held_on is not None:
        _check_day(held_on, "held_on", "La date", today=today)
    if not title.strip() or not actors.strip():
        raise RuleViolation(
            "SAISIE", "Indiquez l'intitulé et les acteurs.", field="title" if not title.strip() else "actors"
        )
    chosen = _themes(themes, held_on or today)
    cooperation = Cooperation(
        exercise=exercise,
        kind=kind,
        title=title.strip(),
        held_on=held_on,
        status=status,
        actors=actors.strip(),
        achievements=achievements.strip(),
        levers=levers.strip(),
        difficulties=difficulties.strip(),
        created_by=actor,
    )
    with audited(cooperation, actor=actor, action="record_cooperation") as cooperation:
        cooperation.save()
        cooperation.themes.set(chosen)
    return cooperation


@transaction.atomic
def advance(*, actor, exercise_id: int, action: str, on: datetime.date, today=None) -> Exercise:
    """One step of the report's workflow (workflow.TRANSITIONS): the state, its date, and the milestone it reaches."""
    today = today or dates.today()
    transition = workflow.TRANSITIONS.get(action)
    if transition is None:
        raise RuleViolation("SUIVI", "Étape inconnue.")
    exercise = _exercise(actor, exercise_id)
    with audited(Exercise, exercise.pk, actor=actor, action=f"exercise_{action}") as row:
        if row.state != transition.source:
            raise RuleViolation(workflow.RULE, transition.refusal)
        _check_day(on, transition.date_field, "La date de l'étape", today=today)
        previous = [getattr(row, f) for f in workflow.DATE_FIELDS[: workflow.DATE_FIELDS.index(transition.date_field)]]
        if previous and on < previous[-1]:
            raise RuleViolation(
                workflow.RULE,
                f"La date de l'étape ne peut pas précéder celle de l'étape précédente ({previous[-1]:%d/%m/%Y}).",
                field=transition.date_field,
            )
        if action == "transmit":
            _ensure_threads_closed(row)
        row.state = transition.target
        setattr(row, transition.date_field, on)
        row.save(update_fields=["state", transition.date_field, "updated_at"])
    Milestone.objects.filter(exercise=row, reached_by=action).update(done_on=on)
    freeze(row, actor)
    return row


@transaction.atomic
def add_document(
    *, actor, exercise_id: int, title: str, kind: str, source: str, published_on, filename: str, chunks, description=""
) -> RegionalDocument:
    """Keep a public regional document with its checksum; the same file twice in one exercise is refused."""
    exercise = _exercise(actor, exercise_id)
    if kind not in DocumentKind.values:
        raise RuleViolation("SAISIE", "Choisissez le type du document.", field="kind")
    if not title.strip() or not source.strip():
        field = "title" if not title.strip() else "source"
        raise RuleViolation("SAISIE", "Indiquez le titre et la source du document.", field=field)
    if not FIRST_YEAR - 10 <= published_on.year <= LAST_YEAR:
        raise RuleViolation("SAISIE", "Indiquez une date de document plausible.", field="published_on")
    checked = check_upload(filename, chunks)
    if RegionalDocument.objects.filter(exercise=exercise, sha256=checked.sha256).exists():
        raise RuleViolation("SUIVI", "Ce fichier a déjà été déposé dans cet exercice.", field="file")
    document = RegionalDocument(
        exercise=exercise,
        title=title.strip(),
        kind=kind,
        source=source.strip(),
        published_on=published_on,
        description=description.strip(),
        filename=checked.filename,
        content_type=checked.content_type,
        size=len(checked.content),
        sha256=checked.sha256,
        content=checked.content,
        uploaded_by=actor,
    )
    try:
        with transaction.atomic(), audited(document, actor=actor, action="add_document", exclude=("content",)) as doc:
            doc.save()
    except IntegrityError:  # the same file, at the same moment
        raise RuleViolation("SUIVI", "Ce fichier a déjà été déposé dans cet exercice.", field="file") from None
    return doc


@transaction.atomic
def save_section(*, actor, section_id: int, body: str, expected_version: int) -> ReportSection:
    """Save a section's text as a new version. `expected_version` is the version the author started from: if
    someone saved in between, the save is refused (nothing is lost: the author's text stays in the form). A report
    sent to France compétences is no longer edited."""
    section = ReportSection.objects.select_related("exercise").filter(pk=section_id).first()
    if section is None:
        raise RuleViolation("SUIVI", "Cette section n'existe pas.")
    _ensure_writes(actor, section.exercise)
    with audited(ReportSection, section.pk, actor=actor, action="save_section", exclude=("body",)) as row:
        exercise = Exercise.objects.select_for_update().get(pk=row.exercise_id)
        if exercise.state == workflow.TRANSMITTED:
            raise RuleViolation(
                workflow.RULE, "Le rapport a été transmis à France compétences : il n'est plus modifié."
            )
        if row.version != expected_version:
            last = row.versions.select_related("saved_by").first()
            raise RuleViolation(
                workflow.RULE,
                f"« {row.title} » a été enregistrée entre-temps par {last.saved_by} (version {row.version}) : "
                "relisez-la, puis reportez vos changements.",
                field="body",
            )
        if body.replace("\r\n", "\n").strip() == row.body.strip():
            return row  # nothing changed: no new version
        row.body = body.replace("\r\n", "\n").strip()
        row.version += 1
        row.save(update_fields=["body", "version"])
        SectionVersion.objects.create(section=row, number=row.version, body=row.body, saved_by=actor)
    return row


def cooperation_summary(exercise: Exercise) -> str:
    """Partie 1 written from the log: the meetings with the operators and each cooperation (a draft to rework)."""
    lines = ["Rencontres avec les opérateurs du CEP de la région :"]
    for meeting in exercise.meetings.select_related("operator").prefetch_related("themes").order_by("held_on"):
        themes = ", ".join(t.label.lower() for t in meeting.themes.all())
        lines.append(
            f"- {meeting.held_on:%d/%m/%Y}, {meeting.operator.name}" + (f" ({themes})" if themes else "") + "."
        )
    if len(lines) == 1:
        lines.append("- aucune rencontre enregistrée.")
    lines += ["", "Coopérations :"]
    for c in exercise.cooperations.prefetch_related("themes").order_by("held_on", "id"):
        when = f"{c.held_on:%d/%m/%Y}, " if c.held_on else ""
        lines.append(
            f"- {when}{c.get_kind_display()} : {c.title} ({c.get_status_display().lower()}). Acteurs : {c.actors}."
        )
        for label, text in (("Réalisations", c.achievements), ("Leviers", c.levers), ("Difficultés", c.difficulties)):
            if text:
                lines.append(f"  {label} : {text}")
    if not exercise.cooperations.exists():
        lines.append("- aucune coopération enregistrée.")
    return "\n".join(lines)


# ---------------------------------------------------------------- sharing the draft (issue 12 parts 7 and 8)


def _sections_payload(exercise: Exercise) -> list[dict]:
    return [
        {"key": s.key, "title": s.title, "body": s.body, "version": s.version}
        for s in exercise.sections.order_by("position")
    ]


def _day(moment) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y") if moment else ""


def _name(user) -> str:
    return (user.get_full_name() or user.username) if user is not None else ""


def frozen_threads(exercise: Exercise) -> list[dict]:
    """The operators' comment threads as they stand, with their replies, as plain data (staff names, never a
    beneficiary): what a snapshot keeps and the report prints."""
    rows = exercise.threads.select_related("author", "structure", "closed_by").prefetch_related("replies__author")
    return [
        {
            "id": t.pk,
            "section_key": t.section_key,
            "kind": t.get_kind_display(),
            "structure": t.structure.name,
            "author": _name(t.author),
            "created_on": _day(t.created_at),
            "body": t.body,
            "status": t.status,
            "status_label": t.get_status_display(),
            "answer": t.answer,
            "closed_by": _name(t.closed_by),
            "closed_on": _day(t.closed_at),
            "replies": [
                {"author": _name(r.author), "on": _day(r.created_at), "body": r.body} for r in t.replies.all()
            ],
        }
        for t in rows.order_by("created_at", "id")
    ]


def snapshot_digest(sections: list, threads: list, data: dict) -> str:
    """SHA-256 of the canonical JSON of everything a snapshot freezes (printed in the report's documents)."""
    frozen = {"sections": sections, "threads": threads, "data": data}
    canonical = json.dumps(frozen, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(canonical).hexdigest()


def freeze(exercise: Exercise, actor) -> ReportSnapshot:
    """A read-only copy of every section at the exercise's current state, with the comment threads and the data
    part as they stand and the SHA-256 of it all (audited; the copy itself is never changed)."""
    from .report_files import frozen_data_part

    sections = _sections_payload(exercise)
    threads = frozen_threads(exercise)
    data = frozen_data_part(exercise)
    last = exercise.snapshots.order_by("-number").values_list("number", flat=True).first() or 0
    snapshot = ReportSnapshot(
        exercise=exercise,
        number=last + 1,
        state=exercise.state,
        sections=sections,
        frozen_threads=threads,
        data=data,
        sha256=snapshot_digest(sections, threads, data),
        created_by=actor,
    )
    with audited(snapshot, actor=actor, action="freeze_report", exclude=("sections", "frozen_threads", "data")) as row:
        row.save()
    return row


@transaction.atomic
def reshare(*, actor, exercise_id: int) -> ReportSnapshot:
    """Share the sections' current text as a new version: the operators see what changed."""
    exercise = _exercise(actor, exercise_id)
    exercise = Exercise.objects.select_for_update().get(pk=exercise.pk)
    if exercise.state != workflow.SHARED:
        raise RuleViolation(workflow.RULE, "Seul un projet partagé aux opérateurs peut être partagé à nouveau.")
    last = exercise.snapshots.order_by("-number").first()
    if last is not None and last.sections == _sections_payload(exercise):
        raise RuleViolation(workflow.RULE, "Aucune section n'a changé depuis la dernière version partagée.")
    return freeze(exercise, actor)


def _ensure_threads_closed(exercise: Exercise) -> None:
    open_threads = exercise.threads.exclude(status__in=CLOSED_THREAD_STATUSES).count()
    if open_threads:
        raise RuleViolation(
            workflow.RULE,
            f"{open_threads} fil(s) de commentaires des opérateurs ne sont pas clos : résolvez-les, ou enregistrez "
            "le désaccord maintenu (il figurera dans le rapport), avant la transmission.",
        )


def can_comment(actor, exercise: Exercise) -> bool:
    """A CEP operator's staff of the exercise's région holding « Lire et commenter le projet de rapport régional »,
    once the draft is shared and until it is sent."""
    return (
        actor.has_right(Right.COMMENT_REGIONAL_REPORT)
        and actor.structure_id is not None
        and actor.structure.region_id == exercise.region_id
        and exercise.state in (workflow.SHARED, workflow.PRESENTED)
    )


def _text(body: str, field: str = "body") -> str:
    body = (body or "").replace("\x00", "").strip()
    if not body:
        raise RuleViolation("SAISIE", "Écrivez votre message.", field=field)
    if len(body) > 5000:
        raise RuleViolation("SAISIE", "5 000 caractères au plus.", field=field)
    return body


@transaction.atomic
def open_thread(*, actor, exercise_id: int, section_key: str, kind: str, body: str) -> Thread:
    exercise = Exercise.objects.select_related("region").filter(pk=exercise_id).first()
    if exercise is None or not can_comment(actor, exercise):
        raise RuleViolation("DROITS", "Vous ne pouvez pas commenter ce projet de rapport.")
    snapshot = exercise.snapshots.order_by("-number").first()
    if snapshot is None or section_key not in {s["key"] for s in snapshot.sections}:
        raise RuleViolation("SAISIE", "Choisissez une section du projet partagé.", field="section_key")
    if kind not in ThreadKind.values:
        raise RuleViolation("SAISIE", "Choisissez : commentaire ou demande de modification.", field="kind")
    thread = Thread(
        exercise=exercise,
        section_key=section_key,
        snapshot=snapshot,
        kind=kind,
        structure_id=actor.structure_id,
        author=actor,
        body=_text(body),
    )
    with audited(thread, actor=actor, action="open_thread", structure_id=actor.structure_id) as thread:
        thread.save()
    return thread


def _thread(actor, thread_id: int) -> tuple[Thread, bool]:
    """The thread and whether the actor is the exercise's analyst (else a commenting operator of the région)."""
    thread = Thread.objects.select_related("exercise").filter(pk=thread_id).first()
    if thread is None:
        raise RuleViolation("SUIVI", "Ce fil de commentaires n'existe pas.")
    exercise = thread.exercise
    analyst = actor.has_right(Right.REGIONAL_MONITORING) and actor.region_id == exercise.region_id
    if not analyst and not can_comment(actor, exercise):
        raise RuleViolation("DROITS", "Vous ne pouvez pas intervenir sur ce fil de commentaires.")
    if exercise.state == workflow.TRANSMITTED:
        raise RuleViolation(workflow.RULE, "Le rapport a été transmis : ses fils de commentaires sont clos.")
    return thread, analyst


@transaction.atomic
def reply(*, actor, thread_id: int, body: str) -> Reply:
    thread, _ = _thread(actor, thread_id)
    if thread.is_closed:
        raise RuleViolation(workflow.RULE, "Ce fil est clos.")
    answer = Reply(thread=thread, author=actor, body=_text(body))
    with audited(answer, actor=actor, action="reply_thread", structure_id=thread.structure_id) as answer:
        answer.save()
    return answer


@transaction.atomic
def answer_request(*, actor, thread_id: int, accepted: bool, answer: str) -> Thread:
    """The analyst accepts or refuses a change request; a refusal gives its reason."""
    thread, analyst = _thread(actor, thread_id)
    if not analyst:
        raise RuleViolation("DROITS", "Seule la Transitions Pro répond à une demande de modification.")
    if thread.kind != ThreadKind.REQUEST or thread.status != ThreadStatus.OPEN:
        raise RuleViolation(workflow.RULE, "Seule une demande de modification ouverte reçoit une réponse.")
    answer = (answer or "").strip()
    if not accepted and not answer:
        raise RuleViolation("SAISIE", "Donnez la raison du refus.", field="answer")
    with audited(Thread, thread.pk, actor=actor, action="answer_request", structure_id=thread.structure_id) as row:
        row.status = ThreadStatus.ACCEPTED if accepted else ThreadStatus.REFUSED
        row.answer = answer[:5000]
        row.save(update_fields=["status", "answer"])
    return row


@transaction.atomic
def close_thread(*, actor, thread_id: int, disagreement: bool = False) -> Thread:
    """Resolved by its author or the analyst; or recorded as a lasting disagreement, printed in the report."""
    thread, analyst = _thread(actor, thread_id)
    if not analyst and thread.author_id != actor.pk:
        raise RuleViolation("DROITS", "Un fil est clos par son auteur ou par la Transitions Pro.")
    if thread.is_closed:
        raise RuleViolation(workflow.RULE, "Ce fil est déjà clos.")
    with audited(Thread, thread.pk, actor=actor, action="close_thread", structure_id=thread.structure_id) as row:
        row.status = ThreadStatus.DISAGREEMENT if disagreement else ThreadStatus.RESOLVED
        row.closed_by, row.closed_at = actor, timezone.now()
        row.save(update_fields=["status", "closed_by", "closed_at"])
    return row


@transaction.atomic
def record_investigation(
    *,
    actor,
    exercise_id: int,
    title: str,
    question: str,
    method: str,
    collects_from_people: bool = False,
    partners_consent_on=None,
    partners_consent_by: str = "",
    legal_basis: str = "",
    people_consent: str = "",
    data_kept_until=None,
    findings: str = "",
    today=None,
) -> Investigation:
    """A complementary investigation. Collecting data from partners or people requires, before anything is
    recorded, the partners' formal consent (date, who), the legal basis, how the people are informed and consent,
    and how long the data are kept ([002]); every missing piece is named at once."""
    today = today or dates.today()
    exercise = _exercise(actor, exercise_id)
    found = Violations()
    if not title.strip():
        found.add("SAISIE", "Indiquez l'intitulé de l'investigation.", field="title")
    if not question.strip():
        found.add("SAISIE", "Indiquez le questionnement.", field="question")
    if method not in InvestigationMethod.values:
        found.add("SAISIE", "Choisissez la méthode.", field="method")
    if collects_from_people:
        if partners_consent_on is None:
            found.add("SUIVI", "Un recueil de données demande le consentement formel des partenaires : sa date.",
                      field="partners_consent_on")  # fmt: skip
        elif partners_consent_on > today:
            found.add("SUIVI", "Le consentement des partenaires ne peut pas être daté dans le futur.",
                      field="partners_consent_on")  # fmt: skip
        if not partners_consent_by.strip():
            found.add("SUIVI", "Indiquez les partenaires qui ont consenti au recueil.", field="partners_consent_by")
        if legal_basis not in LegalBasis.values:
            found.add("SUIVI", "Indiquez la base légale du traitement des données personnelles.", field="legal_basis")
        if not people_consent.strip():
            found.add("SUIVI", "Décrivez comment les personnes sont informées et donnent leur consentement.",
                      field="people_consent")  # fmt: skip
        if data_kept_until is None or data_kept_until <= today:
            found.add("SUIVI", "Indiquez jusqu'à quand les données recueillies sont conservées (une date à venir).",
                      field="data_kept_until")  # fmt: skip
    found.raise_if_any()
    investigation = Investigation(
        exercise=exercise,
        title=title.strip(),
        question=question.strip(),
        method=method,
        collects_from_people=collects_from_people,
        partners_consent_on=partners_consent_on if collects_from_people else None,
        partners_consent_by=partners_consent_by.strip() if collects_from_people else "",
        legal_basis=legal_basis if collects_from_people else "",
        people_consent=people_consent.strip() if collects_from_people else "",
        data_kept_until=data_kept_until if collects_from_people else None,
        findings=findings.strip(),
        created_by=actor,
    )
    with audited(investigation, actor=actor, action="record_investigation") as investigation:
        investigation.save()
    return investigation
