"""Orientations between structures (issue 11, part 2): the directory, sending from a dossier, both sides' lists, the
orientation with its history, and the answers. Same rules as the portal (cep.orientations.services): « Orienter
une personne vers une autre structure » sends, cancels and records a withdrawal of consent; « Traiter les
orientations reçues » accepts and refuses; an orientation of a third structure is a 404."""

import datetime
from typing import Annotated, Literal

from ninja import Field, Query, Router, Schema
from ninja import Status as Respond
from pydantic import StringConstraints

from cep.accounts.rights import Right
from cep.beneficiaries.models import Beneficiary
from cep.common import keyset
from cep.common.access import ensure_right
from cep.common.errors import RuleViolation
from cep.organisations import services as organisation_services
from cep.organisations.models import Structure
from cep.orientations import queries, services
from cep.orientations.models import Orientation, OrientationEntry
from cep.orientations.workflow import MAX_MESSAGE
from cep.referentials import models as ref

from . import refs
from .auth import dossier_auth, personal_data_auth
from .beneficiaries import Email, get_beneficiary
from .errors import responses
from .pagination import decode_or_409, keyset_page
from .schemas import Commune, Cursor, Day, In, Limit, ObjectId, Ref, Text

router = Router(auth=dossier_auth, tags=["Orientations"])

OrientationStatus = Literal["envoyee", "acceptee", "refusee", "expiree", "annulee", "obsolete"]
SummaryField = Literal[tuple(services.OPTIONAL_FIELDS)]


class StructureOut(Schema):
    id: int
    name: str
    network: str = Field(alias="network_id")
    department: str = Field(alias="department_id")
    served_departments: list[str] = Field(alias="served_codes", description="Départements desservis")
    public: str
    contact_email: str
    contact_phone: str
    address: str
    serves_commune: bool = Field(alias="serves", description="Dessert le département de la commune demandée")
    average_answer_days: float | None = Field(
        alias="delay", description="Délai moyen de réponse mesuré (jours) ; null : pas encore mesuré"
    )


class StructurePage(Schema):
    items: list[StructureOut]
    next_cursor: str | None


class DirectoryFilters(Schema):
    commune: Commune | None = Field(None, description="Code INSEE de la commune de la personne")
    network: Ref("networks") | None = Field(None, description="Réseau (code)")
    cursor: Cursor | None = None
    limit: Limit = 20


DepartmentCode = Annotated[
    str,
    StringConstraints(max_length=3, pattern=r"^(?:\d{2,3}|2[AB])$"),
    Field(description="Code INSEE du département (01, 2A, 974…)"),
]


class DirectoryEntryPatch(In):
    """Only the fields sent are changed."""

    served_departments: list[DepartmentCode] = Field(
        None,
        max_length=organisation_services.MAX_SERVED_DEPARTMENTS,
        description="Départements desservis (codes) ; liste vide : le département de la structure",
    )
    public: Text(255) = Field(None, description="Public accueilli")
    contact_email: Email = Field(None, description="Courriel de contact (vide : aucun)")
    contact_phone: Text(20) = Field(None, description="Téléphone de contact")
    address: Text(255) = Field(None, description="Adresse")


class SendIn(In):
    target_structure: ObjectId = Field(..., description="Structure destinataire (identifiant, voir /structures)")
    consent_mode: Ref("consent-modes") = Field(..., description="Forme du consentement de la personne")
    consent_on: Day | None = Field(None, description="Date du consentement (aujourd'hui par défaut)")
    fields: list[SummaryField] = Field(
        list(services.DEFAULT_FIELDS),
        max_length=len(services.OPTIONAL_FIELDS),
        description="Champs transmis en plus de l'identité (toujours transmise)",
    )
    comment: Text(MAX_MESSAGE) = Field("", description="Message à la structure destinataire")


class MessageIn(In):
    text: Text(MAX_MESSAGE) = Field(..., min_length=1, description="Message")


class AcceptIn(In):
    match_beneficiary: ObjectId | None = Field(
        None, description="Dossier de la personne dans votre structure (détection des doublons)"
    )
    new_dossier: bool = Field(False, description="Aucun dossier proposé n'est la personne : en créer un")


class RefuseIn(In):
    reason: Ref("orientation-refusal-reasons") = Field(..., description="Motif du refus")
    comment: Text(MAX_MESSAGE) = Field("", description="Message à la structure d'origine")


class CancelIn(In):
    comment: Text(MAX_MESSAGE) = Field("", description="Message à la structure destinataire")


class EntryOut(Schema):
    kind: str
    at: datetime.datetime
    author: str = Field(alias="author_label")
    structure: str = Field(alias="structure_name")
    comment: str


class OrientationOut(Schema):
    id: int
    status: OrientationStatus
    source_structure_id: int
    source_structure_name: str
    target_structure_id: int
    target_structure_name: str
    sent_at: datetime.datetime
    answered_at: datetime.datetime | None
    summary: dict = Field(description="Synthèse de niveau 1 copiée à l'envoi : {champ: {label, value, display}}")
    sent_fields: list[str]
    comment: str
    consent_mode: str = Field(alias="consent_mode_id")
    consent_at: datetime.datetime
    consent_withdrawn_at: datetime.datetime | None
    refusal_reason: str | None = Field(alias="refusal_reason_id")
    answer_comment: str
    orientation_source: str = Field(alias="orientation_source_id", description="Aiguilleur du futur CEP")
    target_beneficiary_id: int | None = Field(
        description="Dossier de la personne dans la structure destinataire (visible d'elle seule)"
    )


class OrientationDetail(OrientationOut):
    history: list[EntryOut]


class OrientationPage(Schema):
    items: list[OrientationOut]
    next_cursor: str | None


class ListFilters(Schema):
    box: Literal["recues", "envoyees"] = Field("recues", description="Orientations reçues ou envoyées")
    status: OrientationStatus | None = None
    cursor: Cursor | None = None
    limit: Limit = 20


def _get(request, orientation_id: int) -> Orientation:
    return queries.get_orientation(request.auth, orientation_id)


def _out(request, o: Orientation) -> Orientation:
    """B's dossier id is B's: A reads null (and B never reads A's dossier id)."""
    if request.auth.structure_id == o.source_structure_id:
        o.target_beneficiary_id = None
    return o


@router.get(
    "/structures",
    response=responses({200: StructurePage}, page=True),
    summary="Annuaire des structures",
    description="Avec une commune : les structures qui desservent son département d'abord, puis celles de sa "
    "région ; par nom dans chaque groupe (curseur). Votre structure n'y figure pas (voir GET /structure).",
)
def directory(request, filters: Query[DirectoryFilters]):
    commune = refs.commune(filters.commune) if filters.commune else None
    if filters.network:
        refs.ref(ref.Network, filters.network, field="network")
    rows, last = queries.directory_page(
        commune=commune,
        network=filters.network,
        exclude=request.auth.structure_id,
        after=decode_or_409(filters.cursor, queries.DIRECTORY_KEY),
        limit=filters.limit,
    )
    return {"items": rows, "next_cursor": keyset.encode(last) if last else None}


def _own_structure(user) -> Structure:
    """The user's structure, with its directory entry (404 for an administrator without one)."""
    ensure_right(user, Right.MANAGE_STRUCTURE)  # 403 naming the right before any work
    if user.structure_id is None:
        raise Structure.DoesNotExist
    structure = Structure.objects.prefetch_related("served_departments").get(pk=user.structure_id)
    structure.rank = 0
    return queries.decorate_directory_rows([structure], None)[0]


@router.get(
    "/structure",
    auth=personal_data_auth,
    response=responses({200: StructureOut}),
    summary="Lire la fiche de sa structure dans l'annuaire",
    description="Droit « Gérer la structure ». Le délai moyen de réponse est mesuré, jamais saisi.",
)
def own_structure(request):
    return _own_structure(request.auth)


@router.patch(
    "/structure",
    auth=personal_data_auth,
    response=responses({200: StructureOut}, write=True),
    summary="Modifier la fiche de sa structure dans l'annuaire",
    description="Droit « Gérer la structure ». Seuls les champs envoyés changent ; chaque modification est tracée. "
    "Un département inconnu : 409 REFERENTIEL ; un courriel ou un téléphone refusé : 409 ANNUAIRE.",
)
def update_own_structure(request, payload: DirectoryEntryPatch):
    structure = _own_structure(request.auth)
    organisation_services.update_directory_entry(
        structure=structure, actor=request.auth, **payload.dict(exclude_unset=True)
    )
    return _own_structure(request.auth)


@router.post(
    "/beneficiaries/{beneficiary_id}/orientations",
    response=responses({201: OrientationOut}, write=True),
    summary="Orienter la personne vers une autre structure",
)
def send(request, beneficiary_id: int, payload: SendIn):
    beneficiary = get_beneficiary(request.auth, beneficiary_id)
    target = Structure.objects.filter(pk=payload.target_structure).first()
    if target is None:
        raise RuleViolation("REFERENTIEL", "Aucune structure ne porte cet identifiant.", field="target_structure")
    o = services.send_orientation(
        beneficiary=beneficiary,
        actor=request.auth,
        target=target,
        consent_mode=refs.ref(ref.ConsentMode, payload.consent_mode, field="consent_mode"),
        consent_on=payload.consent_on,
        fields=payload.fields,
        comment=payload.comment,
    )
    return Respond(201, _out(request, o))


@router.get(
    "/orientations",
    response=responses({200: OrientationPage}, page=True),
    summary="Orientations reçues ou envoyées",
    description="De la plus récente à la plus ancienne (curseur).",
)
def list_orientations(request, filters: Query[ListFilters]):
    user = request.auth
    if filters.box == "recues":
        ensure_right(user, Right.HANDLE_ORIENTATIONS)
        qs = Orientation.objects.received_by_structure_of(user)
    else:
        ensure_right(user, Right.ORIENT)
        qs = Orientation.objects.sent_by_structure_of(user)
    if filters.status:
        qs = qs.filter(status=filters.status)
    rows, cursor = keyset_page(qs, order=("-id",), cursor=filters.cursor, limit=filters.limit)
    return {"items": [_out(request, o) for o in rows], "next_cursor": cursor}


@router.get(
    "/orientations/{orientation_id}", response=responses({200: OrientationDetail}), summary="Lire une orientation"
)
def read(request, orientation_id: int):
    return _detail(request, _get(request, orientation_id))


def _detail(request, o: Orientation) -> Orientation:
    o = _out(request, o)
    o.history = list(OrientationEntry.objects.filter(orientation=o))
    return o


@router.post(
    "/orientations/{orientation_id}/messages",
    response=responses({201: EntryOut}, write=True),
    summary="Écrire à l'autre structure",
    description="Relance les délais d'expiration (30 jours) et de rappel (10 jours).",
)
def message(request, orientation_id: int, payload: MessageIn):
    return Respond(
        201, services.post_message(orientation=_get(request, orientation_id), actor=request.auth, text=payload.text)
    )


@router.post(
    "/orientations/{orientation_id}/accept",
    response=responses({200: OrientationDetail}, write=True),
    summary="Accepter une orientation reçue",
    description="Le dossier est retrouvé (match_beneficiary, parmi les doublons possibles) ou créé ; 409 "
    "ORIENTATION avec details.candidates quand un dossier de votre structure peut être la personne.",
)
def accept(request, orientation_id: int, payload: AcceptIn):
    o = _get(request, orientation_id)
    match = None
    if payload.match_beneficiary is not None:
        match = Beneficiary.objects.visible_to(request.auth).filter(pk=payload.match_beneficiary).first()
        if match is None:
            raise RuleViolation("ORIENTATION", "Dossier introuvable dans votre structure.", field="match_beneficiary")
    o = services.accept_orientation(orientation=o, actor=request.auth, match=match, new_dossier=payload.new_dossier)
    return _detail(request, o)


@router.post(
    "/orientations/{orientation_id}/refuse",
    response=responses({200: OrientationDetail}, write=True),
    summary="Refuser une orientation reçue",
)
def refuse(request, orientation_id: int, payload: RefuseIn):
    o = services.refuse_orientation(
        orientation=_get(request, orientation_id),
        actor=request.auth,
        reason=refs.ref(ref.OrientationRefusalReason, payload.reason, field="reason"),
        comment=payload.comment,
    )
    return _detail(request, o)


@router.post(
    "/orientations/{orientation_id}/cancel",
    response=responses({200: OrientationDetail}, write=True),
    summary="Annuler une orientation envoyée",
)
def cancel(request, orientation_id: int, payload: CancelIn):
    o = services.cancel_orientation(
        orientation=_get(request, orientation_id), actor=request.auth, comment=payload.comment
    )
    return _detail(request, o)


@router.post(
    "/orientations/{orientation_id}/withdraw-consent",
    response=responses({200: OrientationDetail}, write=True),
    summary="Enregistrer le retrait du consentement de la personne",
    description="Une orientation en attente est annulée.",
)
def withdraw_consent(request, orientation_id: int):
    return _detail(request, services.withdraw_consent(orientation=_get(request, orientation_id), actor=request.auth))
