"""Who may open a portal page. A missing right is a 403 page naming it; another structure's dossier answers 404.

The domain refuses the same actions (cep/common/access.py); checking here first answers 403 before any work and
keeps the refusal the same for every page of an action (its form as well as its POST).
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404

from cep.accounts.rights import Right
from cep.beneficiaries.models import Beneficiary
from cep.beneficiaries.queries import get_dossier
from cep.common.access import missing_rights, rights_message


def dossier_rights(*rights: Right, on_post: tuple[Right, ...] = ()):
    """Signed-in staff of a structure holding « Consulter les informations d'un dossier » and `rights`
    (and `on_post` to send the page's form); observers see aggregates only."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not user.sees_personal_data:
                raise PermissionDenied("Votre rôle donne accès aux indicateurs agrégés uniquement.")
            needed = (Right.VIEW_DOSSIER, *rights, *(on_post if request.method == "POST" else ()))
            missing = missing_rights(user, *needed)
            if missing:
                raise PermissionDenied(rights_message(missing))
            return view(request, *args, **kwargs)

        wrapper.required_rights = (Right.VIEW_DOSSIER, *rights)
        return wrapper

    return decorator


personal_data_required = dossier_rights()


def dossier_or_404(request, pk: int) -> Beneficiary:
    try:
        return get_dossier(request.user, pk)
    except Beneficiary.DoesNotExist:
        raise Http404("Dossier introuvable.")
