"""Suivi › Dispositifs › Plan d'action: the plan of a CEP, its items, its versions and their comparison.

Every URL is the CEP's (`dispositifs/<cep_id>/plan/…`); an item is named by `?type=…&id=…` and must belong to
this CEP's plan, else 404 (as another structure's CEP).
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from cep.accounts.rights import Right
from cep.plans import queries, services
from cep.plans.models import FinancingLine, PlanAction, PlannedService, PlanStep, TrainingCourse
from cep.plans.versions import plan_totals
from web.forms.plans import ActionForm, CompareForm, LineForm, PlanForm, ServiceForm, StepForm, TrainingForm

from ._access import dossier_rights, personal_data_required
from ._forms import run_action
from .ceps import _cep_or_404

# type → (form, model, add service and its owner argument, update service and its item argument, titles)
ITEMS = {
    "step": (StepForm, PlanStep, services.add_step, services.update_step, "step", "une étape", "l'étape"),
    "action": (
        ActionForm,
        PlanAction,
        services.add_action,
        services.update_action,
        "action",
        "une action",
        "l'action",
    ),
    "training": (
        TrainingForm,
        TrainingCourse,
        services.add_training,
        services.update_training,
        "training",
        "une formation au parcours",
        "la formation",
    ),
    "service": (
        ServiceForm,
        PlannedService,
        services.add_service,
        None,
        "service",
        "une prestation complémentaire",
        "",
    ),
    "line": (
        LineForm,
        FinancingLine,
        services.add_financing_line,
        services.update_financing_line,
        "line",
        "une ligne au plan de financement",
        "la ligne de financement",
    ),
}


def _plan_url(cep_id) -> str:
    return reverse("web:cep_plan", kwargs={"cep_id": cep_id})


def _plan_or_404(request, cep_id):
    cep = _cep_or_404(request, cep_id)
    plan = queries.plan_for_cep(request.user, cep.pk)
    if plan is None:
        raise Http404("Ce dispositif n'a pas encore de plan d'action.")
    return cep, plan


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404("Élément introuvable.") from None


def _context(cep, **extra):
    return {"b": cep.beneficiary, "cep": cep, "section": "dispositifs", **extra}


@personal_data_required
def plan(request, cep_id):
    cep = _cep_or_404(request, cep_id)
    action_plan = queries.plan_for_cep(request.user, cep.pk)
    totals = plan_totals(action_plan, action_plan.financing_lines.all()) if action_plan else None
    documents = [d for d in queries.dossier_documents(request.user, cep.beneficiary_id) if d.cep_id == cep.pk]
    context = _context(
        cep,
        plan=action_plan,
        totals=totals,
        documents=documents,
        title=f"Plan d'action – {cep.beneficiary}",
        may_edit=request.user.has_right(Right.PROPOSE_CEP) and cep.is_open,
        may_issue=request.user.has_right(Right.PROPOSE_CEP),
    )
    return render(request, "web/plans/plan.html", context)


@dossier_rights(Right.PROPOSE_CEP)
@require_POST
def create(request, cep_id):
    cep = _cep_or_404(request, cep_id)
    return run_action(
        request,
        None,
        lambda: services.create_plan(cep=cep, actor=request.user),
        success="Le plan d'action a été créé.",
        redirect_to=_plan_url(cep.pk),
    )


@dossier_rights(Right.PROPOSE_CEP)
def edit(request, cep_id):
    cep, action_plan = _plan_or_404(request, cep_id)
    initial = {name: getattr(action_plan, name) for name in services.PLAN_FIELDS}
    initial["total_cost"] = str(action_plan.total_cost).replace(".", ",")
    form = PlanForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        response = run_action(
            request,
            form,
            lambda: services.update_plan(plan=action_plan, actor=request.user, **form.cleaned_data),
            success="Le plan d'action a été enregistré (nouvelle version).",
            redirect_to=_plan_url(cep.pk),
        )
        if response is not None:
            return response
    return render(request, "web/plans/form.html", _context(cep, form=form, title="Projet et coût du parcours"))


def _item_of_plan(model, kind, pk, action_plan):
    rows = model.objects.filter(step__plan=action_plan) if kind == "action" else model.objects.filter(plan=action_plan)
    item = rows.filter(pk=pk).first()
    if item is None:
        raise Http404("Élément introuvable.")
    return item


def _initial(form_class, item) -> dict:
    values = {}
    for name in form_class.base_fields:
        value = getattr(item, f"{name}_id", None) if name in ("funder", "service") else getattr(item, name)
        if name in ("amount",) and value is not None:
            value = str(value).replace(".", ",")
        values[name] = value
    return values


@dossier_rights(Right.PROPOSE_CEP)
def item(request, cep_id):
    """Add (`?type=step`) or change (`?type=step&id=12`) an item; an action needs its step (`&step=3`)."""
    cep, action_plan = _plan_or_404(request, cep_id)
    kind = request.GET.get("type", "step")
    if kind not in ITEMS:
        raise Http404("Élément introuvable.")
    form_class, model, add, update, arg, add_title, edit_title = ITEMS[kind]
    current = None
    if "id" in request.GET:
        if update is None:
            raise Http404("Élément introuvable.")
        current = _item_of_plan(model, kind, _int(request.GET["id"]), action_plan)
    owner = {"plan": action_plan}
    if kind == "action" and current is None:
        owner = {"step": _item_of_plan(PlanStep, "step", _int(request.GET.get("step")), action_plan)}
    form = form_class(request.POST or None, initial=_initial(form_class, current) if current else None)
    if request.method == "POST" and form.is_valid():
        if current is None:
            call = lambda: add(actor=request.user, **owner, **form.cleaned_data)  # noqa: E731
        else:
            call = lambda: update(actor=request.user, **{arg: current}, **form.cleaned_data)  # noqa: E731
        response = run_action(
            request,
            form,
            call,
            success="Le plan d'action a été enregistré (nouvelle version).",
            redirect_to=_plan_url(cep.pk),
        )
        if response is not None:
            return response
    title = f"Modifier {edit_title}" if current else f"Ajouter {add_title}"
    return render(request, "web/plans/form.html", _context(cep, form=form, title=title))


@dossier_rights(Right.PROPOSE_CEP)
@require_POST
def remove(request, cep_id):
    cep, action_plan = _plan_or_404(request, cep_id)
    kind = request.POST.get("type", "")
    if kind not in ITEMS or not request.POST.get("id", "").isdigit():
        messages.error(request, "Choisissez l'élément à retirer depuis le plan d'action.")
        return redirect(_plan_url(cep.pk))
    current = _item_of_plan(ITEMS[kind][1], kind, _int(request.POST.get("id")), action_plan)
    return run_action(
        request,
        None,
        lambda: services.remove_item(kind=kind, pk=current.pk, actor=request.user),
        success="L'élément a été retiré du plan d'action (nouvelle version).",
        redirect_to=_plan_url(cep.pk),
    )


@personal_data_required
def versions(request, cep_id):
    """The versions, newest first, and the comparison of two of them (the last two by default)."""
    cep, action_plan = _plan_or_404(request, cep_id)
    rows = list(queries.plan_versions(action_plan))
    form = CompareForm(request.GET or None)
    changes = first = second = None
    if form.is_bound and form.is_valid():
        pair = (form.cleaned_data["a"], form.cleaned_data["b"])
    elif len(rows) >= 2:
        pair = (rows[1].number, rows[0].number)
    else:
        pair = None
    if pair is not None:
        try:
            first, second, changes = queries.compare_versions(action_plan, *pair)
        except KeyError:
            raise Http404("Version introuvable.") from None
    context = _context(
        cep,
        plan=action_plan,
        rows=rows,
        first=first,
        second=second,
        changes=changes,
        form_error=form.is_bound and not form.is_valid(),
        title="Versions du plan d'action",
    )
    return render(request, "web/plans/versions.html", context, status=400 if context["form_error"] else 200)
