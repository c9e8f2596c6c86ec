"""Beneficiary search, creation with duplicate detection, and the dossier's Synthèse and Dossier sections."""

from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from cep.accounts.rights import Right
from cep.beneficiaries import queries
from cep.beneficiaries.eligibility import ineligibility_reasons
from cep.beneficiaries.models import Beneficiary
from cep.beneficiaries.services import (
    REQUIRED_FOR_JUSTIFIED,
    create_beneficiary,
    create_justified_beneficiary,
    justify_beneficiary,
    update_beneficiary,
)
from cep.common.dates import today
from cep.enrolments.queries import search_beneficiaries
from cep.enrolments.services import create_beneficiary_with_cep
from cep.enrolments.workflow import entry_phases
from cep.orientations.queries import dossier_orientations
from cep.referentials.labels import user_network
from web.forms.beneficiaries import ComplementsForm, ContactForm, CreateForm, IdentityForm, SearchForm, commune_label
from web.forms.ceps import CepOpenForm, staff_names

from ._access import dossier_or_404, dossier_rights, personal_data_required
from ._forms import run_action


@personal_data_required
def search(request):
    user = request.user
    form = SearchForm(request.GET or None, structure_id=user.structure_id)
    page = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        page = search_beneficiaries(
            user,
            name=data["q"],
            birth_date=data["birth_date"],
            status=data["status"],
            referent_id=data["referent"].pk if data["referent"] else None,
            cep_state=data["cep_state"],
            cursor=request.GET.get("after"),
        )
    elif not form.is_bound:
        page = search_beneficiaries(user, cursor=request.GET.get("after"))
    query = request.GET.copy()
    query.pop("after", None)
    filtered = any(request.GET.get(name) for name in ("birth_date", "status", "referent", "cep_state"))
    context = {
        "title": "Rechercher un bénéficiaire",
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "filtered": filtered or bool(form.is_bound and form.errors),  # a filter in use is never folded away
    }
    template = "web/beneficiaries/_results.html" if request.htmx else "web/beneficiaries/search.html"
    return render(request, template, context)


NO_STRUCTURE = (
    "Votre compte n'est rattaché à aucune structure : un dossier se crée dans la structure qui accueille la personne."
)


DUPLICATE_MESSAGE = (
    "Un dossier proche existe déjà dans la structure : ouvrez-le, ou cochez « Il ne s'agit pas de la même personne » "
    "pour créer un nouveau dossier."
)
# The creation page's three buttons (name="action"): what each creates, and the right each needs beyond creation.
CREATE = "create"
CREATE_JUSTIFIED = "justify"
CREATE_WITH_CEP = "open_cep"
CREATE_ACTIONS = {CREATE: None, CREATE_JUSTIFIED: Right.EDIT_DOSSIER, CREATE_WITH_CEP: Right.PROPOSE_CEP}


def _cep_form(request, user, data=None):
    return CepOpenForm(
        data,
        prefix="cep",
        initial={"entry_date": today(), "entry_phase": 2, "referent_name": user.get_full_name()},
        phases=entry_phases(user.structure),
        network=user_network(user),
        referents=staff_names(user.structure_id),
    )


def _create_action(request, user, action, form, cep_form):
    """One service call per button, one transaction: a refusal leaves nothing written."""
    data = form.changes()
    if action == CREATE_WITH_CEP:
        return run_action(
            request,
            [form, cep_form],
            lambda: create_beneficiary_with_cep(
                structure=user.structure, actor=user, dossier=data, cep=cep_form.cleaned_data
            ),
            success="Le dossier a été créé au statut « Justifié » et le dispositif CEP a été ajouté.",
            redirect_to=lambda cep: reverse("web:dispositifs", kwargs={"pk": cep.beneficiary_id}),
        )
    if action == CREATE_JUSTIFIED:
        return run_action(
            request,
            form,
            lambda: create_justified_beneficiary(structure=user.structure, actor=user, **data),
            success="Le dossier a été créé au statut « Justifié ».",
            redirect_to=lambda beneficiary: dossier_url(beneficiary.pk),
        )
    return run_action(
        request,
        form,
        lambda: create_beneficiary(structure=user.structure, actor=user, **data),
        success="Le dossier a été créé. Complétez-le puis justifiez-le.",
        redirect_to=lambda beneficiary: dossier_url(beneficiary.pk),
    )


@dossier_rights(Right.MANAGE_DOSSIERS)
def create(request):
    user = request.user
    duplicates = []
    if user.structure_id is None:  # an administrator without a structure: where would the dossier go?
        return render(request, "web/beneficiaries/create.html", {"title": "Créer un dossier", "blocked": NO_STRUCTURE})
    actions = [a for a, right in CREATE_ACTIONS.items() if right is None or user.has_right(right)]
    if request.method == "POST":
        action = request.POST.get("action", CREATE)
        if action not in actions:
            action = CREATE
        form = CreateForm(request.POST, structure_id=user.structure_id, show_not_duplicate=True)
        cep_form = _cep_form(request, user, request.POST if action == CREATE_WITH_CEP else None)
        valid = form.is_valid()
        if action == CREATE_WITH_CEP:
            valid = cep_form.is_valid() and valid  # both forms' errors in one submission
        if valid:
            data = form.changes()
            duplicates = queries.likely_duplicates(
                structure_id=user.structure_id,
                last_name=data["last_name"],
                first_name=data["first_name"],
                birth_date=data["birth_date"],
            )
            if duplicates and not form.cleaned_data.get("not_duplicate"):
                form.add_error(None, DUPLICATE_MESSAGE)
            else:
                response = _create_action(request, user, action, form, cep_form)
                if response is not None:
                    return response
        if not duplicates and "not_duplicate" in form.fields:
            del form.fields["not_duplicate"]
    else:
        form = CreateForm(structure_id=user.structure_id, initial={"first_reception_date": today()})
        cep_form = _cep_form(request, user)
    context = {
        "title": "Créer un dossier",
        "form": form,
        "cep_form": cep_form,
        "duplicates": duplicates,
        "actions": actions,
        "check": _creation_check(user, form),
    }
    return render(request, "web/beneficiaries/create.html", context)


def _creation_check(user, form) -> dict:
    """What the creation page explains as it is typed: eligibility to the CEP, what « Justifié » still lacks, and
    the likely duplicates (the same checks as the services and the submission, on what could be read)."""
    data = form.parsed() if form.is_bound else {}
    birth_date = data.get("birth_date")
    person = Beneficiary(
        structure_id=user.structure_id,
        birth_date=birth_date,
        employment_status=data.get("employment_status"),
        holds_or_seeks_job=data.get("holds_or_seeks_job", True),
    )
    ineligibility = []
    if birth_date:  # the network (its ages) is read only when there is an age to check
        ineligibility = ineligibility_reasons(person, user.structure.network if user.structure_id else None, today())
    missing = [label for name, label in REQUIRED_FOR_JUSTIFIED.items() if not data.get(name)]
    duplicates = []
    if birth_date and data.get("last_name") and data.get("first_name"):
        duplicates = queries.likely_duplicates(
            structure_id=user.structure_id,
            last_name=data["last_name"],
            first_name=data["first_name"],
            birth_date=birth_date,
        )
    return {
        "bound": form.is_bound,
        "ineligibility": ineligibility,
        "eligible": bool(birth_date and data.get("employment_status") and not ineligibility),
        "missing": missing,
        "duplicates": duplicates,
    }


@dossier_rights(Right.MANAGE_DOSSIERS)
@require_POST
def create_check(request):
    """htmx: the creation page's « Éligibilité et justification » box, recomputed as the form is typed."""
    form = CreateForm(request.POST, structure_id=request.user.structure_id, show_not_duplicate=True)
    context = {"check": _creation_check(request.user, form)}
    return render(request, "web/beneficiaries/_creation_check.html", context)


def _dossier_context(request, beneficiary, section, **extra):
    return {"b": beneficiary, "section": section, "title": f"{section.capitalize()} – {beneficiary}", **extra}


@personal_data_required
def synthesis(request, pk):
    b = dossier_or_404(request, pk)
    from cep.enrolments.models import Cep
    from cep.events.models import Event

    context = _dossier_context(
        request,
        b,
        "synthèse",
        title=f"Synthèse – {b}",
        missing=queries.missing_for_justification(b),
        ineligibility=ineligibility_reasons(b, b.structure.network, today()) if b.birth_date else [],
        current_cep=Cep.objects.visible_to(request.user)
        .filter(beneficiary=b, status__in=["phase2", "phase3"])
        .select_related("orientation_source", "request_reason")
        .first(),
        last_events=list(
            Event.objects.visible_to(request.user)
            .filter(beneficiary=b)
            .select_related("primary_context", "nature")[:5]
        ),
        orientations=dossier_orientations(request.user, b),  # issue 11: sent from this dossier, or received
    )
    return render(request, "web/dossier/synthesis.html", context)


@dossier_rights(Right.EDIT_DOSSIER)
@require_POST
def justify(request, pk):
    b = dossier_or_404(request, pk)
    return run_action(
        request,
        None,
        lambda: justify_beneficiary(beneficiary=b, actor=request.user),
        success="Le dossier est au statut « Justifié ».",
        redirect_to=dossier_url(b.pk),
    )


def _edit(request, pk, *, form_class, section, template, sensitive=False, **form_kwargs):
    b = dossier_or_404(request, pk)
    if request.method == "POST":
        form = form_class(request.POST, instance=b, **form_kwargs)
        if form.is_valid():
            response = run_action(
                request,
                form,
                lambda: update_beneficiary(beneficiary=b, actor=request.user, **form.changes()),
                success="Les informations du dossier ont été enregistrées.",
                redirect_to=request.path,
            )
            if response is not None:
                return response
    else:
        form = form_class(instance=b, **form_kwargs)
        if not request.user.has_right(Right.EDIT_DOSSIER):  # consultation only: the fields are shown, not editable
            for field in form.fields.values():
                field.disabled = True
    if sensitive:  # the RQTH is shown on this page (in the form): read through the query that logs each display
        queries.read_rqth(request.user, b, channel="web")
    return render(request, template, _dossier_context(request, b, section, form=form))


@dossier_rights(on_post=(Right.EDIT_DOSSIER,))
def identity(request, pk):
    return _edit(
        request,
        pk,
        form_class=IdentityForm,
        section="identité",
        template="web/dossier/identity.html",
        structure_id=request.user.structure_id,
    )


@dossier_rights(on_post=(Right.EDIT_DOSSIER,))
def contact(request, pk):
    return _edit(request, pk, form_class=ContactForm, section="coordonnées", template="web/dossier/contact.html")


@dossier_rights(on_post=(Right.EDIT_DOSSIER,))
def complements(request, pk):
    return _edit(
        request,
        pk,
        form_class=ComplementsForm,
        section="compléments",
        template="web/dossier/complements.html",
        sensitive=True,
    )


@personal_data_required
def communes(request):
    """Suggestions for the « Commune de résidence » field (htmx: options of a datalist)."""
    found = queries.search_communes(request.GET.get("commune", ""), limit=15)
    return render(request, "web/beneficiaries/_communes.html", {"labels": [commune_label(c) for c in found]})


def dossier_url(pk):
    return reverse("web:dossier", kwargs={"pk": pk})
