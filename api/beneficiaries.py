"""Beneficiary dossiers: create, read, update, justify, search. RQTH only with ?include=rqth (logged)."""

import datetime
from typing import Annotated, Literal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from ninja import Field, Query, Router, Schema
from ninja import Status as Respond
from pydantic import AfterValidator, WithJsonSchema

from cep.beneficiaries import services
from cep.beneficiaries.eligibility import ineligibility_reasons
from cep.beneficiaries.models import Beneficiary
from cep.beneficiaries.queries import SearchTextError, read_rqth
from cep.common.dates import today
from cep.common.errors import RuleViolation
from cep.enrolments.queries import SEARCH_KEY, search_beneficiaries
from cep.referentials.models import EmploymentStatus, QualificationLevel

from . import refs
from .auth import dossier_auth
from .errors import ApiError, responses
from .pagination import decode_or_409
from .schemas import Commune, Cursor, Day, In, Limit, ObjectId, Ref, Text

router = Router(auth=dossier_auth, tags=["Bénéficiaires"])

Sex = Literal["F", "M"]
DossierStatus = Literal["incomplete", "justified"]
Include = Literal["rqth"]


def _email(value: str) -> str:
    if value:
        try:
            validate_email(value)
        except ValidationError:
            raise ValueError("Adresse de courriel invalide.")
    return value


Email = Annotated[
    Text(254),
    AfterValidator(_email),
    # "" (no e-mail) or an address; published as such (format: email) so that clients know what is accepted.
    WithJsonSchema({"anyOf": [{"type": "string", "format": "email", "maxLength": 254}, {"const": ""}]}),
]


class BeneficiaryIn(In):
    last_name: Text(100) = Field(..., min_length=1, description="Nom")
    first_name: Text(100) = Field(..., min_length=1, description="Prénom")
    birth_name: Text(100) = Field("", description="Nom de naissance")
    sex: Sex = Field(..., description="Sexe : F (Femme) ou M (Homme)")
    birth_date: Day = Field(..., description="Date de naissance")
    email: Email = Field("", description="Courriel")
    phone: Text(20) = Field("", description="Téléphone")
    address: Text(255) = Field("", description="Adresse")
    commune: Commune | None = Field(None, description="Commune de résidence (code INSEE)")
    employment_status: Ref("employment-statuses") | None = Field(None, description="Situation professionnelle (code)")
    holds_or_seeks_job: bool = Field(True, description="Occupe ou recherche un emploi")
    qualification_level: Ref("qualification-levels") | None = Field(None, description="Niveau de qualification (code)")
    has_rqth: bool = Field(False, description="Reconnaissance de la qualité de travailleur handicapé (RQTH)")
    target_rome_code: Text(5) = Field("", description="Code ROME du métier visé")
    first_reception_date: Day = Field(..., description="Date de premier accueil")
    referent: ObjectId | None = Field(None, description="Conseiller référent (identifiant) ; par défaut, vous")


class BeneficiaryPatch(In):
    """Only the fields sent are changed. A required field cannot be set to null."""

    last_name: Text(100) = Field(None, min_length=1, description="Nom")
    first_name: Text(100) = Field(None, min_length=1, description="Prénom")
    birth_name: Text(100) = Field(None, description="Nom de naissance")
    sex: Sex = Field(None, description="Sexe : F ou M")
    birth_date: Day = Field(None, description="Date de naissance")
    email: Email = Field(None, description="Courriel")
    phone: Text(20) = Field(None, description="Téléphone")
    address: Text(255) = Field(None, description="Adresse")
    commune: Commune | None = Field(None, description="Commune de résidence (code INSEE)")
    employment_status: Ref("employment-statuses") | None = Field(None, description="Situation professionnelle (code)")
    holds_or_seeks_job: bool = Field(None, description="Occupe ou recherche un emploi")
    qualification_level: Ref("qualification-levels") | None = Field(None, description="Niveau de qualification (code)")
    has_rqth: bool = Field(None, description="RQTH")
    target_rome_code: Text(5) = Field(None, description="Code ROME du métier visé")
    first_reception_date: Day = Field(None, description="Date de premier accueil")
    referent: ObjectId | None = Field(None, description="Conseiller référent (identifiant)")


class BeneficiaryOut(Schema):
    id: int
    structure_id: int
    referent_id: int | None
    last_name: str
    first_name: str
    birth_name: str
    sex: str
    birth_date: datetime.date
    email: str
    phone: str
    address: str
    commune: str | None = Field(description="Code INSEE de la commune de résidence")
    department: str | None
    region: str | None
    employment_status: str | None
    holds_or_seeks_job: bool
    qualification_level: str | None
    target_rome_code: str
    first_reception_date: datetime.date
    status: str = Field(description="Statut du dossier : incomplete (À compléter) ou justified (Justifié)")
    justified_at: datetime.datetime | None
    created_at: datetime.datetime
    updated_at: datetime.datetime
    has_rqth: bool | None = Field(None, description="RQTH : présent seulement avec ?include=rqth (lecture tracée)")


class ReasonOut(Schema):
    code: str = Field(description="not_active, too_young, too_old ou public_agent")
    message: str = Field(description="Le motif, en français (le même que sur la page du dossier)")
    field: str = Field(description="Champ du dossier en cause : birth_date ou employment_status")


class EligibilityOut(Schema):
    eligible: bool = Field(description="La personne peut recevoir un CEP de votre structure aujourd'hui")
    reasons: list[ReasonOut] = Field(description="Pourquoi elle ne le peut pas (vide si elle est éligible)")


class BeneficiaryDetailOut(BeneficiaryOut):
    eligibility: EligibilityOut = Field(
        description="Éligibilité au CEP aujourd'hui, selon le réseau de la structure (âge, situation "
        "professionnelle) : la même vérification que l'ajout du dispositif (règle ELIGIBILITE)"
    )


class BeneficiaryPage(Schema):
    items: list[BeneficiaryOut]
    next_cursor: str | None = Field(description="Curseur de la page suivante, null sur la dernière page")
    count: int = Field(
        description="Nombre total de dossiers trouvés (toutes pages), compté jusqu'à 1 000 : au-delà, 1001 et "
        "count_capped vaut true"
    )
    count_capped: bool = Field(description="true quand plus de 1 000 dossiers correspondent")
    approximate: bool = Field(
        description="true quand aucun nom ne correspond exactement et que les résultats admettent une faute de "
        "frappe par mot (« Résultats approchants »)"
    )


class BeneficiaryFilters(Schema):
    name: Text(100) = Field(
        "",
        description="Nom et/ou prénom dans n'importe quel ordre (chaque mot est un début de mot du nom), sans "
        "tenir compte des accents ni de la casse ; peut contenir une date de naissance jj/mm/aaaa et un numéro de "
        "téléphone",
    )
    birth_date: Day | None = Field(None, description="Date de naissance")
    status: DossierStatus | None = Field(None, description="Statut du dossier")
    referent: ObjectId | None = Field(None, description="Conseiller référent (identifiant)")
    cursor: Cursor | None = None
    limit: Limit = 20


def data(b) -> dict:
    """The JSON of a dossier, without the RQTH (see _read)."""
    out = {
        "id": b.pk,
        "structure_id": b.structure_id,
        "referent_id": b.referent_id,
        "last_name": b.last_name,
        "first_name": b.first_name,
        "birth_name": b.birth_name,
        "sex": b.sex,
        "birth_date": b.birth_date,
        "email": b.email,
        "phone": b.phone,
        "address": b.address,
        "commune": b.commune_id,
        "department": b.department_id,
        "region": b.region_id,
        "employment_status": b.employment_status_id,
        "holds_or_seeks_job": b.holds_or_seeks_job,
        "qualification_level": b.qualification_level_id,
        "target_rome_code": b.target_rome_code,
        "first_reception_date": b.first_reception_date,
        "status": b.status,
        "justified_at": b.justified_at,
        "created_at": b.created_at,
        "updated_at": b.updated_at,
    }
    return out


def get_beneficiary(user, pk: int):
    """A dossier of the user's structure, or 404 (another structure's dossier does not exist for them)."""
    return Beneficiary.objects.visible_to(user).select_related("structure__network", "employment_status").get(pk=pk)


def eligibility(b) -> dict:
    """The web page's eligibility (same function, same French reasons), on today's date."""
    reasons = ineligibility_reasons(b, b.structure.network, today()) if b.birth_date else []
    return {
        "eligible": not reasons,
        "reasons": [{"code": r.code, "message": r.message, "field": r.field} for r in reasons],
    }


def detail(b) -> dict:
    """The JSON of one dossier: its fields and its eligibility."""
    return {**data(b), "eligibility": eligibility(b)}


def _read(request, b, include):
    """The dossier's JSON; with ?include=rqth the RQTH too, read (and logged) by the domain query."""
    out = detail(b)
    if include == "rqth":
        out["has_rqth"] = read_rqth(request.auth, b, channel="api")
    return out


def _fields(values: dict, *, structure_id: int) -> dict:
    """Codes and ids → objects (unknown or invalid code: 422 naming the field)."""
    if "commune" in values:
        values["commune"] = refs.commune(values["commune"])
    if "employment_status" in values:
        values["employment_status"] = refs.ref(
            EmploymentStatus, values["employment_status"], field="employment_status", on=today()
        )
    if "qualification_level" in values:
        values["qualification_level"] = refs.ref(
            QualificationLevel, values["qualification_level"], field="qualification_level", on=today()
        )
    if "referent" in values:
        values["referent"] = refs.structure_user(values["referent"], structure_id=structure_id, field="referent")
    return values


def _structure(user):
    if user.structure is None:
        raise RuleViolation("DROITS", "Votre compte n'est rattaché à aucune structure.")
    return user.structure


@router.post(
    "/beneficiaries",
    response=responses({201: BeneficiaryDetailOut}, write=True),
    exclude_unset=True,
    summary="Créer un dossier",
)
def create_beneficiary(request, payload: BeneficiaryIn):
    structure = _structure(request.auth)
    values = payload.dict(exclude_unset=True)
    beneficiary = services.create_beneficiary(
        structure=structure, actor=request.auth, **_fields(values, structure_id=structure.pk)
    )
    return Respond(201, detail(beneficiary))


@router.get(
    "/beneficiaries",
    response=responses({200: BeneficiaryPage}, page=True),
    exclude_unset=True,
    summary="Rechercher des dossiers",
    description="Recherche par nom et prénom dans n'importe quel ordre (sans accents ni casse ; une faute de "
    "frappe par mot admise quand rien ne correspond exactement), date de naissance, téléphone, statut, référent ; "
    "pagination par curseur, triée par nom puis identifiant, avec le nombre total (count). "
    "La RQTH n'est jamais renvoyée par la recherche.",
)
def search(request, filters: Query[BeneficiaryFilters]):
    decode_or_409(filters.cursor, SEARCH_KEY)
    try:
        page = search_beneficiaries(
            request.auth,
            name=filters.name,
            birth_date=filters.birth_date,
            status=filters.status or "",
            referent_id=filters.referent,
            cursor=filters.cursor,
            page_size=filters.limit,
        )
    except SearchTextError as exc:
        raise ApiError(422, "VALIDATION", str(exc), "name")
    return {
        "items": [data(b) for b in page.rows],
        "next_cursor": page.next_cursor,
        "count": page.total,
        "count_capped": page.total_capped,
        "approximate": page.approximate,
    }


@router.get(
    "/beneficiaries/{beneficiary_id}",
    response=responses({200: BeneficiaryDetailOut}),
    exclude_unset=True,
    summary="Lire un dossier",
    description="Avec ?include=rqth, la RQTH est renvoyée et la lecture est tracée.",
)
def read(request, beneficiary_id: int, include: Include | None = None):
    return _read(request, get_beneficiary(request.auth, beneficiary_id), include)


@router.patch(
    "/beneficiaries/{beneficiary_id}",
    response=responses({200: BeneficiaryDetailOut}, write=True),
    exclude_unset=True,
    summary="Modifier un dossier",
)
def update(request, beneficiary_id: int, payload: BeneficiaryPatch, include: Include | None = None):
    beneficiary = get_beneficiary(request.auth, beneficiary_id)
    values = _fields(payload.dict(exclude_unset=True), structure_id=beneficiary.structure_id)
    beneficiary = services.update_beneficiary(beneficiary=beneficiary, actor=request.auth, **values)
    return _read(request, beneficiary, include)


@router.post(
    "/beneficiaries/{beneficiary_id}/justify",
    response=responses({200: BeneficiaryDetailOut}, write=True),
    exclude_unset=True,
    summary="Passer le dossier au statut « Justifié »",
)
def justify(request, beneficiary_id: int):
    beneficiary = get_beneficiary(request.auth, beneficiary_id)
    return detail(services.justify_beneficiary(beneficiary=beneficiary, actor=request.auth))
