"""Event forms (Suivi › Événements): the event itself and the guide's search filters."""

from django import forms

from cep.events.models import DeliveryMode, GroupMode
from cep.referentials.models import EventContext, EventDirection, EventNature, ReceptionPlace, StaffFunction

from .base import DateField, PortalForm
from .beneficiaries import StaffChoiceField, structure_staff
from .ceps import RefChoiceField

SYSTEM_CODES = ("suppression_dispositif",)  # written by the system only


def _choices(model):
    from cep.common.dates import today

    return model.objects.valid_on(today()).exclude(code__in=SYSTEM_CODES)


class EventForm(PortalForm):
    date = DateField(label="Date")
    primary_context = RefChoiceField(label="Contexte primaire", queryset=EventContext.objects.none())
    secondary_context = RefChoiceField(
        label="Contexte secondaire", queryset=EventContext.objects.none(), required=False
    )
    tertiary_context = RefChoiceField(label="Contexte tertiaire", queryset=EventContext.objects.none(), required=False)
    direction = RefChoiceField(label="Sens", queryset=EventDirection.objects.none())
    nature = RefChoiceField(label="Nature", queryset=EventNature.objects.none())
    place = RefChoiceField(label="Lieu d'accueil", queryset=ReceptionPlace.objects.none())
    function = RefChoiceField(label="Fonction", queryset=StaffFunction.objects.none())
    intervener = StaffChoiceField(label="Intervenant", queryset=structure_staff(None))
    delivery_mode = forms.ChoiceField(
        label="Modalité", choices=DeliveryMode.choices, widget=forms.RadioSelect, initial=DeliveryMode.ON_SITE
    )
    group_mode = forms.ChoiceField(
        label="Format", choices=GroupMode.choices, widget=forms.RadioSelect, initial=GroupMode.INDIVIDUAL
    )
    comment = forms.CharField(
        label="Commentaire",
        required=False,
        max_length=255,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 255}),
        error_messages={"max_length": "Le commentaire ne dépasse pas 255 caractères (%(show_value)d saisis)."},
    )
    walk_in = forms.BooleanField(label="Venu sans rendez-vous", required=False)

    def __init__(self, *args, structure_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        for name, model in (
            ("primary_context", EventContext),
            ("secondary_context", EventContext),
            ("tertiary_context", EventContext),
            ("direction", EventDirection),
            ("nature", EventNature),
            ("place", ReceptionPlace),
            ("function", StaffFunction),
        ):
            self.fields[name].queryset = _choices(model)
        for name in ("secondary_context", "tertiary_context"):
            self.fields[name].empty_label = "Aucun"
        self.fields["intervener"].queryset = structure_staff(structure_id)
        self.fields["intervener"].empty_label = "Sélectionnez une option"

    def service_fields(self) -> dict:
        return dict(self.cleaned_data)


ACTIONS = [("", "Toutes"), ("with_services", "Avec service proposé"), ("without_services", "Sans service proposé")]
CEP_CONTEXT = [("", "Tous"), ("oui", "Avec le contexte CEP"), ("non", "Sans le contexte CEP")]
SCOPES = [("all", "Tous les événements"), ("in_progress", "Événements en cours uniquement")]


class EventFilterForm(PortalForm):
    date_from = DateField(label="Date entre le", required=False)
    date_to = DateField(label="Et le", required=False)
    nature = forms.ModelChoiceField(label="Nature", queryset=EventNature.objects.all(), required=False)
    direction = forms.ModelChoiceField(label="Sens", queryset=EventDirection.objects.all(), required=False)
    actions = forms.ChoiceField(label="Actions", choices=ACTIONS, required=False)
    cep_context = forms.ChoiceField(label="Contexte CEP", choices=CEP_CONTEXT, required=False)
    scope = forms.ChoiceField(
        label="Événements", choices=SCOPES, widget=forms.RadioSelect, required=False, initial="all"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["nature"].empty_label = "Toutes"
        self.fields["direction"].empty_label = "Tous"
