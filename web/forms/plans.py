"""Forms of the action plan (Suivi › Dispositifs › Plan d'action). The services check again; the forms give the
French message next to the field first (dates « jj/mm/aaaa », Formacode of five digits, amounts with cents)."""

import re

from django import forms

from cep.common.dates import today
from cep.plans.models import ActionStatus, CertificationKind, FundingStatus, Qualiopi
from cep.referentials.models import ComplementaryService, Funder

from .base import DateField, PortalForm
from .ceps import RefChoiceField

DATE_HINT = "Format attendu : jj/mm/aaaa"


def _date(label: str) -> DateField:
    return DateField(label=label, required=False, help_text=DATE_HINT)


class AmountField(forms.CharField):
    """Euros and cents typed in French (« 1 234,50 »), kept as text: the service turns it into a Decimal."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("help_text", "En euros, avec les centimes après la virgule (ex. : 1 234,50)")
        kwargs.setdefault("max_length", 20)
        super().__init__(*args, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        if value and not re.fullmatch(r"[0-9\s\u202f\xa0]+([,.][0-9]{1,2})?", value.strip()):
            raise forms.ValidationError("Saisissez un montant positif en euros, avec au plus deux décimales.")
        return value


class PlanForm(PortalForm):
    project = forms.CharField(label="Description du projet", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    strategies = forms.CharField(
        label="Stratégies envisagées", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    person_steps = forms.CharField(
        label="Démarches personnelles de la personne", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    support_needed = forms.CharField(
        label="Appui méthodologique nécessaire", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    total_cost = AmountField(label="Coût total du parcours (€)")


class StepForm(PortalForm):
    title = forms.CharField(label="Étape", max_length=200)
    objective = forms.CharField(label="Objectif intermédiaire", max_length=500, required=False)
    start_date = _date("Début prévu")
    target_date = _date("Échéance")


class ActionForm(PortalForm):
    label = forms.CharField(label="Action", max_length=300)
    who = forms.CharField(label="Qui", max_length=200, help_text="La personne, le conseiller, un partenaire…")
    due_date = _date("Quand")
    status = forms.ChoiceField(label="État", choices=ActionStatus.choices, initial=ActionStatus.PLANNED)


class TrainingForm(PortalForm):
    provider = forms.CharField(label="Organisme de formation", max_length=200)
    title = forms.CharField(label="Intitulé", max_length=300)
    start_date = _date("Date de début")
    end_date = _date("Date de fin")
    certification_kind = forms.ChoiceField(
        label="Répertoire de la certification", choices=CertificationKind.choices, required=False
    )
    certification_code = forms.CharField(
        label="Code de la certification", max_length=12, required=False, help_text="Numéro de la fiche (ex. : 35185)"
    )
    formacode = forms.CharField(
        label="Formacode", max_length=5, required=False, help_text="Cinq chiffres (ex. : 22454)"
    )
    formacode_label = forms.CharField(label="Libellé du Formacode", max_length=200, required=False)
    qualiopi = forms.ChoiceField(
        label="Certification Qualiopi de l'organisme", choices=Qualiopi.choices, initial=Qualiopi.UNKNOWN
    )

    def clean_formacode(self):
        value = self.cleaned_data["formacode"].strip()
        if value and not re.fullmatch(r"[0-9]{5}", value):
            raise forms.ValidationError("Le Formacode compte exactement cinq chiffres (ex. : 22454).")
        return value


class ServiceForm(PortalForm):
    service = RefChoiceField(label="Prestation complémentaire", queryset=ComplementaryService.objects.none())
    planned_date = _date("Date prévue")
    comment = forms.CharField(label="Précisions", max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = ComplementaryService.objects.valid_on(today())


class LineForm(PortalForm):
    funder = RefChoiceField(label="Financeur", queryset=Funder.objects.none())
    amount = AmountField(label="Montant (€)", required=False)
    status = forms.ChoiceField(label="État", choices=FundingStatus.choices, initial=FundingStatus.CONSIDERED)
    comment = forms.CharField(label="Précisions", max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["funder"].queryset = Funder.objects.valid_on(today())


class CompareForm(forms.Form):
    a = forms.IntegerField(min_value=1)
    b = forms.IntegerField(min_value=1)


class StepBackForm(PortalForm):
    interview_date = DateField(label="Date de l'entretien de prise de recul", help_text=DATE_HINT)
    demand = forms.CharField(
        label="La demande de la personne", required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    discussed = forms.CharField(
        label="Ce qui a été regardé ensemble", max_length=4000, widget=forms.Textarea(attrs={"rows": 5})
    )
    next_steps = forms.CharField(
        label="Les pistes pour la suite", required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class Level1Form(PortalForm):
    service = forms.ModelChoiceField(label="Service CEP de niveau 1", queryset=None, empty_label=None)
    demand = forms.CharField(label="La demande", max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    need = forms.CharField(
        label="Le besoin clarifié", required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    information = forms.CharField(
        label="Les informations données", required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    decision = forms.CharField(
        label="La décision de poursuivre ou non",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Par exemple : poursuivre en conseil personnalisé (phase 2), ou ne pas poursuivre pour l'instant.",
    )
    orientation = forms.CharField(
        label="Orientation vers un autre opérateur",
        required=False,
        max_length=4000,
        help_text="L'opérateur le plus pertinent, s'il y a lieu ; laissez vide sinon.",
    )

    def __init__(self, *args, services=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services
        self.fields["service"].label_from_instance = lambda s: f"{s.offer.name}, proposé le {s.proposed_on:%d/%m/%Y}"
        self.fields["service"].error_messages["invalid_choice"] = "Choisissez un service de niveau 1 du dossier."
