"""Rendez-vous of a dossier: list, book, read, change status (« honore » records the event). Same rules as the
portal (cep.appointments.services): the right « Événements » books and marks, « Consulter » reads."""

import datetime
from typing import Annotated, Literal

from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja import Status as Respond
from pydantic import AfterValidator

from cep.appointments import services
from cep.appointments.models import MAX_DURATION, MIN_DURATION, Appointment
from cep.referentials import models as ref

from . import refs
from .auth import dossier_auth
from .beneficiaries import get_beneficiary
from .errors import responses
from .pagination import keyset_page
from .schemas import Cursor, In, Limit, ObjectId, Ref, Text

router = Router(auth=dossier_auth, tags=["Rendez-vous"])

MIN_MOMENT = datetime.datetime(1900, 1, 1, tzinfo=datetime.UTC)
MAX_MOMENT = datetime.datetime(2100, 12, 31, tzinfo=datetime.UTC)


def _moment(value: datetime.datetime) -> datetime.datetime:
    """An aware datetime; without an offset, the time is read in Europe/Paris."""
    if timezone.is_naive(value):
        if not MIN_MOMENT.replace(tzinfo=None) <= value <= MAX_MOMENT.replace(tzinfo=None):
            raise ValueError("Date hors de la plage acceptée (1900 à 2100).")
        value = timezone.make_aware(value)
    if not MIN_MOMENT <= value <= MAX_MOMENT:
        raise ValueError("Date hors de la plage acceptée (1900 à 2100).")
    return value


# Published: years 1901 to 2099 (the server accepts 1900 to 2100; a margin for any UTC offset).
Moment = Annotated[
    datetime.datetime,
    AfterValidator(_moment),
    Field(
        json_schema_extra={"pattern": "^(190[1-9]|19[1-9][0-9]|20[0-9]{2})-", "x-minimum": "1900-01-01T00:00:00+01:00"}
    ),
]
AppointmentStatus = Literal["prevu", "honore", "non_honore", "annule"]


class AppointmentIn(In):
    starts_at: Moment = Field(
        ...,
        description="Date et heure (ISO 8601) ; sans décalage horaire, l'heure est lue à Paris. Aujourd'hui "
        "ou plus tard.",
    )
    duration: int = Field(45, ge=MIN_DURATION, le=MAX_DURATION, description="Durée en minutes (5 à 480)")
    mode: Ref("appointment-modes") = Field(..., description="Modalité (code, référentiel appointment-modes)")
    place: Ref("reception-places") | None = Field(
        None, description="Lieu (code, référentiel reception-places) ; en présentiel"
    )
    counselor: ObjectId | None = Field(None, description="Conseiller (identifiant) ; par défaut, vous")
    subject: Text(255) = Field("", description="Objet (255 caractères au plus)")


class StatusIn(In):
    status: Literal["honore", "non_honore", "annule"] = Field(
        ..., description="honore (enregistre l'événement), non_honore (n'est pas une manifestation), annule"
    )


class AppointmentOut(Schema):
    id: int
    beneficiary_id: int
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    duration: int
    mode: str = Field(alias="mode_id")
    place: str | None = Field(alias="place_id")
    counselor_id: int
    subject: str = Field(alias="comment", description="Objet")
    status: AppointmentStatus
    event_id: int | None = Field(description="L'événement enregistré quand le rendez-vous est honoré")


class AppointmentPage(Schema):
    items: list[AppointmentOut]
    next_cursor: str | None


class AppointmentFilters(Schema):
    cursor: Cursor | None = None
    limit: Limit = 20


@router.get(
    "/beneficiaries/{beneficiary_id}/appointments",
    response=responses({200: AppointmentPage}, page=True),
    summary="Rendez-vous du dossier",
    description="Du dernier pris au premier (curseur).",
)
def list_appointments(request, beneficiary_id: int, filters: Query[AppointmentFilters]):
    beneficiary = get_beneficiary(request.auth, beneficiary_id)
    qs = Appointment.objects.visible_to(request.auth).filter(beneficiary=beneficiary)
    rows, cursor = keyset_page(qs, order=("-id",), cursor=filters.cursor, limit=filters.limit)
    return {"items": rows, "next_cursor": cursor}


@router.post(
    "/beneficiaries/{beneficiary_id}/appointments",
    response=responses({201: AppointmentOut}, write=True),
    summary="Prendre un rendez-vous",
)
def create_appointment(request, beneficiary_id: int, payload: AppointmentIn):
    beneficiary = get_beneficiary(request.auth, beneficiary_id)
    values = payload.dict()
    day = timezone.localtime(values["starts_at"]).date()
    values["mode"] = refs.ref(ref.AppointmentMode, values["mode"], field="mode", on=day)
    values["place"] = refs.ref(ref.ReceptionPlace, values["place"], field="place", on=day)
    values["counselor"] = refs.structure_user(
        values["counselor"], structure_id=beneficiary.structure_id, field="counselor"
    )
    return Respond(201, services.book_appointment(beneficiary=beneficiary, actor=request.auth, **values))


@router.get("/appointments/{appointment_id}", response=responses({200: AppointmentOut}), summary="Lire un rendez-vous")
def read_appointment(request, appointment_id: int):
    return Appointment.objects.visible_to(request.auth).get(pk=appointment_id)


@router.post(
    "/appointments/{appointment_id}/status",
    response=responses({200: AppointmentOut}, write=True),
    summary="Changer le statut d'un rendez-vous",
    description="« honore » enregistre l'événement du rendez-vous (contexte CEP si un CEP est en cours) ; "
    "« non_honore » n'enregistre rien (ce n'est pas une manifestation de la personne) ; « annule ».",
)
def change_status(request, appointment_id: int, payload: StatusIn):
    appointment = Appointment.objects.visible_to(request.auth).get(pk=appointment_id)
    return services.set_status(appointment=appointment, actor=request.auth, status=payload.status)
