"""A structure manager gives a user of his structure a one-time link to choose a new password.

No e-mail server: the page shows the link, the manager hands it over (it works once, for 24 hours).
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from cep.accounts.passwords import password_reset_token
from cep.common.errors import RuleViolation
from cep.common.text import de_name

from .views import _structure_url, _user_of_structure, manages_structure


@manages_structure
@require_POST
def password_reset_link(request, pk):
    target = _user_of_structure(request, pk)
    try:
        uidb64, token = password_reset_token(user=target, actor=request.user)
    except RuleViolation as violation:
        messages.error(request, violation.message)
        return redirect(_structure_url("manager:user_edit", target.structure, request, pk=target.pk))
    link = request.build_absolute_uri(reverse("web:password_reset_confirm", args=[uidb64, token]))
    context = {
        "title": f"Lien de réinitialisation du mot de passe {de_name(target)}",
        "target": target,
        "link": link,
        "back": _structure_url("manager:user_edit", target.structure, request, pk=target.pk),
    }
    return render(request, "manager/password_reset_link.html", context)
