"""Who may open a portal page. Another structure's dossier answers 404, an observer 403."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404

from cep.beneficiaries.models import Beneficiary
from cep.beneficiaries.queries import get_dossier


def personal_data_required(view):
    """Signed-in staff of a structure (counselor, manager, administrator); observers see aggregates only."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.sees_personal_data:
            raise PermissionDenied("Votre rôle donne accès aux indicateurs agrégés uniquement.")
        return view(request, *args, **kwargs)

    return wrapper


def dossier_or_404(request, pk: int) -> Beneficiary:
    try:
        return get_dossier(request.user, pk)
    except Beneficiary.DoesNotExist:
        raise Http404("Dossier introuvable.")
