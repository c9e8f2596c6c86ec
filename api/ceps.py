"""The CEP dispositif (phases 2 and 3): open, read, list, and one operation per lifecycle action.

Every rule lives in cep.enrolments.services; a refusal answers 409 {"code": "R5", "message", "field"}.
"""

import datetime
from typing import Annotated

from ninja import Field, Query, Router, Schema
from ninja import Status as Respond
from pydantic import AfterValidator, WithJsonSchema

from cep.enrolments import overlaps, services
from cep.enrolments.models import Cep
from cep.enrolments.queries import cep_history, with_action_facts
from cep.enrolments.workflow import PHASE_LABELS, Status, allowed_actions
from cep.referentials import models as ref

from . import refs
from .auth import dossier_auth
from .beneficiaries import get_beneficiary
from .errors import responses
from .pagination import keyset_page
from .schemas import Cursor, Day, In, Limit, Ref, Text

router = Router(auth=dossier_auth, tags=["Dispositif CEP"])


class CepIn(In):
    orientation_source: Ref("orientation-sources") = Field(..., description="Aiguilleur (code)")
    entry_date: Day = Field(..., description="Date d'entrée")
    entry_phase: int = Field(
        ...,
        ge=0,
        le=32767,
        description="Phase d'entrée : 2 ou 3 (3 seulement si la structure distingue les phases 2 et 3, règle R6)",
    )
    request_reason: Ref("request-reasons") = Field(..., description="Motif de sollicitation (code)")
    initial_interview_date: Day | None = Field(None, description="Date d'entretien d'initialisation")
    prescriber_name: Text(200) = Field("", description="Nom du prescripteur")
    referent_name: Text(200) = Field("", description="Nom du référent")
    project_type: Ref("project-types") | None = Field(None, description="Type de projet (code)")


class CepPatch(In):
    """R7: only the aiguilleur, motif, prescripteur, référent and type de projet change (dates: refused, 409 R7)."""

    orientation_source: Ref("orientation-sources") = Field(None, description="Aiguilleur (code)")
    request_reason: Ref("request-reasons") = Field(None, description="Motif de sollicitation (code)")
    prescriber_name: Text(200) = Field(None, description="Nom du prescripteur")
    referent_name: Text(200) = Field(None, description="Nom du référent")
    project_type: Ref("project-types") | None = Field(None, description="Type de projet (code)")
    entry_date: Day | None = Field(None, description="Jamais modifiable (refusé, règle R7)")
    initial_interview_date: Day | None = Field(None, description="Jamais modifiable (refusé, règle R7)")


class Phase3In(In):
    on: Day = Field(..., description="Date d'entrée en phase 3 (au plus tôt le lendemain de l'entrée en phase 2)")


class CloseIn(In):
    end_date: Day = Field(..., description="Date de fin réelle")
    exit_reason: Ref("exit-reasons") = Field(..., description="Motif de sortie (code)")
    project_type: Ref("project-types") | None = Field(
        None, description="Type de projet (obligatoire pour « Plan d'action réalisé »)"
    )


class CepOut(Schema):
    id: int
    beneficiary_id: int
    structure_id: int
    status: str = Field(
        description="phase2, phase3, closed ou deleted : l'état enregistré (phase3 dès que le passage en phase 3 est "
        "saisi, même daté dans le futur)"
    )
    status_label: str
    current_phase: int | None = Field(
        description="Phase où se trouve la personne aujourd'hui : la phase 2 court jusqu'à la veille d'une phase 3 "
        "datée dans le futur ; pour un CEP clôturé, la phase de sortie"
    )
    phase_label: str = Field(description="Nom de la phase du jour (current_phase)")
    phase3_planned_on: datetime.date | None = Field(
        description="Date d'entrée en phase 3 encore à venir (le CEP est en phase 2 jusqu'à la veille), sinon null"
    )
    orientation_source: str = Field(alias="orientation_source_id")
    initial_interview_date: datetime.date | None
    entry_date: datetime.date
    entry_phase: int
    request_reason: str = Field(alias="request_reason_id")
    prescriber_name: str
    referent_name: str
    project_type: str | None = Field(alias="project_type_id")
    phase2_entry_date: datetime.date | None
    phase2_end_date: datetime.date | None
    phase3_entry_date: datetime.date | None
    end_date: datetime.date | None
    exit_reason: str | None = Field(alias="exit_reason_id")
    ended_in_phase: int | None
    auto_closed: bool
    last_manifestation_date: datetime.date | None
    allowed_actions: list[str] = Field(
        description="Actions possibles maintenant (état, date du jour et règles R2, R6, R8, R10) : "
        "exactement celles que le service accepte avec une saisie valide"
    )
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @staticmethod
    def resolve_status_label(obj) -> str:
        return Status(obj.status).label

    @staticmethod
    def resolve_current_phase(obj):
        return obj.phase_today

    @staticmethod
    def resolve_phase_label(obj) -> str:
        return PHASE_LABELS.get(obj.phase_today or 0, "")

    @staticmethod
    def resolve_phase3_planned_on(obj):
        return obj.planned_phase3_date

    @staticmethod
    def resolve_allowed_actions(obj) -> list[str]:
        return allowed_actions(obj)


class ElsewhereOut(Schema):
    network: str = Field(description="Réseau de l'autre structure")
    structure: str = Field(description="Nom de l'autre structure")


class CepDetailOut(CepOut):
    double_accompaniment: list[ElsewhereOut] = Field(
        description="Autres structures où la même personne (même pseudonyme d'identité) a un CEP en cours : un "
        "avertissement, jamais un refus. Seuls le réseau et le nom de la structure sont donnés ; un demandeur "
        "d'emploi suivi par France Travail pendant qu'un autre opérateur lui délivre le CEP n'y figure pas."
    )

    @staticmethod
    def resolve_double_accompaniment(obj) -> list[dict]:
        return [{"network": e.network, "structure": e.structure} for e in overlaps.elsewhere(obj)]


class CepPage(Schema):
    items: list[CepOut]
    next_cursor: str | None


class HistoryEntryOut(Schema):
    id: int
    at: datetime.datetime = Field(description="Quand")
    actor_id: int | None = Field(description="Qui (identifiant ; null pour le système)")
    actor: str = Field(alias="actor_label", description="Qui")
    action: str = Field(description="Action (open, move_to_phase3, cancel_phase3, modify, close, …)")
    before: dict | None = Field(description="Avant")
    after: dict | None = Field(description="Après")


class HistoryPage(Schema):
    items: list[HistoryEntryOut]
    next_cursor: str | None


class PageQuery(Schema):
    cursor: Cursor | None = None
    limit: Limit = 20


def _confirmed(value: bool) -> bool:
    if value is not True:
        raise ValueError("La suppression doit être confirmée (confirm=true).")
    return value


Confirmation = Annotated[bool, AfterValidator(_confirmed), WithJsonSchema({"type": "boolean", "const": True})]


class DeleteQuery(Schema):
    confirm: Confirmation = Field(
        ..., description="Obligatoire, et seulement true : la suppression est confirmée (sinon 422 CONFIRMATION)"
    )


def _cep(request, cep_id: int):
    """A CEP of the user's structure, or 404: another structure's CEP, and a deleted one (as on the web pages, R11:
    a deleted CEP no longer exists for anyone; its deletion stays in the dossier's events and in the audit)."""
    return with_action_facts(Cep.objects.visible_to(request.auth).exclude(status=Status.DELETED)).get(pk=cep_id)


@router.post(
    "/beneficiaries/{beneficiary_id}/ceps",
    response=responses({201: CepDetailOut}, write=True),
    summary="Ajouter le dispositif CEP",
    description="Si la personne a déjà un CEP en cours dans une autre structure, le dispositif est ajouté et "
    "`double_accompaniment` le signale (réseau et nom de l'autre structure seulement).",
)
def open_cep(request, beneficiary_id: int, payload: CepIn):
    beneficiary = get_beneficiary(request.auth, beneficiary_id)
    on = payload.entry_date
    cep = services.open_cep(
        beneficiary=beneficiary,
        actor=request.auth,
        orientation_source=refs.ref(
            ref.OrientationSource, payload.orientation_source, field="orientation_source", on=on
        ),
        entry_date=payload.entry_date,
        entry_phase=payload.entry_phase,
        request_reason=refs.ref(ref.RequestReason, payload.request_reason, field="request_reason", on=on),
        initial_interview_date=payload.initial_interview_date,
        prescriber_name=payload.prescriber_name,
        referent_name=payload.referent_name,
        project_type=refs.ref(ref.ProjectType, payload.project_type, field="project_type", on=on),
    )
    return Respond(201, cep)


@router.get(
    "/beneficiaries/{beneficiary_id}/ceps",
    response=responses({200: CepPage}, page=True),
    summary="Dispositifs CEP du dossier",
    description="Les plus récents d'abord ; les dispositifs supprimés sont exclus.",
)
def list_ceps(request, beneficiary_id: int, page: Query[PageQuery]):
    beneficiary = get_beneficiary(request.auth, beneficiary_id)
    qs = with_action_facts(Cep.objects.visible_to(request.auth)).filter(beneficiary=beneficiary)
    qs = qs.exclude(status=Status.DELETED)
    rows, cursor = keyset_page(qs, order=("-entry_date", "-id"), cursor=page.cursor, limit=page.limit)
    return {"items": rows, "next_cursor": cursor}


@router.get("/ceps/{cep_id}", response=responses({200: CepDetailOut}), summary="Lire un dispositif CEP")
def read_cep(request, cep_id: int):
    return _cep(request, cep_id)


@router.patch(
    "/ceps/{cep_id}",
    response=responses({200: CepOut}, write=True),
    summary="Modifier (avant clôture)",
    description="Seuls l'aiguilleur, le motif de sollicitation, le prescripteur, le référent et le type de projet "
    "sont modifiables (R7).",
)
def modify_cep(request, cep_id: int, payload: CepPatch):
    cep = _cep(request, cep_id)
    changes = payload.dict(exclude_unset=True)
    for name, model in (
        ("orientation_source", ref.OrientationSource),
        ("request_reason", ref.RequestReason),
        ("project_type", ref.ProjectType),
    ):
        if name in changes:
            changes[name] = refs.ref(model, changes[name], field=name, on=cep.entry_date)
    return services.modify_cep(cep=cep, actor=request.auth, **changes)


@router.post("/ceps/{cep_id}/phase3", response=responses({200: CepOut}, write=True), summary="Passer en phase 3")
def move_to_phase3(request, cep_id: int, payload: Phase3In):
    return services.move_to_phase3(cep=_cep(request, cep_id), on=payload.on, actor=request.auth)


@router.post(
    "/ceps/{cep_id}/cancel-phase3",
    response=responses({200: CepOut}, write=True),
    summary="Annuler le passage en phase 3",
)
def cancel_phase3(request, cep_id: int):
    return services.cancel_phase3(cep=_cep(request, cep_id), actor=request.auth)


@router.post("/ceps/{cep_id}/close", response=responses({200: CepOut}, write=True), summary="Clôturer le dispositif")
def close_cep(request, cep_id: int, payload: CloseIn):
    cep = _cep(request, cep_id)
    return services.close_cep(
        cep=cep,
        actor=request.auth,
        end_date=payload.end_date,
        exit_reason=refs.ref(ref.ExitReason, payload.exit_reason, field="exit_reason", on=payload.end_date),
        project_type=refs.ref(ref.ProjectType, payload.project_type, field="project_type"),
    )


@router.post("/ceps/{cep_id}/reopen", response=responses({200: CepOut}, write=True), summary="Rouvrir")
def reopen_cep(request, cep_id: int):
    return services.reopen_cep(cep=_cep(request, cep_id), actor=request.auth)


@router.delete(
    "/ceps/{cep_id}",
    response=responses({200: CepOut}, write=True),
    summary="Supprimer le dispositif",
    description="Exige ?confirm=true ; la suppression est enregistrée comme événement « Suppression de dispositif ». "
    "Un dispositif supprimé n'existe plus pour personne : le lire, le modifier ou le supprimer à nouveau répond 404.",
)
def delete_cep(request, cep_id: int, query: Query[DeleteQuery]):
    return services.delete_cep(cep=_cep(request, cep_id), actor=request.auth)


@router.get(
    "/ceps/{cep_id}/history",
    response=responses({200: HistoryPage}, page=True),
    summary="Historique du dispositif",
    description="Qui, quand, quelle action, avant, après (R12), du plus ancien au plus récent.",
)
def history(request, cep_id: int, page: Query[PageQuery]):
    cep = _cep(request, cep_id)
    rows, cursor = keyset_page(cep_history(cep), order=("id",), cursor=page.cursor, limit=page.limit)
    return {"items": rows, "next_cursor": cursor}
