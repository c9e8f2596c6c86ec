"""Orientation forms: sending (consent, fields sent, message), answering (accept, refuse), messages, cancelling."""

from django import forms

from cep.common.dates import today
from cep.orientations.services import DEFAULT_FIELDS, OPTIONAL_FIELDS
from cep.orientations.workflow import MAX_MESSAGE
from cep.referentials.models import ConsentMode, Network, OrientationRefusalReason

from .base import DateField, PortalForm
from .ceps import RefChoiceField

_MESSAGE_ERRORS = {"max_length": f"Le message ne dépasse pas {MAX_MESSAGE} caractères (%(show_value)d saisis)."}


def _message(label: str, required: bool = False, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=MAX_MESSAGE,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": MAX_MESSAGE}),
        error_messages={**_MESSAGE_ERRORS, "required": "Écrivez un message."},
    )


class DirectoryForm(PortalForm):
    commune = forms.CharField(
        label="Commune de la personne",
        required=False,
        max_length=120,
        help_text="Nom, code postal ou code INSEE",
    )
    reseau = forms.ChoiceField(label="Réseau", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        networks = Network.objects.valid_on(today())
        self.fields["reseau"].choices = [("", "Tous les réseaux")] + [(n.code, n.label) for n in networks]


class SendForm(PortalForm):
    fields_sent = forms.MultipleChoiceField(
        label="Informations transmises en plus de l'identité",
        required=False,
        choices=list(OPTIONAL_FIELDS.items()),
        initial=list(DEFAULT_FIELDS),
        widget=forms.CheckboxSelectMultiple,
        help_text="L'identité (nom, prénom, nom de naissance, sexe, date de naissance) est toujours transmise.",
    )
    consent_mode = RefChoiceField(
        label="Forme du consentement de la personne",
        queryset=ConsentMode.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"required": "Indiquez comment la personne a donné son consentement."},
    )
    consent_on = DateField(label="Consentement recueilli le")
    comment = _message("Message à la structure destinataire", help_text=f"{MAX_MESSAGE} caractères au plus")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consent_mode"].queryset = ConsentMode.objects.valid_on(today())
        self.fields["consent_on"].initial = today()


class MessageForm(PortalForm):
    text = _message("Votre message", required=True)


class RefuseForm(PortalForm):
    reason = RefChoiceField(
        label="Motif du refus",
        queryset=OrientationRefusalReason.objects.none(),
        error_messages={"required": "Choisissez le motif du refus."},
    )
    comment = _message("Message à la structure d'origine")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].queryset = OrientationRefusalReason.objects.valid_on(today())


class AcceptForm(PortalForm):
    match = forms.TypedChoiceField(
        label="Dossier de la personne dans votre structure",
        coerce=int,
        required=False,
        widget=forms.RadioSelect,
        empty_value=None,
    )

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(b.pk, f"{b} – né(e) le {b.birth_date:%d/%m/%Y}") for b in candidates]
        if choices:
            choices.append((0, "Aucun de ces dossiers : créer un nouveau dossier"))
        self.fields["match"].choices = choices
        self.fields["match"].required = bool(choices)
        self.fields["match"].error_messages["required"] = "Choisissez le dossier de la personne."
        if not choices:
            self.fields["match"].widget = forms.HiddenInput()


class CancelForm(PortalForm):
    comment = _message("Message à la structure destinataire (facultatif)")
