"""Service offers (catalogue) and the services proposed to a person (Suivi › Services)."""

import datetime
from typing import Literal

from ninja import Field, Query, Router, Schema
from ninja import Status as Respond

from cep.common.dates import today
from cep.common.errors import RuleViolation
from cep.offers import services
from cep.offers.models import Service, ServiceOffer
from cep.offers.queries import search_offers
from cep.referentials.models import ServiceAct, ServiceTheme

from . import refs
from .auth import dossier_auth, personal_data_auth
from .beneficiaries import get_beneficiary
from .errors import responses
from .events import EventFields, event_values
from .pagination import keyset_page
from .schemas import Code, Cursor, Day, In, Limit, ObjectId, Ref, Text

router = Router(auth=personal_data_auth, tags=["Offres de services"])

Kind = Literal["catalogue", "dispositif"]
Origin = Literal["structure", "autre"]
State = Literal["permanente", "ponctuelle", "fermee"]
Measure = Literal["", "cep"]


class OfferIn(In):
    kind: Kind = Field("catalogue", description="Type d'offre : catalogue (Catalogue interne) ou dispositif")
    origin: Origin = Field(..., description="Origine de l'offre : structure (ML) ou autre (Autre)")
    theme: Ref("service-themes") = Field(..., description="Thème (code)")
    service_act: Ref("service-acts") = Field(..., description="Acte de service national (code)")
    regional_service_act: Text(200) = Field("", description="Acte de service régional")
    offer_type: Text(100) = Field("", description="Type")
    name: Text(200) = Field(..., min_length=1, description="Nom de l'offre")
    partner: Text(200) = Field("", description="Partenaire")
    start_date: Day = Field(..., description="Date de début")
    end_date: Day | None = Field(None, description="Date de fin")
    state: State = Field("permanente", description="État")
    referent: ObjectId | None = Field(None, description="Conseiller référent (identifiant)")
    national_measure: Measure = Field("", description="Mesure nationale : cep (CEP) ou vide (aucune)")


class OfferPatch(In):
    kind: Kind = Field(None, description="Type d'offre")
    origin: Origin = Field(None, description="Origine de l'offre")
    theme: Ref("service-themes") = Field(None, description="Thème (code)")
    service_act: Ref("service-acts") = Field(None, description="Acte de service national (code)")
    regional_service_act: Text(200) = Field(None, description="Acte de service régional")
    offer_type: Text(100) = Field(None, description="Type")
    name: Text(200) = Field(None, min_length=1, description="Nom de l'offre")
    partner: Text(200) = Field(None, description="Partenaire")
    start_date: Day = Field(None, description="Date de début")
    end_date: Day | None = Field(None, description="Date de fin")
    state: State = Field(None, description="État")
    referent: ObjectId | None = Field(None, description="Conseiller référent (identifiant)")
    national_measure: Measure = Field(None, description="Mesure nationale")


class OfferOut(Schema):
    id: int
    structure_id: int | None = Field(description="Structure ; null pour une offre régionale")
    region: str | None = Field(alias="region_id")
    kind: str
    origin: str
    theme: str = Field(alias="theme_id")
    service_act: str = Field(alias="service_act_id")
    regional_service_act: str
    offer_type: str
    name: str
    partner: str
    start_date: datetime.date
    end_date: datetime.date | None
    state: str
    referent_id: int | None
    national_measure: str


class OfferPage(Schema):
    items: list[OfferOut]
    next_cursor: str | None


class OfferFilters(Schema):
    name: Text(100) = Field("", description="Nom (contient)")
    offer_type: Text(100) = Field("", description="Type (contient)")
    theme: Code = Field("", description="Thème (code)")
    national_measure: Measure | None = Field(None, description="Mesure nationale")
    service_act: Code = Field("", description="Acte de service (code)")
    partner: Text(100) = Field("", description="Partenaire (contient)")
    kind: Kind | None = Field(None, description="Catalogue interne ou dispositifs")
    cursor: Cursor | None = None
    limit: Limit = 20


class ProposalIn(In):
    offer: ObjectId = Field(..., description="Offre proposée (identifiant)")
    proposed_on: Day | None = Field(None, description="Date de proposition ; par défaut aujourd'hui")
    comment: Text(255) = Field("", description="Commentaire")
    event: EventFields | None = Field(
        None, description="Événement de la proposition, utilisé seulement si aucun événement n'est en cours"
    )


class ServiceOut(Schema):
    id: int
    beneficiary_id: int
    offer_id: int
    service_act: str = Field(alias="service_act_id")
    is_cep_level1: bool
    proposed_on: datetime.date
    proposed_by_id: int
    event_id: int | None
    cep_id: int | None = Field(description="CEP en cours lors de la proposition")
    comment: str


class ServicePage(Schema):
    items: list[ServiceOut]
    next_cursor: str | None


class PageQuery(Schema):
    cursor: Cursor | None = None
    limit: Limit = 20


def _offer_values(values: dict, *, structure_id: int | None, on: datetime.date | None) -> dict:
    if values.get("theme") is not None:
        values["theme"] = refs.ref(ServiceTheme, values["theme"], field="theme", on=on)
    if values.get("service_act") is not None:
        values["service_act"] = refs.ref(ServiceAct, values["service_act"], field="service_act", on=on)
    if "referent" in values:
        values["referent"] = refs.structure_user(values["referent"], structure_id=structure_id, field="referent")
    return values


@router.get("/offers", response=responses({200: OfferPage}, page=True), summary="Rechercher des offres de services")
def list_offers(request, filters: Query[OfferFilters]):
    qs = search_offers(
        ServiceOffer.objects.visible_to(request.auth),
        name=filters.name,
        offer_type=filters.offer_type,
        theme=filters.theme,
        national_measure=filters.national_measure,
        service_act=filters.service_act,
        partner=filters.partner,
        kind=filters.kind or "",
    )
    rows, cursor = keyset_page(qs, order=("name", "id"), cursor=filters.cursor, limit=filters.limit)
    return {"items": rows, "next_cursor": cursor}


@router.get("/offers/{offer_id}", response=responses({200: OfferOut}), summary="Lire une offre")
def read_offer(request, offer_id: int):
    return ServiceOffer.objects.visible_to(request.auth).get(pk=offer_id)


@router.post("/offers", response=responses({201: OfferOut}, write=True), summary="Créer une offre de la structure")
def create_offer(request, payload: OfferIn):
    user = request.auth
    if user.structure is None:
        raise RuleViolation("DROITS", "Votre compte n'est rattaché à aucune structure.")
    values = _offer_values(payload.dict(exclude_unset=True), structure_id=user.structure_id, on=payload.start_date)
    return Respond(201, services.create_offer(structure=user.structure, actor=user, **values))


@router.patch("/offers/{offer_id}", response=responses({200: OfferOut}, write=True), summary="Modifier une offre")
def update_offer(request, offer_id: int, payload: OfferPatch):
    user = request.auth
    offer = ServiceOffer.objects.visible_to(user).get(pk=offer_id)
    if offer.structure_id is None and user.structure_id is not None:
        raise RuleViolation("DROITS", "Une offre régionale ne se modifie pas depuis une structure.")
    values = _offer_values(payload.dict(exclude_unset=True), structure_id=offer.structure_id, on=None)
    return services.update_offer(offer=offer, actor=user, **values)


@router.post(
    "/beneficiaries/{beneficiary_id}/services",
    response=responses({201: ServiceOut}, write=True),
    summary="Proposer une offre à la personne",
    auth=dossier_auth,
    description="Crée le service sur le dossier ; si aucun événement n'est en cours, l'objet « event » "
    "est obligatoire et l'événement est enregistré avec la proposition.",
)
def propose(request, beneficiary_id: int, payload: ProposalIn):
    user = request.auth
    beneficiary = get_beneficiary(user, beneficiary_id)
    offer = ServiceOffer.objects.visible_to(user).filter(pk=payload.offer).first()
    if offer is None:
        raise RuleViolation("REFERENTIEL", "Offre inconnue dans le catalogue de votre structure.", field="offer")
    proposed_on = payload.proposed_on or today()
    event = None
    if payload.event is not None:
        event = event_values(
            payload.event.dict(exclude_unset=True), structure_id=beneficiary.structure_id, on=proposed_on
        )
    service = services.propose_offer(
        beneficiary=beneficiary,
        offer=offer,
        actor=user,
        proposed_on=payload.proposed_on,
        comment=payload.comment,
        event=event,
    )
    return Respond(201, service)


@router.get(
    "/beneficiaries/{beneficiary_id}/services",
    response=responses({200: ServicePage}, page=True),
    summary="Services proposés à la personne",
    auth=dossier_auth,
)
def list_services(request, beneficiary_id: int, page: Query[PageQuery]):
    beneficiary = get_beneficiary(request.auth, beneficiary_id)
    qs = Service.objects.visible_to(request.auth).filter(beneficiary=beneficiary)
    rows, cursor = keyset_page(qs, order=("-proposed_on", "-id"), cursor=page.cursor, limit=page.limit)
    return {"items": rows, "next_cursor": cursor}
