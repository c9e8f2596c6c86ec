"""Suivi › Dispositifs: the CEP and its action menu (actions offered come from workflow.allowed_actions)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from cep.accounts.rights import Right
from cep.common.dates import today
from cep.enrolments import overlaps, services
from cep.enrolments.models import Cep
from cep.enrolments.queries import cep_history, dossier_ceps, history_rows
from cep.enrolments.workflow import allowed_actions, blocked_actions, entry_phases, refusal
from cep.orientations.queries import received_aiguilleur
from cep.plans.documents.content import DOCUMENT_FOR_EXIT
from cep.referentials.labels import user_network
from cep.referentials.models import ExitReason
from web.forms.ceps import CepFieldsForm, CepOpenForm, CloseForm, Phase3Form, referent_name_of, staff_names

from ._access import dossier_or_404, dossier_rights, personal_data_required
from ._forms import run_action


def _cep_or_404(request, cep_id) -> Cep:
    cep = (
        Cep.objects.visible_to(request.user)
        .exclude(status="deleted")
        .select_related("beneficiary__referent", "beneficiary__structure", "orientation_source", "project_type")
        .filter(pk=cep_id)
        .first()
    )
    if cep is None:
        raise Http404("Dispositif introuvable.")
    return cep


def _dispositifs_url(beneficiary_id) -> str:
    return reverse("web:dispositifs", kwargs={"pk": beneficiary_id})


def _render(request, template, cep, form, title, **extra):
    context = {"b": cep.beneficiary, "cep": cep, "form": form, "section": "dispositifs", "title": title, **extra}
    return render(request, template, context)


@personal_data_required
def dispositifs(request, pk):
    b = dossier_or_404(request, pk)
    ceps = dossier_ceps(request.user, b)
    may_act = request.user.has_right(Right.PROPOSE_CEP)  # no action button without « Proposer CEP »
    found = overlaps.elsewhere_of(ceps)  # double accompaniment: the other structure's network and name only
    for cep in ceps:
        cep.actions = allowed_actions(cep) if may_act else []
        cep.elsewhere = found.get(cep.pk, [])
        cep.blocked = blocked_actions(cep) if may_act else {}  # why « Clôturer » or « Rouvrir » is not offered
    context = {
        "b": b,
        "section": "dispositifs",
        "title": f"Dispositifs – {b}",
        "ceps": ceps,
        "has_open": any(cep.is_open for cep in ceps),
    }
    return render(request, "web/ceps/list.html", context)


def _open_and_warn(request, b, data):
    cep = services.open_cep(beneficiary=b, actor=request.user, **data)
    found = overlaps.elsewhere(cep)
    if found:
        messages.warning(request, overlaps.warning(found))  # the words of the import's warning too
    return cep


@dossier_rights(Right.PROPOSE_CEP)
def add(request, pk):
    b = dossier_or_404(request, pk)
    form = CepOpenForm(
        request.POST or None,
        initial={
            "entry_date": today(),
            "entry_phase": 2,
            "referent_name": referent_name_of(b),
            # a person received from another structure (issue 11): the aiguilleur is the sending network
            "orientation_source": received_aiguilleur(b),
        },
        phases=entry_phases(b.structure),
        network=user_network(request.user),
        referents=staff_names(b.structure_id),
    )
    if request.method == "POST" and form.is_valid():
        response = run_action(
            request,
            form,
            lambda: _open_and_warn(request, b, form.cleaned_data),
            success="Le dispositif CEP a été ajouté au dossier.",
            redirect_to=_dispositifs_url(b.pk),
        )
        if response is not None:
            return response
    context = {"b": b, "form": form, "section": "dispositifs", "title": "Ajouter le dispositif CEP"}
    return render(request, "web/ceps/add.html", context)


@dossier_rights(Right.PROPOSE_CEP)
def move_to_phase3(request, cep_id):
    cep = _cep_or_404(request, cep_id)
    form = Phase3Form(request.POST or None)
    if request.method == "POST" and form.is_valid():
        response = run_action(
            request,
            form,
            lambda: services.move_to_phase3(cep=cep, on=form.cleaned_data["phase3_entry_date"], actor=request.user),
            success="Le dispositif est passé en phase 3.",
            redirect_to=_dispositifs_url(cep.beneficiary_id),
        )
        if response is not None:
            return response
    return _render(request, "web/ceps/phase3.html", cep, form, "Passer en phase 3")


@dossier_rights(Right.PROPOSE_CEP)
def modify(request, cep_id):
    cep = _cep_or_404(request, cep_id)
    initial = {
        "orientation_source": cep.orientation_source_id,
        "request_reason": cep.request_reason_id,
        "prescriber_name": cep.prescriber_name,
        "referent_name": cep.referent_name or referent_name_of(cep.beneficiary),
        "project_type": cep.project_type_id,
    }
    form = CepFieldsForm(
        request.POST or None,
        cep=cep,
        initial=initial,
        network=user_network(request.user),
        referents=staff_names(cep.structure_id),
    )
    if request.method == "POST" and form.is_valid():
        response = run_action(
            request,
            form,
            lambda: services.modify_cep(cep=cep, actor=request.user, **form.cleaned_data),
            success="Les informations du dispositif ont été modifiées.",
            redirect_to=_dispositifs_url(cep.beneficiary_id),
        )
        if response is not None:
            return response
    return _render(request, "web/ceps/modify.html", cep, form, "Modifier un dispositif")


def _closed_message(cep: Cep) -> str:
    offered = DOCUMENT_FOR_EXIT.get(cep.exit_reason_id)
    if offered == "synthese":
        return "Le dispositif a été clôturé. Générez le document de synthèse pour le remettre à la personne."
    if offered == "prise_de_recul":
        return "Le dispositif a été clôturé. Remettez le document « Prise de recul » à la personne."
    return "Le dispositif a été clôturé."


def _after_closing(cep: Cep) -> str:
    """Closing with « Plan d'action réalisé » or « Formalisation projet réalisée » offers the synthesis (the plan
    page, its documents part); « Prise de recul réalisée » offers the « Prise de recul » document ([000])."""
    offered = DOCUMENT_FOR_EXIT.get(cep.exit_reason_id)
    if offered == "synthese":
        return reverse("web:cep_plan", kwargs={"cep_id": cep.pk}) + "#documents"
    if offered == "prise_de_recul":
        return reverse("web:document_step_back", kwargs={"cep_id": cep.pk})
    return _dispositifs_url(cep.beneficiary_id)


@dossier_rights(Right.PROPOSE_CEP)
def close(request, cep_id):
    cep = _cep_or_404(request, cep_id)
    refused = refusal(cep, "close")
    if refused is not None and request.method == "GET" and not request.htmx:
        # No form (and no date it would refuse): why, and the way out (cancel the phase 3, or wait).
        blocked = {"message": refused.message, "cancel_phase3": "cancel_phase3" in allowed_actions(cep)}
        return _render(request, "web/ceps/close.html", cep, None, "Clôturer le dispositif", blocked=blocked)
    if request.method == "POST":
        form = CloseForm(request.POST, cep=cep)
        if form.is_valid():
            response = run_action(
                request,
                form,
                lambda: services.close_cep(cep=cep, actor=request.user, **form.cleaned_data),
                success=_closed_message,
                redirect_to=_after_closing,
            )
            if response is not None:
                return response
    else:
        # htmx re-asks the page when the exit reason changes, to mark the project type as required (R8).
        form = CloseForm(
            initial={"end_date": today(), "project_type": cep.project_type_id, **request.GET.dict()}, cep=cep
        )
    reason_code = form.data.get("exit_reason") if form.is_bound else request.GET.get("exit_reason")
    if reason_code and ExitReason.objects.filter(pk=reason_code, requires_project_type=True).exists():
        form.require_project_type()
    template = "web/ceps/_close_project_type.html" if request.htmx else "web/ceps/close.html"
    return _render(request, template, cep, form, "Clôturer le dispositif")


def _post_action(request, cep_id, action, success):
    cep = _cep_or_404(request, cep_id)
    return run_action(
        request,
        None,
        lambda: action(cep=cep, actor=request.user),
        success=success,
        redirect_to=_dispositifs_url(cep.beneficiary_id),
    )


@dossier_rights(Right.PROPOSE_CEP)
@require_POST
def cancel_phase3(request, cep_id):
    return _post_action(request, cep_id, services.cancel_phase3, "Le passage en phase 3 a été annulé.")


@dossier_rights(Right.PROPOSE_CEP)
@require_POST
def reopen(request, cep_id):
    return _post_action(request, cep_id, services.reopen_cep, "Le dispositif a été rouvert.")


@dossier_rights(Right.PROPOSE_CEP)
def delete(request, cep_id):
    """POST deletes (the DSFR modal's button); GET shows the same confirmation as a page (no JavaScript)."""
    if request.method == "POST":
        return _post_action(request, cep_id, services.delete_cep, "Le dispositif a été supprimé.")
    cep = _cep_or_404(request, cep_id)
    return _render(request, "web/ceps/delete.html", cep, None, "Supprimer le dispositif")


@personal_data_required
def history(request, cep_id):
    cep = _cep_or_404(request, cep_id)
    rows = history_rows(cep_history(cep), network=user_network(request.user))
    return _render(request, "web/ceps/history.html", cep, None, "Historique du dispositif", rows=rows)
