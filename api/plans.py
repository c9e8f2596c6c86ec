"""The action plan of a CEP, its financing lines, its versions, and the documents handed to the person.

Same rules as the pages (cep/plans/services.py): writing needs « Proposer CEP » (the level-1 document « Gérer des
dossiers »), every write is a new version; a refusal answers 409 {"code": "FINANCEMENT", "message", "field"},
an unknown funder or service code 422. Amounts travel as strings of euros with cents (« 1234.50 »): a JSON number
is refused (a float is not an amount).
"""

import base64
import datetime
from typing import Literal

from ninja import Field, Query, Router, Schema
from ninja import Status as Respond

from cep.enrolments.models import Cep
from cep.offers.models import Service
from cep.plans import queries, services
from cep.plans.models import ActionPlan, FinancingLine, IssuedDocument, PlanStep
from cep.plans.versions import plan_totals
from cep.referentials import models as ref

from . import refs
from .auth import dossier_auth
from .beneficiaries import get_beneficiary
from .errors import responses
from .pagination import keyset_page
from .schemas import Cursor, Day, In, Limit, ObjectId, Ref, Text

router = Router(auth=dossier_auth, tags=["Plan d'action et documents"])

Amount = Text(20)


class PlanIn(In):
    project: Text(4000) = Field(None, description="Description du projet")
    strategies: Text(4000) = Field(None, description="Stratégies envisagées")
    person_steps: Text(4000) = Field(None, description="Démarches personnelles de la personne")
    support_needed: Text(4000) = Field(None, description="Appui méthodologique nécessaire")
    total_cost: Amount = Field(None, description="Coût total du parcours, en euros (« 4500.00 »)")


class StepIn(In):
    title: Text(200) = Field(..., description="Étape")
    objective: Text(500) = Field("", description="Objectif intermédiaire")
    start_date: Day | None = Field(None, description="Début prévu")
    target_date: Day | None = Field(None, description="Échéance")


class ActionIn(In):
    label: Text(300) = Field(..., description="Action")
    who: Text(200) = Field(..., description="Qui")
    due_date: Day | None = Field(None, description="Quand")
    status: Literal["prevue", "en_cours", "realisee", "abandonnee"] = Field("prevue", description="État")


class TrainingIn(In):
    provider: Text(200) = Field(..., description="Organisme de formation")
    title: Text(300) = Field(..., description="Intitulé")
    start_date: Day | None = None
    end_date: Day | None = None
    certification_kind: Literal["", "RNCP", "RS"] = Field("", description="Répertoire de la certification")
    certification_code: Text(12) = Field("", description="Numéro de la fiche (« 35185 »)")
    formacode: Text(5) = Field("", description="Formacode : cinq chiffres")
    formacode_label: Text(200) = Field("", description="Libellé du Formacode")
    qualiopi: Literal["certifie", "non_certifie", "inconnu"] = Field("inconnu", description="Qualiopi de l'organisme")


class ServiceIn(In):
    service: Ref("complementary-services") = Field(
        ..., description="Prestation complémentaire (code du référentiel complementary-services)"
    )
    planned_date: Day | None = None
    comment: Text(300) = ""


class LineIn(In):
    funder: Ref("funders") = Field(..., description="Financeur (code du référentiel funders)")
    amount: Amount | None = Field(None, description="Montant en euros avec les centimes (« 1234.50 »)")
    status: Literal["envisage", "sollicite", "accorde", "refuse"] = Field("envisage", description="État")
    comment: Text(300) = ""


class LinePatch(In):
    funder: Ref("funders") | None = Field(None, description="Financeur (code du référentiel funders)")
    amount: Amount | None = Field(None, description="Montant en euros (« 1234.50 »)")
    status: Literal["envisage", "sollicite", "accorde", "refuse"] = Field(
        None, description="État : envisagé → sollicité → accordé ou refusé"
    )
    comment: Text(300) = Field(None)


class ActionOut(Schema):
    id: int
    label: str
    who: str
    due_date: datetime.date | None
    status: str


class StepOut(Schema):
    id: int
    position: int
    title: str
    objective: str
    start_date: datetime.date | None
    target_date: datetime.date | None
    actions: list[ActionOut]

    @staticmethod
    def resolve_actions(obj):
        return list(obj.actions.all())


class TrainingOut(Schema):
    id: int
    provider: str
    title: str
    start_date: datetime.date | None
    end_date: datetime.date | None
    certification_kind: str
    certification_code: str
    formacode: str
    formacode_label: str
    qualiopi: str


class ServiceOut(Schema):
    id: int
    service: str = Field(alias="service_id")
    planned_date: datetime.date | None
    comment: str


class LineOut(Schema):
    id: int
    funder: str = Field(alias="funder_id")
    amount: str | None = Field(description="Montant en euros (« 1234.50 »)")
    status: str
    comment: str

    @staticmethod
    def resolve_amount(obj):
        return None if obj.amount is None else f"{obj.amount:.2f}"


class TotalsOut(Schema):
    total_cost: str
    expected: str = Field(description="Financements envisagés, sollicités ou accordés (hors la personne)")
    granted: str = Field(description="Financements accordés (hors la personne)")
    person: str = Field(description="Contribution de la personne")
    reste_a_charge: str = Field(description="Coût total moins les financements accordés, jamais négatif (calculé)")
    reste_a_charge_expected: str = Field(description="Coût total moins les financements attendus (calculé)")


class PlanOut(Schema):
    id: int
    cep_id: int
    version: int
    project: str
    strategies: str
    person_steps: str
    support_needed: str
    total_cost: str
    steps: list[StepOut]
    trainings: list[TrainingOut]
    services: list[ServiceOut]
    financing_lines: list[LineOut]
    totals: TotalsOut
    updated_at: datetime.datetime

    @staticmethod
    def resolve_total_cost(obj):
        return f"{obj.total_cost:.2f}"

    @staticmethod
    def resolve_steps(obj):
        return list(obj.steps.all())

    @staticmethod
    def resolve_trainings(obj):
        return list(obj.trainings.all())

    @staticmethod
    def resolve_services(obj):
        return list(obj.services.all())

    @staticmethod
    def resolve_financing_lines(obj):
        return list(obj.financing_lines.all())

    @staticmethod
    def resolve_totals(obj):
        sums = plan_totals(obj, list(obj.financing_lines.all()))
        return {name: f"{getattr(sums, name):.2f}" for name in TotalsOut.model_fields}


class VersionOut(Schema):
    number: int
    created_by: str = Field(alias="created_by_label")
    created_at: datetime.datetime


class VersionPage(Schema):
    items: list[VersionOut]
    next_cursor: str | None


class ChangeOut(Schema):
    section: str
    item: str
    field: str
    before: str
    after: str


class ComparisonOut(Schema):
    a: int
    b: int
    changes: list[ChangeOut]


class CompareQuery(Schema):
    a: int = Field(..., ge=1, le=2**31 - 1, description="Numéro d'une version")
    b: int = Field(..., ge=1, le=2**31 - 1, description="Numéro de l'autre version")


class PageQuery(Schema):
    cursor: Cursor | None = None
    limit: Limit = 20


class DocumentOut(Schema):
    id: int
    kind: str = Field(description="niveau1, synthese ou prise_de_recul")
    kind_label: str
    beneficiary_id: int
    cep_id: int | None
    service_id: int | None
    plan_version: int | None
    template_version: str
    sha256: str
    size: int
    issued_by: str = Field(alias="issued_by_label")
    issued_at: datetime.datetime

    @staticmethod
    def resolve_kind_label(obj):
        return obj.get_kind_display()

    @staticmethod
    def resolve_plan_version(obj):
        return obj.plan_version.number if obj.plan_version_id else None


class DocumentFull(DocumentOut):
    pdf_base64: str = Field(description="Le PDF remis, encodé en base64 (son SHA-256 est `sha256`)")

    @staticmethod
    def resolve_pdf_base64(obj):
        return base64.b64encode(bytes(obj.content)).decode()


class DocumentPage(Schema):
    items: list[DocumentOut]
    next_cursor: str | None


class CepDocumentIn(In):
    kind: Literal["synthese", "prise_de_recul"] = Field(..., description="Document de synthèse ou « Prise de recul »")
    interview_date: Day | None = Field(None, description="Prise de recul : date de l'entretien")
    demand: Text(4000) = Field("", description="Prise de recul : la demande")
    discussed: Text(4000) = Field("", description="Prise de recul : ce qui a été regardé ensemble (obligatoire)")
    next_steps: Text(4000) = Field("", description="Prise de recul : les pistes pour la suite")


class Level1In(In):
    service: ObjectId = Field(..., description="Le service CEP de niveau 1 du dossier")
    demand: Text(4000) = Field(..., description="La demande")
    need: Text(4000) = Field("", description="Le besoin clarifié")
    information: Text(4000) = Field("", description="Les informations données")
    decision: Text(4000) = Field(..., description="La décision de poursuivre ou non")
    orientation: Text(4000) = Field("", description="L'orientation vers un autre opérateur, s'il y a lieu")


def _cep(request, cep_id: int) -> Cep:
    return Cep.objects.visible_to(request.auth).exclude(status="deleted").get(pk=cep_id)


def _plan(request, cep_id: int) -> ActionPlan:
    plan = queries.plan_for_cep(request.auth, cep_id)
    if plan is None:
        raise ActionPlan.DoesNotExist
    return plan


@router.get("/ceps/{cep_id}/plan", response=responses({200: PlanOut}), summary="Lire le plan d'action")
def read_plan(request, cep_id: int):
    return _plan(request, cep_id)


@router.post(
    "/ceps/{cep_id}/plan",
    response=responses({200: PlanOut, 201: PlanOut}, write=True),
    summary="Créer le plan d'action",
    description="201 à la création (version 1) ; 200 avec le plan existant s'il y en a déjà un.",
)
def create_plan(request, cep_id: int):
    existed = ActionPlan.objects.filter(cep_id=cep_id).exists()
    services.create_plan(cep=_cep(request, cep_id), actor=request.auth)
    return Respond(200 if existed else 201, _plan(request, cep_id))


@router.patch("/ceps/{cep_id}/plan", response=responses({200: PlanOut}, write=True), summary="Modifier le projet")
def update_plan(request, cep_id: int, payload: PlanIn):
    services.update_plan(plan=_plan(request, cep_id), actor=request.auth, **payload.dict(exclude_unset=True))
    return _plan(request, cep_id)


@router.post("/ceps/{cep_id}/plan/steps", response=responses({201: PlanOut}, write=True), summary="Ajouter une étape")
def add_step(request, cep_id: int, payload: StepIn):
    services.add_step(plan=_plan(request, cep_id), actor=request.auth, **payload.dict())
    return Respond(201, _plan(request, cep_id))


@router.post(
    "/ceps/{cep_id}/plan/steps/{step_id}/actions",
    response=responses({201: PlanOut}, write=True),
    summary="Ajouter une action à une étape",
)
def add_action(request, cep_id: int, step_id: int, payload: ActionIn):
    step = PlanStep.objects.get(pk=step_id, plan=_plan(request, cep_id))
    services.add_action(step=step, actor=request.auth, **payload.dict())
    return Respond(201, _plan(request, cep_id))


@router.post(
    "/ceps/{cep_id}/plan/trainings",
    response=responses({201: PlanOut}, write=True),
    summary="Ajouter une formation au parcours",
)
def add_training(request, cep_id: int, payload: TrainingIn):
    services.add_training(plan=_plan(request, cep_id), actor=request.auth, **payload.dict())
    return Respond(201, _plan(request, cep_id))


@router.post(
    "/ceps/{cep_id}/plan/services",
    response=responses({201: PlanOut}, write=True),
    summary="Ajouter une prestation complémentaire",
)
def add_service(request, cep_id: int, payload: ServiceIn):
    refs.ref(ref.ComplementaryService, payload.service, field="service")  # an unknown code is a 422
    services.add_service(plan=_plan(request, cep_id), actor=request.auth, **payload.dict())
    return Respond(201, _plan(request, cep_id))


@router.get(
    "/ceps/{cep_id}/plan/financing-lines",
    response=responses({200: list[LineOut]}),
    summary="Lignes du plan de financement",
)
def list_lines(request, cep_id: int):
    return list(_plan(request, cep_id).financing_lines.all())


@router.post(
    "/ceps/{cep_id}/plan/financing-lines",
    response=responses({201: LineOut}, write=True),
    summary="Ajouter une ligne de financement",
)
def add_line(request, cep_id: int, payload: LineIn):
    refs.ref(ref.Funder, payload.funder, field="funder")  # an unknown code is a 422
    line = services.add_financing_line(plan=_plan(request, cep_id), actor=request.auth, **payload.dict())
    return Respond(201, line)


@router.patch(
    "/ceps/{cep_id}/plan/financing-lines/{line_id}",
    response=responses({200: LineOut}, write=True),
    summary="Modifier une ligne de financement",
)
def update_line(request, cep_id: int, line_id: int, payload: LinePatch):
    line = FinancingLine.objects.get(pk=line_id, plan=_plan(request, cep_id))
    refs.ref(ref.Funder, payload.funder, field="funder")  # an unknown code is a 422
    return services.update_financing_line(line=line, actor=request.auth, **payload.dict(exclude_unset=True))


@router.get(
    "/ceps/{cep_id}/plan/versions",
    response=responses({200: VersionPage}, page=True),
    summary="Versions du plan d'action",
    description="La plus récente d'abord : chaque enregistrement est une version (qui, quand).",
)
def list_versions(request, cep_id: int, page: Query[PageQuery]):
    plan = _plan(request, cep_id)
    rows, cursor = keyset_page(queries.plan_versions(plan), order=("-number",), cursor=page.cursor, limit=page.limit)
    return {"items": rows, "next_cursor": cursor}


@router.get(
    "/ceps/{cep_id}/plan/versions/compare",
    response=responses({200: ComparisonOut}),
    summary="Comparer deux versions",
    description="Exactement les champs qui diffèrent, élément par élément ; 404 pour un numéro inconnu.",
)
def compare_versions(request, cep_id: int, query: Query[CompareQuery]):
    plan = _plan(request, cep_id)
    try:
        first, second, changes = queries.compare_versions(plan, query.a, query.b)
    except KeyError:
        raise ActionPlan.DoesNotExist from None
    return {"a": first.number, "b": second.number, "changes": [c.__dict__ for c in changes]}


@router.get(
    "/beneficiaries/{beneficiary_id}/documents",
    response=responses({200: DocumentPage}, page=True),
    summary="Documents remis à la personne",
)
def list_documents(request, beneficiary_id: int, page: Query[PageQuery]):
    beneficiary = get_beneficiary(request.auth, beneficiary_id)
    qs = queries.dossier_documents(request.auth, beneficiary.pk).select_related("plan_version")
    rows, cursor = keyset_page(qs, order=("-id",), cursor=page.cursor, limit=page.limit)  # ids follow issue order
    return {"items": rows, "next_cursor": cursor}


@router.post(
    "/ceps/{cep_id}/documents",
    response=responses({201: DocumentOut}, write=True),
    summary="Remettre le document de synthèse ou « Prise de recul »",
)
def issue_cep_document(request, cep_id: int, payload: CepDocumentIn):
    cep = _cep(request, cep_id)
    if payload.kind == "synthese":
        document = services.issue_synthesis(cep=cep, actor=request.auth)
    else:
        document = services.issue_step_back(cep=cep, actor=request.auth, **payload.dict(exclude={"kind"}))
    return Respond(201, document)


@router.post(
    "/beneficiaries/{beneficiary_id}/documents/level1",
    response=responses({201: DocumentOut}, write=True),
    summary="Remettre le document de niveau 1",
)
def issue_level1(request, beneficiary_id: int, payload: Level1In):
    beneficiary = get_beneficiary(request.auth, beneficiary_id)
    service = Service.objects.visible_to(request.auth).get(pk=payload.service, beneficiary=beneficiary)
    values = payload.dict(exclude={"service"})
    return Respond(201, services.issue_level1(service=service, actor=request.auth, **values))


@router.get(
    "/documents/{document_id}",
    response=responses({200: DocumentFull}),
    summary="Lire un document remis (avec son PDF)",
)
def read_document(request, document_id: int):
    return IssuedDocument.objects.visible_to(request.auth).select_related("plan_version").get(pk=document_id)
