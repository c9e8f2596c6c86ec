"""Reading plans, versions and issued documents, scoped to the user's structure (another structure's: not found)."""

from django.db.models import Prefetch

from cep.common.access import ensure_can_view_dossiers

from . import versions
from .models import ActionPlan, IssuedDocument, PlanAction, PlanStep, PlanVersion


def visible_plans(user):
    ensure_can_view_dossiers(user)
    return ActionPlan.objects.visible_to(user).exclude(cep__status="deleted")


def plan_for_cep(user, cep_id: int) -> ActionPlan | None:
    """The CEP's plan with everything a page or a document shows, or None when the CEP has none (yet)."""
    return (
        visible_plans(user)
        .select_related("cep__beneficiary", "cep__structure", "updated_by")
        .prefetch_related(
            Prefetch(
                "steps",
                PlanStep.objects.order_by("position", "id").prefetch_related(
                    Prefetch("actions", PlanAction.objects.order_by("due_date", "id"))
                ),
            ),
            "trainings",
            "services__service",
            "financing_lines__funder",
        )
        .filter(cep_id=cep_id)
        .first()
    )


def get_plan(user, plan_id: int) -> ActionPlan:
    """Raises ActionPlan.DoesNotExist for a plan the user may not see."""
    return visible_plans(user).select_related("cep").get(pk=plan_id)


def plan_versions(plan: ActionPlan):
    return plan.versions.only("id", "number", "created_by_label", "created_at").order_by("-number")


def compare_versions(plan: ActionPlan, a: int, b: int) -> tuple[PlanVersion, PlanVersion, list[versions.Change]]:
    """Versions `a` and `b` of the plan (numbers) and the fields that differ, older first."""
    older, newer = sorted((a, b))
    found = {v.number: v for v in plan.versions.filter(number__in=(older, newer))}
    first, second = found[older], found[newer]  # KeyError: the caller answers 404
    return first, second, versions.compare(first.data, second.data)


def dossier_documents(user, beneficiary_id: int):
    """The copies handed to the person, newest first, without their bytes."""
    ensure_can_view_dossiers(user)
    return (
        IssuedDocument.objects.visible_to(user)
        .filter(beneficiary_id=beneficiary_id)
        .defer("content")
        .select_related("cep")
        .order_by("-issued_at", "-id")
    )


def get_document(user, document_id: int) -> IssuedDocument:
    ensure_can_view_dossiers(user)
    return IssuedDocument.objects.visible_to(user).get(pk=document_id)
