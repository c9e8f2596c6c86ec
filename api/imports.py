"""Import batches (issue 11, part 5): read the structure's batches and their counts, undo one.

Files are checked and confirmed on the pages (« Imports »: the user sees the dry-run report and confirms the
encoding); the API reads the result and can undo. Right « Importer des données » on every operation.
"""

import datetime

from ninja import Field, Query, Router, Schema

from cep.accounts.rights import Right
from cep.common.access import ensure_right
from cep.imports import services
from cep.imports.models import ImportBatch

from .auth import personal_data_auth
from .errors import responses
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
    job_error: str
    created_at: datetime.datetime
    applied_at: datetime.datetime | None
    undone_at: datetime.datetime | None


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
