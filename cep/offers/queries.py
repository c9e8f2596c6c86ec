"""Reads on service offers and proposed services (selectors), shared by pages and the API.

Scoping: a user sees the offers of their structure plus the regional offers of their structure's region,
and the services of their structure's dossiers. Observers see none (no personal data); an administrator
without a structure sees everything.
"""

from django.db.models import Q, QuerySet

from .models import Service, ServiceOffer


def offers_for(user) -> QuerySet:
    """Offers the user may see and propose: their structure's own and their region's regional offers."""
    if not getattr(user, "sees_personal_data", False):
        return ServiceOffer.objects.none()
    if user.structure_id is None:
        return ServiceOffer.objects.all() if user.role == "admin" else ServiceOffer.objects.none()
    structure = user.structure
    return ServiceOffer.objects.filter(
        Q(structure_id=structure.pk) | Q(structure__isnull=True, region_id=structure.region_id)
    )


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


def services_for(user) -> QuerySet:
    """Services proposed on the dossiers of the user's structure."""
    if not getattr(user, "sees_personal_data", False):
        return Service.objects.none()
    if user.structure_id is None:
        return Service.objects.all() if user.role == "admin" else Service.objects.none()
    return Service.objects.filter(structure_id=user.structure_id)
