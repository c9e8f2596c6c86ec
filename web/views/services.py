"""Suivi › Services: services proposed to the person, offer search and « Proposer » from the dossier."""

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse

from cep.accounts.rights import Right
from cep.common.dates import today
from cep.events.services import event_in_progress
from cep.offers.models import OfferKind, ServiceOffer
from cep.offers.queries import dossier_services, search_catalogue
from cep.offers.services import propose_offer
from web.forms.events import EventForm
from web.forms.services import OfferSearchForm, ProposeForm

from ._access import dossier_or_404, dossier_rights, personal_data_required
from ._forms import run_action
from .events import event_initial


@personal_data_required
def services(request, pk):
    b = dossier_or_404(request, pk)
    context = {
        "b": b,
        "section": "services",
        "title": f"Services – {b}",
        "services": dossier_services(request.user, b),
    }
    return render(request, "web/services/list.html", context)


@dossier_rights(Right.MANAGE_DOSSIERS)
def offer_search(request, pk):
    b = dossier_or_404(request, pk)
    form = OfferSearchForm(request.GET or None, initial={"kind": OfferKind.INTERNAL})
    offers, filters = None, {"kind": OfferKind.INTERNAL}
    if form.is_bound and form.is_valid():
        filters = form.filters()
        offers = search_catalogue(request.user, **filters)
    context = {
        "b": b,
        "section": "services",
        "title": f"Recherche d'offres de services et dispositifs – {b}",
        "form": form,
        "offers": offers,
        "dispositifs": filters["kind"] == OfferKind.DISPOSITIF,
        "query": filters.get("text", ""),
    }
    template = "web/services/_offers.html" if request.htmx else "web/services/search.html"
    return render(request, template, context)


@dossier_rights(Right.MANAGE_DOSSIERS)
def propose(request, pk, offer_id):
    b = dossier_or_404(request, pk)
    offer = (
        ServiceOffer.objects.visible_to(request.user)
        .select_related("theme", "service_act")
        .filter(pk=offer_id)
        .first()
    )
    if offer is None:
        raise Http404("Offre introuvable.")
    data = request.POST or None
    form = ProposeForm(data, initial={"proposed_on": today()})
    proposed_on = today()
    if form.is_bound and form.is_valid():
        proposed_on = form.cleaned_data["proposed_on"]
    needs_event = event_in_progress(b, proposed_on) is None
    event_form = EventForm(data, prefix="event", structure_id=b.structure_id, initial=event_initial(request.user))
    event_form.fields.pop("date")  # the event takes the proposal's date
    if request.method == "POST" and form.is_valid() and (not needs_event or event_form.is_valid()):
        response = run_action(
            request,
            # a refusal about the event goes to the event's fields
            lambda violation: event_form if needs_event and violation.field in event_form.fields else form,
            lambda: propose_offer(
                beneficiary=b,
                offer=offer,
                actor=request.user,
                event=event_form.service_fields() if needs_event else None,
                **form.cleaned_data,
            ),
            success=f"L'offre « {offer.name} » a été proposée.",
            redirect_to=reverse("web:services", kwargs={"pk": b.pk}),
        )
        if response is not None:
            return response
    context = {
        "b": b,
        "section": "services",
        "title": f"Proposer l'offre « {offer.name} » – {b}",
        "offer": offer,
        "form": form,
        "event_form": event_form if needs_event else None,
    }
    return render(request, "web/services/propose.html", context)
