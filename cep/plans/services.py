"""Writing the action plan: one function per action, one transaction each, every save a new version
(docs/regles-cep.md §6).

Each change locks the plan row, checks the rights (« Proposer CEP », the right of the CEP's actions) and the rules,
writes, then records a PlanVersion (the whole plan, who, when) and an audit entry (the previous and the new
version). A refusal is a RuleViolation raised before anything is written; the transaction undoes the rest.
"""

import datetime
import hashlib
import re
from collections.abc import Callable
from contextlib import contextmanager

from django.db import transaction

from cep.accounts.rights import Right
from cep.audit.services import record
from cep.beneficiaries.services import ensure_not_anonymised
from cep.common.access import ensure_right
from cep.common.errors import RuleViolation
from cep.common.text import check_text, model_max_lengths
from cep.enrolments.models import Cep
from cep.offers.models import Service
from cep.referentials.models import ComplementaryService, Funder

from . import versions
from .models import (
    ActionPlan,
    ActionStatus,
    CertificationKind,
    FinancingLine,
    FundingStatus,
    IssuedDocument,
    PlanAction,
    PlannedService,
    PlanStep,
    PlanVersion,
    Qualiopi,
    TrainingCourse,
)
from .money import parse_amount

CLOSED_MESSAGE = "Le dispositif est clôturé : rouvrez-le pour modifier le plan d'action."
# envisagé → sollicité → accordé / refusé; a line keeps its state when saved again.
NEXT_STATUSES = {
    FundingStatus.CONSIDERED: {FundingStatus.CONSIDERED, FundingStatus.REQUESTED},
    FundingStatus.REQUESTED: {FundingStatus.REQUESTED, FundingStatus.GRANTED, FundingStatus.REFUSED},
    FundingStatus.GRANTED: {FundingStatus.GRANTED},
    FundingStatus.REFUSED: {FundingStatus.REFUSED},
}
FORMACODE = re.compile(r"^[0-9]{5}$")
CERTIFICATION_CODE = re.compile(r"^[0-9]{1,6}$")


def _today() -> datetime.date:
    from cep.common.dates import today

    return today()


def _new_version(plan: ActionPlan, actor) -> PlanVersion:
    previous = plan.versions.order_by("-number").first()
    plan.version += 1
    plan.updated_by = actor
    plan.save(update_fields=["version", "updated_by", "updated_at"])
    version = PlanVersion.objects.create(
        plan=plan,
        number=plan.version,
        data=versions.snapshot(plan),
        created_by=actor,
        created_by_label=str(actor) if actor is not None else "Système",
    )
    return version, previous


@contextmanager
def _editing(plan: ActionPlan | int, *, actor, action: str):
    """The plan's row locked, its CEP checked (open, not deleted, dossier not anonymised), the block's change,
    then the new version and its audit entry."""
    pk = plan if isinstance(plan, int) else plan.pk
    locked = ActionPlan.objects.select_for_update(of=("self",)).select_related("cep", "beneficiary").get(pk=pk)
    ensure_right(actor, Right.PROPOSE_CEP, locked.structure_id)
    ensure_not_anonymised(locked.beneficiary)
    if not locked.cep.is_open:
        raise RuleViolation("PLAN", CLOSED_MESSAGE)
    yield locked
    version, previous = _new_version(locked, actor)
    # The audit trail is append-only and outlives anonymisation: it names the version and the fields changed,
    # never the typed texts (they stay in the versions, which the retention run deletes with the plan).
    changed = versions.compare(previous.data, version.data) if previous else []
    record(
        actor=actor,
        action=action,
        obj=locked,
        before={"version": previous.number} if previous else None,
        after={"version": version.number, "changed": sorted({f"{c.section} › {c.field}" for c in changed})},
    )


def _check_dates(start, end, field: str, message: str) -> None:
    if start and end and end < start:
        raise RuleViolation("PLAN", message, field=field)


# --- The plan ---------------------------------------------------------------------------------------------------

PLAN_FIELDS = ("project", "strategies", "person_steps", "support_needed", "total_cost")


@transaction.atomic
def create_plan(*, cep: Cep, actor) -> ActionPlan:
    """The CEP's action plan, created empty (version 1); the existing one if there is already one."""
    cep = Cep.objects.select_for_update(of=("self",)).select_related("beneficiary").get(pk=cep.pk)
    ensure_right(actor, Right.PROPOSE_CEP, cep.structure_id)
    existing = ActionPlan.objects.filter(cep=cep).first()
    if existing is not None:
        return existing
    ensure_not_anonymised(cep.beneficiary)
    if not cep.is_open:
        raise RuleViolation("PLAN", CLOSED_MESSAGE)
    plan = ActionPlan.objects.create(cep=cep, structure_id=cep.structure_id, beneficiary_id=cep.beneficiary_id)
    with _editing(plan, actor=actor, action="create_plan") as plan:
        pass
    return plan


@transaction.atomic
def update_plan(*, plan: ActionPlan, actor, **changes) -> ActionPlan:
    """The project, the strategies, the person's own steps, the support needed, the total cost of the path."""
    unknown = set(changes) - set(PLAN_FIELDS)
    if unknown:
        raise RuleViolation("PLAN", f"Champ inconnu : {', '.join(sorted(unknown))}.")
    with _editing(plan, actor=actor, action="update_plan") as plan:
        if "total_cost" in changes:
            changes["total_cost"] = parse_amount(changes["total_cost"], field="total_cost", required=True)
        check_text("SAISIE", model_max_lengths(ActionPlan), **changes)
        for name, value in changes.items():
            setattr(plan, name, value)
        plan.save()
    return plan


# --- Items: steps, actions, training path, complementary services, financing lines -----------------------------


def _save_item(plan_pk: int, *, actor, action: str, item, check: Callable[[object], None], **values):
    with _editing(plan_pk, actor=actor, action=action):
        if item.pk is not None:  # the stored row, not the caller's copy (which a refused change must not alter)
            item = type(item).objects.get(pk=item.pk)
        check_text("SAISIE", model_max_lengths(type(item)), **values)
        for name, value in values.items():
            setattr(item, name, value)
        check(item)
        item.save()
    item.refresh_from_db()
    return item


def _locked_item(model, pk: int, plan_path: str):
    """The item and its plan's id (the plan row is what `_editing` locks)."""
    item = model.objects.get(pk=pk)
    plan_pk = item
    for part in plan_path.split("."):
        plan_pk = getattr(plan_pk, part)
    return item, plan_pk


def _check_step(step: PlanStep) -> None:
    if not step.title.strip():
        raise RuleViolation("PLAN", "Le nom de l'étape est obligatoire.", field="title")
    _check_dates(step.start_date, step.target_date, "target_date", "L'échéance ne précède pas le début prévu.")


@transaction.atomic
def add_step(
    *, plan: ActionPlan, actor, title: str, objective: str = "", start_date=None, target_date=None
) -> PlanStep:
    position = (plan.steps.order_by("-position").values_list("position", flat=True).first() or 0) + 1
    step = PlanStep(plan_id=plan.pk, position=position)
    return _save_item(
        plan.pk,
        actor=actor,
        action="add_step",
        item=step,
        check=_check_step,
        title=title,
        objective=objective,
        start_date=start_date,
        target_date=target_date,
    )


STEP_FIELDS = ("title", "objective", "start_date", "target_date")


@transaction.atomic
def update_step(*, step: PlanStep, actor, **changes) -> PlanStep:
    _only(changes, STEP_FIELDS)
    return _save_item(step.plan_id, actor=actor, action="update_step", item=step, check=_check_step, **changes)


def _check_action(action: PlanAction) -> None:
    if not action.label.strip():
        raise RuleViolation("PLAN", "L'action est obligatoire.", field="label")
    if not action.who.strip():
        raise RuleViolation("PLAN", "Indiquez qui réalise l'action.", field="who")
    if action.status not in ActionStatus.values:
        raise RuleViolation("PLAN", "L'état de l'action est prévue, en cours, réalisée ou abandonnée.", field="status")


@transaction.atomic
def add_action(
    *, step: PlanStep, actor, label: str, who: str, due_date=None, status: str = ActionStatus.PLANNED
) -> PlanAction:
    action = PlanAction(step_id=step.pk)
    return _save_item(
        step.plan_id,
        actor=actor,
        action="add_action",
        item=action,
        check=_check_action,
        label=label,
        who=who,
        due_date=due_date,
        status=status,
    )


ACTION_FIELDS = ("label", "who", "due_date", "status")


@transaction.atomic
def update_action(*, action: PlanAction, actor, **changes) -> PlanAction:
    _only(changes, ACTION_FIELDS)
    return _save_item(
        action.step.plan_id, actor=actor, action="update_action", item=action, check=_check_action, **changes
    )


def _check_training(training: TrainingCourse) -> None:
    if not training.provider.strip():
        raise RuleViolation("PLAN", "L'organisme de formation est obligatoire.", field="provider")
    if not training.title.strip():
        raise RuleViolation("PLAN", "L'intitulé de la formation est obligatoire.", field="title")
    if training.formacode and not FORMACODE.match(training.formacode):
        raise RuleViolation(
            "FORMACODE", "Le Formacode compte exactement cinq chiffres (ex. : 31054).", field="formacode"
        )
    if training.formacode_label and not training.formacode:
        raise RuleViolation("FORMACODE", "Indiquez le Formacode de ce libellé.", field="formacode")
    if training.certification_kind not in CertificationKind.values:
        raise RuleViolation("CERTIFICATION", "La certification est au RNCP ou au RS.", field="certification_kind")
    if bool(training.certification_kind) != bool(training.certification_code):
        raise RuleViolation(
            "CERTIFICATION",
            "Indiquez le répertoire (RNCP ou RS) et le code de la certification, ou aucun des deux.",
            field="certification_code",
        )
    if training.certification_code and not CERTIFICATION_CODE.match(training.certification_code):
        raise RuleViolation(
            "CERTIFICATION",
            "Le code de la certification est le numéro de la fiche, en chiffres (ex. : 35185 pour RNCP35185).",
            field="certification_code",
        )
    if training.qualiopi not in Qualiopi.values:
        raise RuleViolation("PLAN", "L'état Qualiopi de l'organisme est inconnu.", field="qualiopi")
    _check_dates(training.start_date, training.end_date, "end_date", "La date de fin ne précède pas la date de début.")


TRAINING_FIELDS = (
    "provider",
    "title",
    "start_date",
    "end_date",
    "certification_kind",
    "certification_code",
    "formacode",
    "formacode_label",
    "qualiopi",
)


def _training_values(values: dict) -> dict:
    values = dict(values)
    for name in ("certification_kind", "certification_code", "formacode", "formacode_label"):
        if name in values:
            values[name] = (values[name] or "").strip()
    if "certification_code" in values:  # « RNCP35185 » typed whole: the number alone
        values["certification_code"] = re.sub(r"^(RNCP|RS)\s*", "", values["certification_code"].upper())
    return values


@transaction.atomic
def add_training(*, plan: ActionPlan, actor, provider: str, title: str, **values) -> TrainingCourse:
    _only(values, TRAINING_FIELDS)
    training = TrainingCourse(plan_id=plan.pk)
    return _save_item(
        plan.pk,
        actor=actor,
        action="add_training",
        item=training,
        check=_check_training,
        **_training_values({"provider": provider, "title": title, **values}),
    )


@transaction.atomic
def update_training(*, training: TrainingCourse, actor, **changes) -> TrainingCourse:
    _only(changes, TRAINING_FIELDS)
    return _save_item(
        training.plan_id,
        actor=actor,
        action="update_training",
        item=training,
        check=_check_training,
        **_training_values(changes),
    )


def _referential(model, value, field: str, message: str):
    code = getattr(value, "pk", value)
    found = model.objects.valid_on(_today()).filter(pk=code).first() if isinstance(code, str) else None
    if found is None:
        raise RuleViolation("REFERENTIEL", message.format(value=code), field=field)
    return found


@transaction.atomic
def add_service(*, plan: ActionPlan, actor, service, planned_date=None, comment: str = "") -> PlannedService:
    service = _referential(
        ComplementaryService, service, "service", "« {value} » n'est pas une prestation complémentaire en vigueur."
    )
    item = PlannedService(plan_id=plan.pk)
    return _save_item(
        plan.pk,
        actor=actor,
        action="add_service",
        item=item,
        check=lambda _: None,
        service=service,
        planned_date=planned_date,
        comment=comment,
    )


def _check_line(line: FinancingLine) -> None:
    if line.status not in FundingStatus.values:
        raise RuleViolation("FINANCEMENT", "L'état est envisagé, sollicité, accordé ou refusé.", field="status")
    if line.status == FundingStatus.GRANTED and line.amount is None:
        raise RuleViolation("FINANCEMENT", "Un financement accordé a un montant : indiquez-le.", field="amount")


def _line_values(values: dict) -> dict:
    values = dict(values)
    if "funder" in values:
        values["funder"] = _referential(
            Funder, values["funder"], "funder", "« {value} » n'est pas un financeur du référentiel en vigueur."
        )
    if "amount" in values:
        values["amount"] = parse_amount(values["amount"])
    return values


@transaction.atomic
def add_financing_line(
    *, plan: ActionPlan, actor, funder, amount=None, status: str = FundingStatus.CONSIDERED, comment: str = ""
) -> FinancingLine:
    line = FinancingLine(plan_id=plan.pk)
    values = _line_values({"funder": funder, "amount": amount, "status": status, "comment": comment})
    return _save_item(plan.pk, actor=actor, action="add_financing_line", item=line, check=_check_line, **values)


LINE_FIELDS = ("funder", "amount", "status", "comment")


@transaction.atomic
def update_financing_line(*, line: FinancingLine, actor, **changes) -> FinancingLine:
    _only(changes, LINE_FIELDS)
    values = _line_values(changes)
    current = FinancingLine.objects.get(pk=line.pk).status
    new = values.get("status", current)
    if new not in NEXT_STATUSES.get(current, set()):
        labels = dict(FundingStatus.choices)
        raise RuleViolation(
            "FINANCEMENT",
            f"Un financement « {labels[current]} » ne passe pas à « {labels.get(new, new)} » "
            "(envisagé → sollicité → accordé ou refusé).",
            field="status",
        )
    return _save_item(
        line.plan_id, actor=actor, action="update_financing_line", item=line, check=_check_line, **values
    )


# --- Removals ---------------------------------------------------------------------------------------------------

REMOVABLE = {
    "step": (PlanStep, "plan_id"),
    "action": (PlanAction, "step.plan_id"),
    "training": (TrainingCourse, "plan_id"),
    "service": (PlannedService, "plan_id"),
    "line": (FinancingLine, "plan_id"),
}


@transaction.atomic
def remove_item(*, kind: str, pk: int, actor) -> int:
    """Remove a step (with its actions), an action, a course, a service or a financing line; returns the plan id.
    The removed item stays readable in the previous versions."""
    model, plan_path = REMOVABLE[kind]
    item, plan_pk = _locked_item(model, pk, plan_path)
    with _editing(plan_pk, actor=actor, action=f"remove_{kind}"):
        item.delete()
    return plan_pk


def _only(changes: dict, allowed: tuple[str, ...]) -> None:
    unknown = set(changes) - set(allowed)
    if unknown:
        raise RuleViolation("PLAN", f"Champ inconnu : {', '.join(sorted(unknown))}.")


# --- Documents handed to the person -------------------------------------------------------------------------------

TEXT_LIMIT = 4000


def _check_texts(texts: dict, names: tuple[str, ...], required: dict[str, str]) -> dict:
    unknown = set(texts) - set(names)
    if unknown:
        raise RuleViolation("DOCUMENT", f"Champ inconnu : {', '.join(sorted(unknown))}.")
    values = {name: texts.get(name) for name in names}
    check_text("SAISIE", dict.fromkeys(names, TEXT_LIMIT), **values)
    for name, message in required.items():
        if not (values.get(name) or "").strip():
            raise RuleViolation("DOCUMENT", message, field=name)
    return values


def _store(kind: str, data: dict, *, actor, structure_id, beneficiary_id, cep=None, service=None, plan=None):
    from .documents.render import TEMPLATE_VERSIONS, render

    on = _today()
    pdf = render(kind, data, on=on)
    version = plan.versions.order_by("-number").first() if plan is not None else None
    document = IssuedDocument.objects.create(
        structure_id=structure_id,
        beneficiary_id=beneficiary_id,
        kind=kind,
        cep=cep,
        service=service,
        plan_version=version,
        template_version=TEMPLATE_VERSIONS[kind],
        data=data,
        sha256=hashlib.sha256(pdf).hexdigest(),
        size=len(pdf),
        content=pdf,
        issued_by=actor,
        issued_by_label=str(actor) if actor is not None else "Système",
    )
    record(
        actor=actor,
        action=f"issue_{kind}",
        obj=document,
        before=None,
        after={
            "kind": kind,
            "sha256": document.sha256,
            "template_version": document.template_version,
            "plan_version": version.number if version else None,
        },
    )
    return document


def _cep_for_document(cep: Cep, actor) -> Cep:
    cep = Cep.objects.select_related("beneficiary", "structure", "exit_reason", "project_type").get(pk=cep.pk)
    ensure_right(actor, Right.PROPOSE_CEP, cep.structure_id)
    ensure_not_anonymised(cep.beneficiary)
    if cep.status == "deleted":
        raise RuleViolation("DOCUMENT", "Ce dispositif a été supprimé.")
    return cep


@transaction.atomic
def issue_synthesis(*, cep: Cep, actor) -> IssuedDocument:
    """The document de synthèse, as the CEP and its plan stand today (during the CEP or at its end)."""
    from .documents.content import synthesis_data

    cep = _cep_for_document(cep, actor)
    plan = ActionPlan.objects.filter(cep=cep).first()
    data = synthesis_data(cep, plan, counselor=actor, on=_today())
    return _store(
        "synthese",
        data,
        actor=actor,
        structure_id=cep.structure_id,
        beneficiary_id=cep.beneficiary_id,
        cep=cep,
        plan=plan,
    )


STEP_BACK_TEXTS = ("interview_date", "demand", "discussed", "next_steps")


@transaction.atomic
def issue_step_back(*, cep: Cep, actor, **texts) -> IssuedDocument:
    """The « Prise de recul » document after a single step-back interview."""
    from .documents.content import step_back_data

    cep = _cep_for_document(cep, actor)
    values = _check_texts(
        {k: v for k, v in texts.items() if k != "interview_date"},
        STEP_BACK_TEXTS[1:],
        {"discussed": "Indiquez ce qui a été regardé ensemble pendant l'entretien."},
    )
    interview_date = texts.get("interview_date")
    if interview_date is not None and (interview_date < cep.entry_date or interview_date > _today()):
        raise RuleViolation(
            "DOCUMENT", "L'entretien a lieu entre l'entrée dans le CEP et aujourd'hui.", field="interview_date"
        )
    data = step_back_data(cep, counselor=actor, on=_today(), texts={**values, "interview_date": interview_date})
    return _store(
        "prise_de_recul", data, actor=actor, structure_id=cep.structure_id, beneficiary_id=cep.beneficiary_id, cep=cep
    )


LEVEL1_TEXTS = ("demand", "need", "information", "decision", "orientation")


@transaction.atomic
def issue_level1(*, service: Service, actor, **texts) -> IssuedDocument:
    """The document de niveau 1: it belongs to the dossier and its level-1 service (level 1 is not a CEP)."""
    from .documents.content import level1_data

    service = Service.objects.select_related("beneficiary", "structure", "offer", "service_act").get(pk=service.pk)
    ensure_right(actor, Right.MANAGE_DOSSIERS, service.structure_id)
    ensure_not_anonymised(service.beneficiary)
    if not service.is_cep_level1:
        raise RuleViolation("DOCUMENT", "Le document de niveau 1 accompagne un service CEP de niveau 1.")
    values = _check_texts(
        texts,
        LEVEL1_TEXTS,
        {
            "demand": "Indiquez la demande de la personne.",
            "decision": "Indiquez la décision de poursuivre ou non.",
        },
    )
    data = level1_data(service, counselor=actor, on=_today(), texts=values)
    return _store(
        "niveau1",
        data,
        actor=actor,
        structure_id=service.structure_id,
        beneficiary_id=service.beneficiary_id,
        service=service,
    )
