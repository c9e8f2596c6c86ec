"""The account pages' forms: password change and reset, second factor, API tokens."""

from django import forms
from django.conf import settings
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm

from .base import PortalForm, PortalFormMixin


def _password_widget(autocomplete: str) -> forms.PasswordInput:
    return forms.PasswordInput(attrs={"autocomplete": autocomplete, "class": "fr-password__input"})


class PortalSetPasswordForm(PortalFormMixin, SetPasswordForm):
    """The new password twice (reset link); Django's validators (12 characters at least, not too common…)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = "Nouveau mot de passe"
        self.fields["new_password1"].help_text = "12 caractères au moins, ni trop courant, ni proche de l'identifiant."
        self.fields["new_password2"].label = "Confirmation du nouveau mot de passe"
        for name in ("new_password1", "new_password2"):
            self.fields[name].widget = _password_widget("new-password")
            self.fields[name].widget.attrs["class"] = "fr-input"


class PortalPasswordChangeForm(PortalSetPasswordForm, PasswordChangeForm):
    """The current password, then the new one twice."""

    field_order = ["old_password", "new_password1", "new_password2"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = "Mot de passe actuel"
        self.fields["old_password"].widget = _password_widget("current-password")
        self.fields["old_password"].widget.attrs["class"] = "fr-input"


class OtpCodeForm(PortalForm):
    code = forms.CharField(
        label="Code à usage unique",
        help_text="Les 6 chiffres de votre application d'authentification, ou l'un de vos codes de secours.",
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        error_messages={"required": "Saisissez le code."},
    )


class ApiTokenForm(PortalForm):
    name = forms.CharField(
        label="Nom du jeton",
        help_text="Le logiciel ou l'usage qui s'en servira (par exemple « logiciel métier »).",
        max_length=100,
        error_messages={"required": "Donnez un nom au jeton.", "max_length": "100 caractères au plus."},
    )
    days = forms.TypedChoiceField(
        label="Durée de validité",
        coerce=int,
        error_messages={"invalid_choice": "Choisissez une durée de la liste."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["days"].choices = [(d, f"{d} jours") for d in settings.API_TOKEN_VALIDITY_DAYS]
        self.fields["days"].initial = settings.API_TOKEN_DEFAULT_DAYS
