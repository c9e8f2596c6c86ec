"""The documents handed to the person: issue them (synthèse, prise de recul, niveau 1), list and download copies."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from cep.accounts.rights import Right
from cep.offers.models import Service
from cep.plans import queries, services
from cep.plans.models import IssuedDocument
from web.forms.plans import Level1Form, StepBackForm

from ._access import dossier_or_404, dossier_rights, personal_data_required
from ._forms import run_action
from .ceps import _cep_or_404


def _documents_url(beneficiary_id) -> str:
    return reverse("web:documents", kwargs={"pk": beneficiary_id})


@personal_data_required
def documents(request, pk):
    b = dossier_or_404(request, pk)
    rows = list(queries.dossier_documents(request.user, b.pk).select_related("service__offer"))
    context = {"b": b, "section": "documents", "title": f"Documents remis – {b}", "documents": rows}
    return render(request, "web/plans/documents.html", context)


@personal_data_required
def download(request, document_id):
    try:
        document = queries.get_document(request.user, document_id)
    except IssuedDocument.DoesNotExist:
        raise Http404("Document introuvable.") from None
    response = HttpResponse(bytes(document.content), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{document.filename}"'
    response["X-Checksum-SHA256"] = document.sha256
    return response


@dossier_rights(Right.PROPOSE_CEP)
@require_POST
def issue_synthesis(request, cep_id):
    cep = _cep_or_404(request, cep_id)
    return run_action(
        request,
        None,
        lambda: services.issue_synthesis(cep=cep, actor=request.user),
        success="Le document de synthèse a été généré : téléchargez-le pour le remettre à la personne.",
        redirect_to=lambda doc: _documents_url(cep.beneficiary_id) + (f"#document-{doc.pk}" if doc else ""),
    )


@dossier_rights(Right.PROPOSE_CEP)
def issue_step_back(request, cep_id):
    cep = _cep_or_404(request, cep_id)
    form = StepBackForm(request.POST or None, initial={"interview_date": cep.end_date or cep.entry_date})
    if request.method == "POST" and form.is_valid():
        response = run_action(
            request,
            form,
            lambda: services.issue_step_back(cep=cep, actor=request.user, **form.cleaned_data),
            success="Le document « Prise de recul » a été généré : téléchargez-le pour le remettre à la personne.",
            redirect_to=lambda doc: _documents_url(cep.beneficiary_id) + f"#document-{doc.pk}",
        )
        if response is not None:
            return response
    context = {"b": cep.beneficiary, "cep": cep, "form": form, "section": "dispositifs"}
    context["title"] = "Remettre le document « Prise de recul »"
    return render(request, "web/plans/issue_form.html", context)


@dossier_rights(Right.MANAGE_DOSSIERS)
def issue_level1(request, pk):
    b = dossier_or_404(request, pk)
    level1 = Service.objects.visible_to(request.user).filter(beneficiary=b, is_cep_level1=True).select_related("offer")
    form = Level1Form(request.POST or None, services=level1)
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        service = values.pop("service")
        response = run_action(
            request,
            form,
            lambda: services.issue_level1(service=service, actor=request.user, **values),
            success="Le document de niveau 1 a été généré : téléchargez-le pour le remettre à la personne.",
            redirect_to=lambda doc: _documents_url(b.pk) + f"#document-{doc.pk}",
        )
        if response is not None:
            return response
    context = {"b": b, "form": form, "section": "documents", "title": "Remettre le document de niveau 1"}
    context["no_service"] = not level1.exists()
    return render(request, "web/plans/issue_form.html", context)
