"""Referentials, so that client systems can map their codes (no personal data: observers may read them)."""

import datetime
from enum import Enum

from ninja import Field, Router, Schema

from cep.referentials import models as ref
from cep.referentials.labels import label_for_network, user_network

from .auth import token_auth
from .errors import responses

router = Router(auth=token_auth, tags=["Référentiels"])

REFERENTIALS = {
    "networks": ref.Network,
    "employment-statuses": ref.EmploymentStatus,
    "qualification-levels": ref.QualificationLevel,
    "service-acts": ref.ServiceAct,
    "service-themes": ref.ServiceTheme,
    "event-contexts": ref.EventContext,
    "event-natures": ref.EventNature,
    "event-directions": ref.EventDirection,
    "reception-places": ref.ReceptionPlace,
    "staff-functions": ref.StaffFunction,
    "orientation-sources": ref.OrientationSource,
    "request-reasons": ref.RequestReason,
    "project-types": ref.ProjectType,
    "exit-reasons": ref.ExitReason,
    "appointment-modes": ref.AppointmentMode,
    "funders": ref.Funder,
    "complementary-services": ref.ComplementaryService,
    "orientation-refusal-reasons": ref.OrientationRefusalReason,
    "consent-modes": ref.ConsentMode,
}
ReferentialName = Enum("ReferentialName", {k.replace("-", "_"): k for k in REFERENTIALS}, type=str)


class ReferentialOut(Schema):
    name: str = Field(description="Nom à utiliser dans /referentials/{nom}")
    label: str


class ValueOut(Schema):
    code: str
    label: str
    valid_from: datetime.date
    valid_to: datetime.date | None = Field(description="null : toujours en vigueur")


@router.get("/referentials", response=responses({200: list[ReferentialOut]}), summary="Liste des référentiels")
def list_referentials(request):
    return [{"name": name, "label": str(model._meta.verbose_name_plural)} for name, model in REFERENTIALS.items()]


@router.get(
    "/referentials/{name}",
    response=responses({200: list[ValueOut]}),
    summary="Valeurs d'un référentiel",
    description="Toutes les valeurs, y compris celles qui ne sont plus en vigueur (dates de validité). Les libellés "
    "suivent le réseau de l'utilisateur : hors Missions locales, « Ma ML » se lit « Ma structure » (les codes ne "
    "changent pas).",
)
def list_values(request, name: ReferentialName):
    network = user_network(request.auth)  # « Ma ML » reads « Ma structure » outside the Missions locales
    values = (
        REFERENTIALS[name.value].objects.order_by("position", "code").only("code", "label", "valid_from", "valid_to")
    )
    return [
        {
            "code": v.code,
            "label": label_for_network(v.label, network),
            "valid_from": v.valid_from,
            "valid_to": v.valid_to,
        }
        for v in values
    ]
