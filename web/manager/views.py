"""Structure-manager pages: offer catalogue, users and rights, referents, structure settings.

Views parse input, call one service or query, render. Another structure's object is a 404.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from cep.accounts import services as account_services
from cep.accounts.models import User
from cep.accounts.rights import Right, Role
from cep.beneficiaries.services import reassign_referent
from cep.common.access import rights_message
from cep.common.keyset import parse_id
from cep.common.text import de_name
from cep.offers import services as offer_services
from cep.offers.models import ServiceOffer
from cep.organisations import services as organisation_services
from cep.organisations.models import Structure
from web.views._forms import run_action

from . import queries
from .forms import (
    DirectoryEntryForm,
    OfferForm,
    OfferSearchForm,
    ReassignForm,
    StructureSettingsForm,
    UserCreateForm,
    UserRightsForm,
)


def _needs(check, message="Vous n'avez pas accès à cette page."):
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(request, *args, **kwargs):
            if not check(request.user):
                raise PermissionDenied(message)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


sees_catalogue = _needs(lambda u: u.is_active and u.sees_personal_data)
manages_offers = _needs(lambda u: u.has_right(Right.MANAGE_OFFERS), rights_message([Right.MANAGE_OFFERS]))
manages_structure = _needs(lambda u: u.has_right(Right.MANAGE_STRUCTURE), rights_message([Right.MANAGE_STRUCTURE]))


def _can_edit(user, offer) -> bool:
    if not user.has_right(Right.MANAGE_OFFERS):
        return False
    return offer.structure_id == user.structure_id or (user.role == Role.ADMIN and user.structure_id is None)


def _managed_structure(request):
    """The user's structure; an administrator without one chooses it (?structure=)."""
    if request.user.structure_id:
        return request.user.structure
    pk = parse_id(request.GET.get("structure") or request.POST.get("structure") or "")
    if pk is None:
        return None
    return get_object_or_404(Structure, pk=pk)


def _offer_url(offer) -> str:
    return reverse("manager:offer_detail", kwargs={"pk": offer.pk})


def _structure_url(name, structure, request, **kwargs):
    url = reverse(name, kwargs=kwargs or None)
    return url if request.user.structure_id else f"{url}?structure={structure.pk}"


# ---------------------------------------------------------------- offers


@sees_catalogue
def offers(request):
    form = OfferSearchForm(request.GET or None)
    filters = form.filters() if form.is_valid() else {}
    page = queries.search_offers(request.user, after=request.GET.get("apres"), **filters)
    query = request.GET.copy()
    query.pop("apres", None)
    return render(
        request,
        "manager/offers.html",
        {
            "title": "Offres de services",
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "is_first_page": not request.GET.get("apres"),
            "can_create": request.user.has_right(Right.MANAGE_OFFERS),
        },
    )


@sees_catalogue
def offer_detail(request, pk):
    offer = get_object_or_404(
        ServiceOffer.objects.visible_to(request.user).select_related("theme", "service_act", "referent", "structure"),
        pk=pk,
    )
    return render(
        request,
        "manager/offer_detail.html",
        {"title": offer.name, "offer": offer, "can_edit": _can_edit(request.user, offer)},
    )


@manages_offers
@require_http_methods(["GET", "POST"])
def offer_create(request):
    structure = request.user.structure
    form = OfferForm(request.POST or None, structure=structure)
    if request.method == "POST" and form.is_valid():
        response = run_action(
            request,
            form,
            lambda: offer_services.create_offer(
                structure=structure or form.cleaned_data["structure"], actor=request.user, **form.offer_fields()
            ),
            success=lambda offer: f"L'offre « {offer.name} » est créée.",
            redirect_to=_offer_url,
        )
        if response is not None:
            return response
    return render(request, "manager/offer_form.html", {"title": "Créer une offre de services", "form": form})


@manages_offers
@require_http_methods(["GET", "POST"])
def offer_edit(request, pk):
    offer = get_object_or_404(ServiceOffer.objects.visible_to(request.user), pk=pk)
    if not _can_edit(request.user, offer):
        raise PermissionDenied("Cette offre régionale n'est pas modifiable par la structure.")
    initial = {name: getattr(offer, name) for name in offer_services.OFFER_FIELDS}
    form = OfferForm(request.POST or None, initial=initial, structure=offer.structure)
    form.fields.pop("structure", None)  # an offer never changes catalogue
    if request.method == "POST" and form.is_valid():
        response = run_action(
            request,
            form,
            lambda: offer_services.update_offer(offer=offer, actor=request.user, **form.offer_fields()),
            success=lambda saved: f"L'offre « {saved.name} » est enregistrée.",
            redirect_to=_offer_url,
        )
        if response is not None:
            return response
    return render(
        request,
        "manager/offer_form.html",
        {"title": f"Modifier l'offre « {offer.name} »", "form": form, "offer": offer},
    )


# ---------------------------------------------------------------- structure


@manages_structure
def structure(request):
    current = _managed_structure(request)
    if current is None:
        return render(
            request,
            "manager/structure_choice.html",
            {"title": "Choisir une structure", "structures": Structure.objects.order_by("name")},
        )
    users = queries.structure_users(current)
    for u in users:
        u.rights_labels = [Right(r).label for r in u.extra_rights if r in Right.values]
    return render(
        request,
        "manager/structure.html",
        {
            "title": f"Gérer la structure « {current.name} »",
            "structure": current,
            "users": users,
            "orphans": [u for u in users if not u.is_active and u.beneficiary_count],
            "without_referent": queries.beneficiaries_without_referent(current),
            "settings_form": StructureSettingsForm(initial={"distinguishes_phases": current.distinguishes_phases}),
            "entry": queries.directory_entry(current),
            "suffix": "" if request.user.structure_id else f"?structure={current.pk}",
        },
    )


@manages_structure
@require_http_methods(["GET", "POST"])
def structure_directory(request):
    """La fiche de la structure dans l'annuaire: the manager edits their own structure's (another one is a 404);
    the measured answer delay is shown, never edited."""
    chosen = parse_id(request.GET.get("structure") or request.POST.get("structure") or "")
    if request.user.structure_id and chosen is not None and chosen != request.user.structure_id:
        raise Http404  # a manager's ?structure= of another structure: that structure does not exist for them
    current = _managed_structure(request)
    if current is None:  # an administrator without a structure chooses it first
        return redirect("manager:structure")
    entry = queries.directory_entry(current)
    form = DirectoryEntryForm(request.POST or None, initial=DirectoryEntryForm.initial_of(current, entry.codes))
    if request.method == "POST" and form.is_valid():
        response = run_action(
            request,
            form,
            lambda: organisation_services.update_directory_entry(
                structure=current, actor=request.user, **form.entry_fields()
            ),
            success="La fiche de la structure dans l'annuaire est enregistrée.",
            redirect_to=_structure_url("manager:structure", current, request),
        )
        if response is not None:
            return response
    return render(
        request,
        "manager/structure_directory.html",
        {
            "title": "Modifier la fiche de l'annuaire",
            "form": form,
            "structure": current,
            "entry": entry,
            "suffix": "" if request.user.structure_id else f"?structure={current.pk}",
        },
    )


@manages_structure
@require_POST
def structure_settings(request):
    current = _managed_structure(request)
    if current is None:
        raise Http404
    form = StructureSettingsForm(request.POST)
    form.is_valid()
    return run_action(
        request,
        None,
        lambda: account_services.update_structure_settings(
            structure=current, actor=request.user, distinguishes_phases=form.cleaned_data["distinguishes_phases"]
        ),
        success="Les paramètres de la structure sont enregistrés.",
        redirect_to=_structure_url("manager:structure", current, request),
    )


@manages_structure
@require_http_methods(["GET", "POST"])
def user_create(request):
    current = _managed_structure(request)
    if current is None:  # an administrator without a structure chooses it first
        return redirect("manager:structure")
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        response = run_action(
            request,
            form,
            lambda: account_services.create_user(
                structure=current,
                actor=request.user,
                username=data["username"],
                password=data["password"],
                role=data["role"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                rights=form.rights_value(),
            ),
            success=lambda user: f"Le compte « {user.username} » est créé.",
            redirect_to=_structure_url("manager:structure", current, request),
        )
        if response is not None:
            return response
    return render(
        request, "manager/user_form.html", {"title": "Créer un utilisateur", "form": form, "structure": current}
    )


def _user_of_structure(request, pk) -> User:
    users = User.objects.filter(structure__isnull=False).select_related("structure")
    if request.user.structure_id:
        users = users.filter(structure_id=request.user.structure_id)
    return get_object_or_404(users, pk=pk)


@manages_structure
@require_http_methods(["GET", "POST"])
def user_edit(request, pk):
    target = _user_of_structure(request, pk)
    initial = {"role": target.role, "use_defaults": not target.extra_rights, "rights": sorted(target.rights)}
    form = UserRightsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        response = run_action(
            request,
            form,
            lambda: account_services.update_user_rights(
                user=target, actor=request.user, role=form.cleaned_data["role"], rights=form.rights_value()
            ),
            success=f"Les droits {de_name(target)} sont enregistrés.",
            redirect_to=_structure_url("manager:structure", target.structure, request),
        )
        if response is not None:
            return response
    return render(
        request,
        "manager/user_edit.html",
        {
            "title": f"Rôle et droits {de_name(target)}",
            "form": form,
            "target": target,
            "referent_count": queries.referent_count(target.structure, target),
            "suffix": "" if request.user.structure_id else f"?structure={target.structure_id}",
        },
    )


@manages_structure
@require_POST
def user_deactivate(request, pk):
    target = _user_of_structure(request, pk)

    def deactivated(_user) -> str:
        count = queries.referent_count(target.structure, target)
        text = f"Le compte {de_name(target)} est désactivé."
        if count:
            text += f" Il reste le référent de {count} bénéficiaire(s) : réattribuez-les."
        return text

    return run_action(
        request,
        None,
        lambda: account_services.deactivate_user(user=target, actor=request.user),
        success=deactivated,
        redirect_to=_structure_url("manager:structure", target.structure, request),
    )


@manages_structure
@require_http_methods(["GET", "POST"])
def reassign(request):
    current = _managed_structure(request)
    if current is None:  # an administrator without a structure chooses it first
        return redirect("manager:structure")
    initial = {}
    if from_id := parse_id(request.GET.get("de", "")):
        initial["from_user"] = from_id
    form = ReassignForm(request.POST or None, initial=initial, structure=current)
    context = {"title": "Réattribuer les bénéficiaires d'un conseiller", "form": form, "structure": current}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not data["confirm"]:
            context["count"] = queries.referent_count(current, data["from_user"])
            context["confirming"] = True
            return render(request, "manager/reassign.html", context)
        response = run_action(
            request,
            form,
            lambda: reassign_referent(
                from_user=data["from_user"], to_user=data["to_user"], actor=request.user, structure=current
            ),
            success=lambda moved: (
                f"{moved} bénéficiaire(s) réattribué(s) {de_name(data['from_user'])} à {data['to_user']}."
            ),
            redirect_to=_structure_url("manager:structure", current, request),
        )
        if response is not None:
            return response
    return render(request, "manager/reassign.html", context)
