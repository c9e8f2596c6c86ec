"""Import batches (issue 11, part 5): upload a file (the check, a dry run), read its planned outcomes line by line,
confirm it (applied in the background), read the structure's batches and their counts, undo one.

The same path as the pages (« Imports »): the upload answers the batch « checked » with its counts and its first
refused lines; the confirmation of a CSV says the encoding was checked (`encoding_confirmed`). A file refused whole
(unreadable, a required column missing…) answers 422 with code IMPORT and a French message, nothing written.
Right « Importer des données » on every operation.
"""

import datetime
from typing import Literal

from ninja import Field, File, Form, Query, Router, Schema
from ninja import Status as Respond
from ninja.files import UploadedFile

from cep.accounts.rights import Right
from cep.common.access import ensure_right
from cep.common.errors import RuleViolation
from cep.imports import queries, services
from cep.imports.models import ImportBatch, Kind, Outcome

from .auth import personal_data_auth
from .errors import ApiError, responses
from .pagination import keyset_page
from .schemas import Cursor, Limit

router = Router(auth=personal_data_auth, tags=["Imports"])


class BatchOut(Schema):
    id: int
    kind: str
    file_name: str
    file_sha256: str
    file_format: str
    encoding: str = Field(description="utf-8, utf-8-sig ou cp1252 (CSV) ; vide pour un XLSX")
    delimiter: str
    column_mapping: dict[str, str] = Field(description="colonne du fichier → colonne du modèle")
    status: str = Field(
        description="checked, queued, running, applied, failed, to_undo (annulation demandée), undoing ou undone"
    )
    line_count: int
    create_count: int
    update_count: int
    duplicate_count: int
    unchanged_count: int
    refused_count: int
    warning_count: int = Field(
        description="lignes acceptées avec un avertissement (fichier de CEP : double accompagnement possible)"
    )
    job_error: str
    created_at: datetime.datetime
    applied_at: datetime.datetime | None
    undone_at: datetime.datetime | None


class LineError(Schema):
    column: str = Field(description="colonne du modèle en cause (vide : la ligne entière)")
    rule: str = Field(description="règle (R1 à R12, SAISIE, REFERENTIEL, DOSSIER…)")
    message: str


class Elsewhere(Schema):
    network: str = Field(description="réseau de l'autre structure")
    structure: str = Field(description="nom de l'autre structure")


class LineWarning(Schema):
    column: str = Field(description="colonne du modèle en cause (vide : la ligne entière)")
    rule: str = Field(description="DOUBLE_ACCOMPAGNEMENT : la personne a un CEP en cours dans une autre structure")
    message: str
    elsewhere: list[Elsewhere] = Field(
        [], description="les autres structures où la personne a un CEP en cours : réseau et nom, rien d'autre"
    )


class LineOut(Schema):
    line_number: int = Field(description="numéro de la ligne dans le fichier (l'en-tête est la ligne 1)")
    outcome: str = Field(description="create, update, duplicate, unchanged ou refused")
    object_id: int | None = Field(
        description="objet créé ou rapproché (dossier, ou CEP pour un fichier de CEP) ; pour une ligne « create », "
        "l'identifiant réservé au contrôle que l'objet reçoit à l'application"
    )
    duplicate_of: int | None = Field(description="doublon : la ligne du fichier qui porte la même personne")
    errors: list[LineError] = Field(description="refused : chaque motif de refus")
    warnings: list[LineWarning] = Field(
        description="ligne acceptée malgré un avertissement, jamais un refus (fichier de CEP : la personne a un CEP "
        "en cours dans une autre structure)"
    )

    @staticmethod
    def resolve_errors(line) -> list[dict]:
        return line.errors or []

    @staticmethod
    def resolve_warnings(line) -> list[dict]:
        return line.warnings or []


class CheckedBatchOut(BatchOut):
    refused_lines: list[LineOut] = Field(description="les premières lignes refusées (50 au plus ; la suite : /lines)")


class LinePage(Schema):
    items: list[LineOut]
    next_cursor: str | None


class LineQuery(Schema):
    outcome: Outcome = Outcome.REFUSED
    warned: bool = Field(False, description="true : seulement les lignes qui portent un avertissement")
    cursor: Cursor | None = None
    limit: Limit = 50


class ConfirmIn(Schema):
    encoding_confirmed: bool = Field(
        False, description="CSV : les accents lus sont justes, l'encodage détecté est confirmé (obligatoire)"
    )


class BatchPage(Schema):
    items: list[BatchOut]
    next_cursor: str | None


class PageQuery(Schema):
    cursor: Cursor | None = None
    limit: Limit = 20


def _batches(user):
    ensure_right(user, Right.IMPORT_DATA)
    return ImportBatch.objects.visible_to(user)


@router.get("/imports", response=responses({200: BatchPage}, page=True), summary="Lister les imports de la structure")
def list_batches(request, query: Query[PageQuery]):
    rows, cursor = keyset_page(_batches(request.auth), order=("-id",), cursor=query.cursor, limit=query.limit)
    return {"items": rows, "next_cursor": cursor}


MAX_UPLOAD = 100 * 1024 * 1024
Encoding = Literal["auto", "utf-8", "cp1252"]


@router.post(
    "/imports",
    response=responses({201: CheckedBatchOut}, write=True),
    summary="Déposer un fichier et le contrôler (sans rien importer)",
    description="Multipart : `file` (CSV ou XLSX, 100 Mo au plus), `kind` (beneficiaries, ceps, events ou "
    "services), `encoding` (auto, utf-8 ou cp1252). Le contrôle enregistre un lot « checked » et le résultat "
    "prévu de chaque ligne ; rien n'est écrit dans les dossiers. Un fichier illisible ou incomplet est refusé en "
    "entier : 422, code IMPORT.",
)
def upload_batch(request, kind: Form[Kind], file: File[UploadedFile | None] = None, encoding: Form[Encoding] = "auto"):
    # The right first, then the file: a request without a file says so in French (never before the right).
    ensure_right(request.auth, Right.IMPORT_DATA)
    if file is None:
        raise ApiError(422, "IMPORT", "Joignez le fichier à importer (champ « file », CSV ou XLSX).", field="file")
    try:
        if file.size > MAX_UPLOAD:
            raise ApiError(422, "IMPORT", "Le fichier dépasse 100 Mo : découpez-le.", field="file")
        try:
            batch = services.check_file(
                actor=request.auth, file=file.file, name=file.name or "", kind=kind, encoding=encoding
            )
        except RuleViolation as violation:
            if violation.rule == "DROITS":
                raise
            raise ApiError(422, violation.rule, violation.message, field=violation.field or "file") from None
    finally:
        file.close()  # a large upload's temporary file is removed now
    batch.refused_lines = queries.line_page(batch, Outcome.REFUSED)[0]
    return Respond(201, batch)


@router.get(
    "/imports/{batch_id}/lines",
    response=responses({200: LinePage}, page=True),
    summary="Lire les lignes d'un import par résultat prévu",
)
def batch_lines(request, batch_id: int, query: Query[LineQuery]):
    batch = _batches(request.auth).get(pk=batch_id)
    rows, cursor = keyset_page(
        queries.lines_of(batch, query.outcome, warned=query.warned),
        order=("line_number",),
        cursor=query.cursor,
        limit=query.limit,
    )
    return {"items": rows, "next_cursor": cursor}


@router.post(
    "/imports/{batch_id}/confirm",
    response=responses({202: BatchOut}, write=True),
    summary="Confirmer un import contrôlé",
    description="Le plan enregistré au contrôle est appliqué tel quel, en arrière-plan, tout ou rien (suivre "
    "`status` et `job_error` par GET). Pour un CSV, `encoding_confirmed` doit valoir true.",
)
def confirm_batch(request, batch_id: int, body: ConfirmIn):
    batch = _batches(request.auth).get(pk=batch_id)
    batch = services.confirm(batch=batch, actor=request.auth, encoding_confirmed=body.encoding_confirmed)
    return Respond(202, batch)


@router.get("/imports/{batch_id}", response=responses({200: BatchOut}), summary="Lire un import et ses comptes")
def read_batch(request, batch_id: int):
    return _batches(request.auth).get(pk=batch_id)


@router.post(
    "/imports/{batch_id}/undo",
    response=responses({200: BatchOut}, write=True),
    summary="Annuler un import",
    description="Demande l'annulation : le processus de fond supprime les dossiers créés et rend aux dossiers mis à "
    "jour leurs valeurs d'avant, en une fois "
    "(statut to_undo puis undoing, puis undone ; relire l'import pour suivre). "
    "Refusé (IMPORT_ANNULATION) dès qu'un de ces dossiers a été repris ; si un dossier est repris entre la demande "
    "et le traitement, l'import reste applied et job_error dit pourquoi.",
)
def undo_batch(request, batch_id: int):
    batch = _batches(request.auth).get(pk=batch_id)
    return services.undo(batch=batch, actor=request.auth)
