"""Reads on service offers and proposed services (selectors), shared by pages and the API.

Scoping (`ServiceOffer.objects.visible_to(user)`, `Service.objects.visible_to(user)`): a user sees the offers of
their structure plus the regional offers of their structure's region, and the services of their structure's
dossiers. Observers see none (no personal data); an administrator without a structure sees everything.
"""

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from .models import Service, ServiceOffer


def search_offers(
    qs: QuerySet,
    *,
    name: str = "",
    offer_type: str = "",
    theme: str = "",
    national_measure: str | None = None,
    service_act: str = "",
    partner: str = "",
    kind: str = "",
) -> QuerySet:
    """Offer search of the guide [003]: name, type, theme, measure, service act, partner, catalogue/dispositif."""
    if name:
        qs = qs.filter(name__icontains=name)
    if offer_type:
        qs = qs.filter(offer_type__icontains=offer_type)
    if theme:
        qs = qs.filter(theme_id=theme)
    if national_measure is not None:
        qs = qs.filter(national_measure=national_measure)
    if service_act:
        qs = qs.filter(service_act_id=service_act)
    if partner:
        qs = qs.filter(partner__icontains=partner)
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def search_catalogue(
    user,
    *,
    text: str = "",
    kind: str = "",
    theme: str = "",
    service_act: str = "",
    national_measure: str | None = None,
    limit: int = 50,
) -> list:
    """« Recherche d'offres de services et dispositifs » from a dossier [003]: one text box looks in the name,
    type, theme, measure, service act (national or regional) and partner; open offers only (not « Fermée »).
    """
    from cep.common.dates import today

    from .models import NationalMeasure, OfferState

    day = today()
    qs = search_offers(
        ServiceOffer.objects.visible_to(user),
        kind=kind,
        theme=theme,
        service_act=service_act,
        national_measure=national_measure,
    )
    text = (text or "").strip()
    if text:
        match = (
            Q(name__icontains=text)
            | Q(offer_type__icontains=text)
            | Q(partner__icontains=text)
            | Q(theme__label__icontains=text)
            | Q(service_act__label__icontains=text)
            | Q(regional_service_act__icontains=text)
        )
        if text.lower() == "cep":
            match |= Q(national_measure=NationalMeasure.CEP)
        qs = qs.filter(match)
    qs = (
        qs.exclude(state=OfferState.CLOSED)
        .filter(start_date__lte=day)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=day))
    )
    return list(qs.select_related("theme", "service_act").order_by("name", "id")[:limit])


def dossier_services(user, beneficiary, limit: int = 100) -> list:
    """Suivi › Services: the services proposed to a person, newest first."""
    return list(
        Service.objects.visible_to(user)
        .filter(beneficiary=beneficiary)
        .select_related("offer", "service_act", "proposed_by", "cep")
        .order_by("-proposed_on", "-id")[:limit]
    )


def with_services(events: QuerySet, *, actions: str = "") -> QuerySet:
    """Events (a queryset of events.Event) with the services proposed during each, prefetched with their offer,
    oldest first (one more query, whatever the number of events); `event.services.all()` reads them.

    actions: "with_services" / "without_services" keeps the events during which a service was (not) proposed.
    """
    proposed = Exists(Service.objects.filter(event_id=OuterRef("pk")))
    if actions == "with_services":
        events = events.filter(proposed)
    elif actions == "without_services":
        events = events.exclude(proposed)
    return events.prefetch_related(
        Prefetch("services", queryset=Service.objects.select_related("offer").order_by("id"))
    )
