"""A structure manager resets the second factor of a user of his structure who lost it (phone lost or replaced)."""

from django.contrib import messages
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from cep.accounts.second_factor import reset_second_factor
from cep.common.errors import RuleViolation
from cep.common.text import de_name

from .views import _structure_url, _user_of_structure, manages_structure


@manages_structure
@require_POST
def second_factor_reset(request, pk):
    target = _user_of_structure(request, pk)
    try:
        reset_second_factor(user=target, actor=request.user)
    except RuleViolation as violation:
        messages.error(request, violation.message)
    else:
        messages.success(
            request,
            f"La double authentification {de_name(target)} est réinitialisée : à sa prochaine connexion, après son "
            "mot de passe, il associera une nouvelle application d'authentification et recevra de nouveaux codes de "
            "secours.",
        )
    return redirect(_structure_url("manager:user_edit", target.structure, request, pk=target.pk))
