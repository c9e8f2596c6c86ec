"""Events (événements) of a dossier: record, update, read, search."""

import datetime
from typing import Literal

from ninja import Field, Query, Router, Schema
from ninja import Status as Respond

from cep.common.dates import today
from cep.events import services
from cep.events.models import Event
from cep.events.queries import filter_events
from cep.referentials import models as ref

from . import refs
from .auth import dossier_auth
from .beneficiaries import get_beneficiary
from .errors import responses
from .pagination import keyset_page
from .schemas import Code, Cursor, Day, In, Limit, ObjectId, Ref, Text

router = Router(auth=dossier_auth, tags=["Événements"])

DeliveryMode = Literal["sur_site", "a_distance"]
GroupMode = Literal["individuel", "collectif"]

_REFERENTIALS = {
    "primary_context": ref.EventContext,
    "secondary_context": ref.EventContext,
    "tertiary_context": ref.EventContext,
    "direction": ref.EventDirection,
    "nature": ref.EventNature,
    "place": ref.ReceptionPlace,
    "function": ref.StaffFunction,
}


class EventFields(In):
    """An event's fields except its date (a proposal's event takes the proposal's date)."""

    primary_context: Ref("event-contexts") = Field(..., description="Contexte primaire (code)")
    secondary_context: Ref("event-contexts") | None = Field(None, description="Contexte secondaire (code)")
    tertiary_context: Ref("event-contexts") | None = Field(None, description="Contexte tertiaire (code)")
    direction: Ref("event-directions") = Field(..., description="Sens (code)")
    nature: Ref("event-natures") = Field(..., description="Nature (code)")
    place: Ref("reception-places") = Field(..., description="Lieu d'accueil (code)")
    function: Ref("staff-functions") = Field(..., description="Fonction (code)")
    intervener: ObjectId | None = Field(None, description="Intervenant (identifiant) ; par défaut, vous")
    comment: Text(255) = Field("", description="Commentaire (255 caractères au plus)")
    walk_in: bool = Field(False, description="Venu sans rendez-vous")
    delivery_mode: DeliveryMode = Field("sur_site", description="Modalité : sur site ou à distance")
    group_mode: GroupMode = Field("individuel", description="Format : individuel ou collectif")


class EventIn(EventFields):
    date: Day | None = Field(None, description="Date ; par défaut aujourd'hui")


class EventPatch(In):
    date: Day = Field(None, description="Date")
    primary_context: Ref("event-contexts") = Field(None, description="Contexte primaire (code)")
    secondary_context: Ref("event-contexts") | None = Field(None, description="Contexte secondaire (code)")
    tertiary_context: Ref("event-contexts") | None = Field(None, description="Contexte tertiaire (code)")
    direction: Ref("event-directions") = Field(None, description="Sens (code)")
    nature: Ref("event-natures") = Field(None, description="Nature (code)")
    place: Ref("reception-places") = Field(None, description="Lieu d'accueil (code)")
    function: Ref("staff-functions") = Field(None, description="Fonction (code)")
    intervener: ObjectId = Field(None, description="Intervenant (identifiant)")
    comment: Text(255) = Field(None, description="Commentaire")
    walk_in: bool = Field(None, description="Venu sans rendez-vous")
    delivery_mode: DeliveryMode = Field(None, description="Modalité")
    group_mode: GroupMode = Field(None, description="Format")


class EventOut(Schema):
    id: int
    beneficiary_id: int
    date: datetime.date
    primary_context: str = Field(alias="primary_context_id")
    secondary_context: str | None = Field(alias="secondary_context_id")
    tertiary_context: str | None = Field(alias="tertiary_context_id")
    direction: str = Field(alias="direction_id")
    nature: str = Field(alias="nature_id")
    place: str = Field(alias="place_id")
    function: str = Field(alias="function_id")
    intervener_id: int
    comment: str
    walk_in: bool
    delivery_mode: str
    group_mode: str
    is_cep: bool = Field(description="L'un des contextes est CEP")
    is_system: bool = Field(description="Événement écrit par le système (ex. suppression de dispositif)")


class EventPage(Schema):
    items: list[EventOut]
    next_cursor: str | None


class EventFilters(Schema):
    date_from: Day | None = Field(None, description="Depuis le (inclus)")
    date_to: Day | None = Field(None, description="Jusqu'au (inclus)")
    nature: Code = Field("", description="Nature (code)")
    direction: Code = Field("", description="Sens (code)")
    in_progress: bool = Field(False, description="Seulement les événements en cours (du jour)")
    cep_context: bool | None = Field(
        None,
        description="Contexte CEP : true, les événements dont l'un des trois contextes est CEP ; false, les autres ; "
        "absent, tous.",
    )
    cursor: Cursor | None = None
    limit: Limit = 20


def event_values(values: dict, *, structure_id: int, on: datetime.date) -> dict:
    """Codes and ids → objects, each code valid on the event's date (else 422 naming the field)."""
    for name, model in _REFERENTIALS.items():
        if name in values:
            values[name] = refs.ref(model, values[name], field=name, on=on)
    if "intervener" in values:
        values["intervener"] = refs.structure_user(values["intervener"], structure_id=structure_id, field="intervener")
        if values["intervener"] is None:
            del values["intervener"]
    return values


@router.post(
    "/beneficiaries/{beneficiary_id}/events",
    response=responses({201: EventOut}, write=True),
    summary="Enregistrer un événement",
)
def create_event(request, beneficiary_id: int, payload: EventIn):
    beneficiary = get_beneficiary(request.auth, beneficiary_id)
    values = payload.dict(exclude_unset=True)
    values["date"] = values.get("date") or today()
    values = event_values(values, structure_id=beneficiary.structure_id, on=values["date"])
    return Respond(201, services.record_event(beneficiary=beneficiary, actor=request.auth, **values))


@router.get(
    "/beneficiaries/{beneficiary_id}/events",
    response=responses({200: EventPage}, page=True),
    summary="Événements du dossier",
    description="Filtres du guide : période, nature, sens ; tous les événements ou seulement ceux en cours ; "
    "contexte CEP.",
)
def list_events(request, beneficiary_id: int, filters: Query[EventFilters]):
    beneficiary = get_beneficiary(request.auth, beneficiary_id)
    qs = filter_events(
        Event.objects.visible_to(request.auth).filter(beneficiary=beneficiary),
        date_from=filters.date_from,
        date_to=filters.date_to,
        nature=filters.nature,
        direction=filters.direction,
        in_progress=filters.in_progress,
        cep_context=filters.cep_context,
    )
    rows, cursor = keyset_page(qs, order=("-date", "-id"), cursor=filters.cursor, limit=filters.limit)
    return {"items": rows, "next_cursor": cursor}


@router.get("/events/{event_id}", response=responses({200: EventOut}), summary="Lire un événement")
def read_event(request, event_id: int):
    return Event.objects.visible_to(request.auth).get(pk=event_id)


@router.patch("/events/{event_id}", response=responses({200: EventOut}, write=True), summary="Modifier un événement")
def update_event(request, event_id: int, payload: EventPatch):
    event = Event.objects.visible_to(request.auth).get(pk=event_id)
    values = payload.dict(exclude_unset=True)
    values = event_values(values, structure_id=event.structure_id, on=values.get("date") or event.date)
    return services.update_event(event=event, actor=request.auth, **values)
