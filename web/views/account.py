"""My account: password change, reset by link (given by a manager), personal API tokens."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_POST

from cep.accounts import tokens
from cep.accounts.models import ApiToken
from cep.appointments import feed as agenda
from cep.common.errors import RuleViolation
from web.forms.account import ApiTokenForm, PortalPasswordChangeForm, PortalSetPasswordForm

from ._forms import add_violation


@login_required
def account(request):
    has_agenda = bool(request.user.sees_personal_data and request.user.structure_id)
    context = {"title": "Mon compte", "has_agenda": has_agenda}
    if context["has_agenda"]:
        token = agenda.current_token(request.user)
        if token:
            context["feed_url"] = request.build_absolute_uri(reverse("web:appointments_feed", args=[token]))
    return render(request, "web/account/account.html", context)


class PasswordChangeView(auth_views.PasswordChangeView):
    """The signed-in user changes his password (the current one first); the session stays open."""

    template_name = "web/account/password_change.html"
    form_class = PortalPasswordChangeForm
    success_url = reverse_lazy("web:account")
    extra_context = {"title": "Changer mon mot de passe"}

    def form_valid(self, form):
        messages.success(self.request, "Votre mot de passe est changé.")
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """The one-time link a manager gave: choose a new password, then sign in with it."""

    template_name = "web/account/password_reset_confirm.html"
    form_class = PortalSetPasswordForm
    success_url = reverse_lazy("web:login")
    extra_context = {"title": "Choisir un nouveau mot de passe"}

    def form_valid(self, form):
        messages.success(self.request, "Votre mot de passe est enregistré : connectez-vous avec lui.")
        return super().form_valid(form)


@login_required
def api_tokens(request):
    """The user's API tokens (active, expired, revoked) with their last use; a form to create one."""
    form = ApiTokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        try:
            token, new_key = tokens.issue_token(
                user=request.user, name=form.cleaned_data["name"], days=form.cleaned_data["days"]
            )
        except RuleViolation as violation:
            add_violation(form, violation)
        else:
            messages.success(request, f"Jeton « {token.name} » créé. Copiez-le maintenant : il ne sera plus affiché.")
            form = ApiTokenForm()
    rows = ApiToken.objects.filter(user=request.user).order_by("-created_at")
    return render(
        request,
        "web/account/api_tokens.html",
        {"title": "Mes jetons d'API", "form": form, "tokens": rows, "new_key": new_key},
    )


@login_required
@require_POST
def api_token_revoke(request, pk):
    own = get_object_or_404(ApiToken.objects.filter(user=request.user), pk=pk)  # another user's token: 404
    try:
        token = tokens.revoke_token(user=request.user, token_id=own.pk)
    except RuleViolation as violation:
        messages.error(request, violation.message)
    else:
        messages.success(request, f"Le jeton « {token.name} » est révoqué : il ne donne plus accès à l'API.")
    return redirect("web:api_tokens")
