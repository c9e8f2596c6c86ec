"""« Fichiers reçus »: the pseudonymised monthly files transmitted by the structures, for the national observer.

Read-only: list (keyset pages, filter by declared month) and download. A batch not yet transmitted does not
exist here (404); users without the national right get a 403.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from cep.accounts.rights import Right
from cep.common.access import missing_rights, rights_message
from cep.common.errors import RuleViolation
from cep.reporting.exports import received as service
from cep.reporting.exports.batches import parse_month
from cep.reporting.exports.models import ExportBatch

from .exports import before_id, file_download, id_cursor


def receiver_required(view):
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not service.may_receive(request.user):
            if missing_rights(request.user, Right.RECEIVE_MONTHLY):
                raise PermissionDenied(rights_message([Right.RECEIVE_MONTHLY]))
            raise PermissionDenied("Les fichiers mensuels reçus sont réservés à l'observateur national.")
        return view(request, *args, **kwargs)

    return wrapper


@require_GET
@receiver_required
def received_list(request):
    month_text = request.GET.get("mois", "").strip()
    month, error = None, ""
    if month_text:
        try:
            month = parse_month(month_text)
        except RuleViolation as exc:
            error = exc.message
    before = before_id(request)
    rows, next_cursor = service.received_page(request.user, month=month, before=before)
    return render(
        request,
        "reporting/received_list.html",
        {
            "batches": rows,
            "next_cursor": id_cursor(next_cursor),
            "month_text": month_text,
            "month_error": error,
            "is_first_page": before is None,
        },
        status=400 if error else 200,
    )


@require_GET
@receiver_required
def received_download(request, pk: int, resource: str):
    try:
        batch = service.get_received(request.user, pk)
    except ExportBatch.DoesNotExist:
        raise Http404("Lot introuvable.")
    return file_download(request, batch, resource)
